"""Bundled accelerator and model facts: lookups by alias, known shapes, sourced data files."""

from __future__ import annotations

import pytest

from planner.facts import accelerators, find_accelerator, find_llm, llms
from planner.facts.accelerators import DATA_FILE as ACC_FILE
from planner.facts.llms import DATA_FILE as LLM_FILE

REQUIRED_ACCELERATORS = [
    "T4", "A10G", "L4", "L40S", "V100", "V100-32GB", "A100", "A100-80GB", "H100", "H200",
    "Inferentia2", "Trainium", "TPU-v5e",
]  # fmt: skip
REQUIRED_MODELS = [
    "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "mistral-7b", "mixtral-8x7b",
    "qwen2.5-7b", "qwen2.5-72b", "gemma-2-9b", "gemma-2-27b",
]  # fmt: skip


@pytest.mark.parametrize("path", [ACC_FILE, LLM_FILE], ids=["accelerators", "llms"])
def test_data_files_state_source_and_date(path):
    header = "\n".join(line for line in path.read_text().splitlines() if line.startswith("#"))
    assert "Source:" in header and "2026-11-25" in header


@pytest.mark.parametrize("name", REQUIRED_ACCELERATORS)
def test_required_accelerators_are_bundled(name):
    acc = find_accelerator(name)
    assert acc is not None and acc.memory_gb > 0 and acc.bandwidth_gbps > 0 and acc.bf16_tflops > 0


@pytest.mark.parametrize("name", REQUIRED_MODELS)
def test_required_models_are_bundled(name):
    model = find_llm(name)
    assert model is not None
    assert model.head_dim * model.attention_heads >= model.hidden_size // 2
    assert model.attention_heads % model.kv_heads == 0


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [("a100-40gb", "A100"), ("H100-SXM", "H100"), ("NVIDIA_L4", "L4"), ("inf2", "Inferentia2")],
)
def test_accelerator_aliases_resolve_to_canonical_names(alias, canonical):
    assert find_accelerator(alias).name == canonical


def test_models_resolve_by_hugging_face_id_and_instruct_suffix():
    assert find_llm("meta-llama/Llama-3.1-8B-Instruct").name == "llama-3.1-8b"
    assert find_llm("Qwen2.5-72B-Instruct").name == "qwen2.5-72b"
    assert find_llm("no-such-model") is None


def test_kv_cache_bytes_per_token_for_llama_8b_bf16():
    assert find_llm("llama-3.1-8b").kv_bytes_per_token(2) == 131072


def test_mixture_of_experts_has_fewer_active_than_total_parameters():
    mixtral = find_llm("mixtral-8x7b")
    assert mixtral.active_params_b < mixtral.params_b
    assert all(m.active_params_b == m.params_b for m in llms() if "mixtral" not in m.name)


def test_names_and_aliases_are_unique():
    names = [n.lower() for a in accelerators() for n in (a.name, *a.aliases)]
    assert len(names) == len(set(names))
    assert len({m.name for m in llms()}) == len(llms())
