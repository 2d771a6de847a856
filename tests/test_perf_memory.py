"""Memory fit: weights, KV cache and overhead per accelerator, and valid tensor-parallel degrees."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.facts import find_accelerator, find_llm
from planner.perf import (
    DEFAULT_SETTINGS,
    Dtype,
    PerfSettings,
    kv_bytes_per_token,
    kv_bytes_per_token_per_gpu,
    memory_fit,
    replicas_per_instance,
    smallest_fitting_tp,
    tp_problem,
    valid_tp_degrees,
    weight_bytes,
)
from planner.perf.memory import GIB

H100 = find_accelerator("H100")
A100_80 = find_accelerator("A100-80GB")
L4 = find_accelerator("L4")
A10G = find_accelerator("A10G")
LLAMA_8B = find_llm("llama-3.1-8b")
LLAMA_70B = find_llm("llama-3.1-70b")
LLAMA_405B = find_llm("llama-3.1-405b")


def test_kv_bytes_per_token_known_values():
    assert kv_bytes_per_token(LLAMA_8B, "bf16") == 131072
    assert kv_bytes_per_token(LLAMA_8B, Dtype.fp8) == 65536
    assert kv_bytes_per_token(LLAMA_70B) == 2 * 80 * 8 * 128 * 2
    assert memory_fit(LLAMA_8B, L4, 1, 1000).kv_bytes_per_token == 131072


def test_kv_heads_split_across_tp_then_replicate():
    assert kv_bytes_per_token_per_gpu(LLAMA_70B, 1) == 327680
    assert kv_bytes_per_token_per_gpu(LLAMA_70B, 8) == 327680 // 8
    assert kv_bytes_per_token_per_gpu(LLAMA_405B, 16) == 2 * 126 * 1 * 128 * 2


def test_kv_dtype_must_be_16_or_8_bit_or_fp4():
    with pytest.raises(ValueError, match="allowed: bf16, fp16, fp8, fp4"):
        kv_bytes_per_token(LLAMA_8B, "int4")
    with pytest.raises(ValueError, match="allowed: bf16, fp16, fp8, fp4"):
        kv_bytes_per_token(LLAMA_8B, "int8")
    with pytest.raises(ValueError, match="unknown dtype"):
        weight_bytes(LLAMA_8B, "fp2")


def test_fp4_weights_take_four_bits_and_a_scale_per_block_of_16():
    embed = 2.0 * LLAMA_8B.vocab_size * LLAMA_8B.hidden_size
    expected = (LLAMA_8B.params_b * 1e9 - embed) * 4.5 / 8 + embed * 2
    assert weight_bytes(LLAMA_8B, "fp4") == pytest.approx(expected)
    assert weight_bytes(LLAMA_8B, "fp4") < weight_bytes(LLAMA_8B, "fp8")


def test_weight_bytes_by_dtype():
    assert weight_bytes(LLAMA_8B, "bf16") == pytest.approx(8.03e9 * 2)
    assert weight_bytes(LLAMA_8B, "fp16") == weight_bytes(LLAMA_8B, "bf16")
    fp8, int4 = weight_bytes(LLAMA_8B, "fp8"), weight_bytes(LLAMA_8B, "int4")
    embeddings = 2 * 128256 * 4096
    assert fp8 == pytest.approx((8.03e9 - embeddings) + embeddings * 2)
    assert 8.03e9 * 0.5 < int4 < fp8 < weight_bytes(LLAMA_8B)


def test_llama_70b_bf16_does_not_fit_one_80gb_gpu_but_fits_two_h100s():
    for chip in (H100, A100_80):
        fit = memory_fit(LLAMA_70B, chip, tp=1, context_tokens=1000)
        assert not fit.fits and fit.max_batch == 0
        assert "weights need" in fit.reason
    fit = memory_fit(LLAMA_70B, H100, tp=2, context_tokens=4096)
    assert fit.fits and fit.max_batch >= 1
    assert fit.weights_gib_per_gpu == pytest.approx(70.6e9 * 2 / 2 / GIB)
    assert smallest_fitting_tp(LLAMA_70B, H100, 8, 2048) == 2


def test_llama_8b_fits_one_l4_and_one_a10g():
    for chip in (L4, A10G):
        fit = memory_fit(LLAMA_8B, chip, tp=1, context_tokens=8192)
        assert fit.fits, fit.reason
        assert fit.max_batch >= 2
        assert smallest_fitting_tp(LLAMA_8B, chip, 1, 8192) == 1


def test_405b_needs_fp8_on_eight_h100s():
    assert smallest_fitting_tp(LLAMA_405B, H100, 8, 2048) is None
    assert smallest_fitting_tp(LLAMA_405B, H100, 8, 2048, weights_dtype="fp8") == 8


def test_usable_memory_follows_the_settings():
    fit = memory_fit(LLAMA_8B, H100, 1, 1000)
    assert fit.usable_gib_per_gpu == pytest.approx(80 * 0.9 - 1.5)
    roomier = memory_fit(LLAMA_8B, H100, 1, 1000, settings=PerfSettings(memory_utilization=0.95))
    assert roomier.kv_capacity_tokens > fit.kv_capacity_tokens


def test_max_batch_is_kv_capacity_over_context():
    fit = memory_fit(LLAMA_8B, L4, 1, 1250)
    free_bytes = fit.free_kv_gib_per_gpu * GIB
    assert fit.kv_capacity_tokens == int(free_bytes // 131072)
    assert fit.max_batch == fit.kv_capacity_tokens // 1250
    too_many = memory_fit(LLAMA_8B, L4, 1, 1250, batch=fit.max_batch + 1)
    assert not too_many.fits and "KV cache holds" in too_many.reason
    assert memory_fit(LLAMA_8B, L4, 1, 1250, batch=fit.max_batch).fits


def test_context_beyond_the_model_maximum_does_not_fit():
    gemma = find_llm("gemma-2-9b")
    fit = memory_fit(gemma, H100, 1, gemma.max_context + 1)
    assert not fit.fits and fit.max_batch == 0 and "maximum" in fit.reason


def test_valid_tp_degrees():
    assert valid_tp_degrees(LLAMA_8B, 8) == (1, 2, 4, 8)
    assert valid_tp_degrees(LLAMA_8B, 6) == (1, 2)
    assert valid_tp_degrees(LLAMA_8B, 1) == (1,)
    qwen_7b = find_llm("qwen2.5-7b")
    assert valid_tp_degrees(qwen_7b, 8) == (1, 2, 4)
    assert "power of two" in tp_problem(LLAMA_8B, 3)
    assert "does not divide the 4" in tp_problem(LLAMA_8B, 8, count=4)
    with pytest.raises(ValueError, match="power of two"):
        memory_fit(LLAMA_8B, H100, tp=3, context_tokens=10)


def test_tp_beyond_kv_heads_replicates_them():
    assert tp_problem(LLAMA_405B, 16) is None
    assert 16 in valid_tp_degrees(LLAMA_405B, 16)


def test_replicas_per_instance():
    assert replicas_per_instance(8, 2) == 4
    assert replicas_per_instance(8, 8) == 1
    assert replicas_per_instance(1, 1) == 1


def test_settings_reject_nonsense():
    with pytest.raises(ValueError, match="mbu"):
        PerfSettings(mbu=0)
    with pytest.raises(ValueError, match="memory_utilization"):
        PerfSettings(memory_utilization=1.5)
    with pytest.raises(ValueError, match="max_num_seqs"):
        PerfSettings(max_num_seqs=0)
    with pytest.raises(ValueError, match="overhead_gib"):
        PerfSettings(overhead_gib=-1)


@given(
    extra_gb=st.floats(min_value=0, max_value=200),
    context=st.integers(min_value=1, max_value=131072),
    tp=st.sampled_from([1, 2, 4, 8]),
    kv=st.sampled_from(["bf16", "fp8"]),
)
def test_more_memory_never_shrinks_the_batch(extra_gb, context, tp, kv):
    bigger = replace(H100, memory_gb=H100.memory_gb + extra_gb)
    base = memory_fit(LLAMA_70B, H100, tp, context, kv_dtype=kv, settings=DEFAULT_SETTINGS)
    more = memory_fit(LLAMA_70B, bigger, tp, context, kv_dtype=kv, settings=DEFAULT_SETTINGS)
    assert more.max_batch >= base.max_batch
    assert more.fits or not base.fits


@given(
    context=st.integers(min_value=1, max_value=131072),
    weights=st.sampled_from(list(Dtype)),
)
def test_fp8_kv_holds_at_least_twice_the_tokens_of_bf16(context, weights):
    bf16 = memory_fit(LLAMA_8B, H100, 1, context, weights_dtype=weights, kv_dtype="bf16")
    fp8 = memory_fit(LLAMA_8B, H100, 1, context, weights_dtype=weights, kv_dtype="fp8")
    assert fp8.kv_capacity_tokens >= 2 * bf16.kv_capacity_tokens
