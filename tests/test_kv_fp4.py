"""An FP4 KV cache: which engines keep one on which chips and from which release (each
statement sourced in planner/facts/data/kv_cache_dtypes.csv); a spec asking for it where the
deployed engine cannot is not a candidate there, or exits 2 naming engine, chip and dtype when
it pins the chip; sized with FP4 KV bytes (4.5 bits per value with the block scales)."""

from __future__ import annotations

import pytest
import yaml

from planner.facts import find_accelerator, find_llm
from planner.facts.engines import kv_cache_problem, kv_cache_row, kv_cache_support
from planner.perf import SLO, kv_bytes_per_token, memory_fit, replica_capacity

LLAMA_70B = find_llm("llama-3.1-70b")
B200 = find_accelerator("B200")


def _spec(tmp_path, placement: dict, kv: str = "fp4"):
    spec = {"workloads": [{
        "name": "chat", "kind": "serving", "model": "llama-3.1-8b",
        "traffic": {"requests_per_second": 2, "input_tokens": 1000, "output_tokens": 200},
        "slo": {"tpot_ms": 100, "ttft_p95_ms": 5000},
        "engine_settings": {"kv_cache_dtype": kv}, "placement": placement,
    }]}  # fmt: skip
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def test_every_fp4_kv_statement_is_sourced_and_names_the_engines_flag():
    rows = kv_cache_support()
    assert {r.engine for r in rows} == {"vllm", "sglang", "trt-llm"}
    for row in rows:
        assert row.kv_dtype == "fp4" and row.source.startswith("https://")
        assert row.platform == "cuda" and row.families == {"blackwell"}
    assert kv_cache_row("vllm", "fp4", "B200").flag_value == "nvfp4"
    assert kv_cache_row("sglang", "fp4", "B200").flag_value == "fp4_e2m1"


def test_vllm_keeps_an_fp4_kv_cache_on_blackwell_from_the_release_that_added_it():
    assert kv_cache_problem("vllm", "fp4", "B200", "kubernetes", version="0.21.0") == ""
    assert kv_cache_problem("vllm", "fp4", "GB200", "kubernetes", version="v0.23.1") == ""
    old = kv_cache_problem("vllm", "fp4", "B200", "kubernetes", version="0.11.0")
    assert "0.11.0" in old and "came in 0.21.0" in old
    # the bundled B200 image is vLLM 0.11.0: it has none
    assert "came in 0.21.0" in kv_cache_problem("vllm", "fp4", "B200", "kubernetes")
    for chip in ("H100", "MI300X", "TPU-v6e", "Inferentia2"):
        assert "keeps no fp4 KV cache" in kv_cache_problem("vllm", "fp4", chip, "kubernetes",
                                                           version="0.23.0")  # fmt: skip


def test_an_engine_release_no_source_numbers_is_not_taken_to_have_it():
    why = kv_cache_problem("trt-llm", "fp4", "B200", "kubernetes", version="9.9.9")
    assert "knows no number" in why


def test_fp8_and_16_bit_kv_caches_stay_unrestricted():
    for kv in ("fp8", "bf16", ""):
        assert kv_cache_problem("vllm", kv, "T4", "kubernetes") == ""


def test_a_spec_pinning_a_chip_without_fp4_kv_exits_2_naming_engine_chip_and_dtype(cli, tmp_path):
    path = _spec(tmp_path, {"providers": ["aws"], "accelerators": ["B200"]})
    result = cli("plan", path, "-q")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "spec.yaml:18: workloads[0].placement.accelerators[0]" in result.stderr
    assert "engine vllm cannot be deployed on B200 with its KV cache in fp4" in result.stderr


def test_fp4_kv_is_no_candidate_where_the_engine_lacks_it(cli, tmp_path):
    path = _spec(tmp_path, {"providers": ["aws"], "regions": ["us-east-1"]})
    result = cli("plan", path, "-q")
    assert result.exit_code == 3
    assert (
        "has no fp4 KV cache" in result.stderr and "keeps no fp4 KV cache on H100" in result.stderr
    )
    planned = cli("plan", _spec(tmp_path, {"providers": ["aws"], "regions": ["us-east-1"]}, "fp8"),
                  "-q")  # fmt: skip
    assert planned.exit_code == 0  # the same workload with an fp8 KV cache plans


def test_an_fp4_kv_cache_is_sized_at_four_and_a_half_bits_per_value():
    fp8, fp4 = kv_bytes_per_token(LLAMA_70B, "fp8"), kv_bytes_per_token(LLAMA_70B, "fp4")
    assert fp4 == pytest.approx(fp8 * 4.5 / 8, rel=1e-6)
    fits = [memory_fit(LLAMA_70B, B200, 2, 2500, 1, kv_dtype=kv) for kv in ("fp8", "fp4")]
    assert fits[1].kv_capacity_tokens > 1.7 * fits[0].kv_capacity_tokens
    rates = [replica_capacity(LLAMA_70B, B200, 2, 20000, 2000, SLO(), kv_dtype=kv).max_batch
             for kv in ("fp8", "fp4")]  # fmt: skip
    assert rates[1] > 1.5 * rates[0]  # long contexts: the KV cache bounds the batch
