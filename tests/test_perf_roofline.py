"""Roofline timing and replica capacity at an SLO: known facts, consistency and monotonicity."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.facts import accelerators, find_accelerator, find_llm
from planner.perf import (
    SLO,
    PerfSettings,
    batch_throughput,
    decode_step_seconds,
    peak_flops,
    prefill_seconds,
    replica_capacity,
    scale_gpu_hours,
    tp_problem,
    training_hours,
    training_tokens_per_s,
    weight_bytes,
)
from planner.perf.capacity import at_concurrency, at_rate
from planner.perf.efficiency import efficiency
from planner.perf.roofline import allreduce_seconds, step_seconds, weights_read_fraction

H100 = find_accelerator("H100")
A100 = find_accelerator("A100-80GB")
L4 = find_accelerator("L4")
L40S = find_accelerator("L40S")
LLAMA_8B = find_llm("llama-3.1-8b")
LLAMA_70B = find_llm("llama-3.1-70b")
MIXTRAL = find_llm("mixtral-8x7b")
DEFAULTS = PerfSettings()

MODELS = [LLAMA_8B, find_llm("qwen2.5-7b"), find_llm("gemma-2-9b"), MIXTRAL, LLAMA_70B]
CONFIGS = [(m, tp) for m in MODELS for tp in (1, 2, 4, 8) if tp_problem(m, tp) is None]
CHIPS = list(accelerators())


def test_single_stream_8b_decode_on_h100_is_within_the_roofline_bound():
    tokens_per_s = 1 / decode_step_seconds(LLAMA_8B, H100, 1, batch=1, context_tokens=1000)
    bound = H100.bandwidth_gbps * 1e9 / weight_bytes(LLAMA_8B)
    assert tokens_per_s <= bound
    assert tokens_per_s >= 0.3 * bound  # the lowest bandwidth share the fit may choose
    capacity = replica_capacity(LLAMA_8B, H100, 1, 1000, 1, SLO(), PerfSettings(max_num_seqs=1))
    assert capacity.tokens_per_s <= bound


def test_peak_flops_uses_fp8_only_where_the_chip_has_it():
    assert peak_flops(H100, "bf16") == 989e12
    assert peak_flops(H100, "fp8") == 1979e12
    assert peak_flops(A100, "fp8") == 312e12
    assert peak_flops(H100, "int4") == 989e12


def test_prefill_is_compute_bound_for_long_prompts():
    seconds = prefill_seconds(LLAMA_8B, H100, 1, 4000)
    linear = 2 * 8.03e9 * 4000 / (efficiency(H100, DEFAULTS).mfu * 989e12)
    assert seconds > linear
    assert seconds < 1.2 * linear
    assert prefill_seconds(LLAMA_8B, H100, 1, 8000) > 2 * seconds


def test_tensor_parallel_communication():
    assert allreduce_seconds(LLAMA_70B, H100, 1, 64, DEFAULTS) == 0
    two, eight = (allreduce_seconds(LLAMA_70B, H100, tp, 64, DEFAULTS) for tp in (2, 8))
    assert 0 < two < eight
    assert two >= 2 * 80 * efficiency(H100, DEFAULTS).allreduce_latency_us * 1e-6


def test_decode_tp_speeds_up_memory_bound_steps():
    tp1 = decode_step_seconds(LLAMA_8B, H100, 1, 1, 1000)
    tp2 = decode_step_seconds(LLAMA_8B, H100, 2, 1, 1000)
    assert tp2 < tp1


def test_moe_reads_active_experts_at_batch_one_and_all_at_large_batch():
    assert weights_read_fraction(LLAMA_8B, 1) == 1
    assert weights_read_fraction(MIXTRAL, 1) == pytest.approx(12.9 / 46.7)
    assert weights_read_fraction(MIXTRAL, 64) == pytest.approx(1, abs=1e-6)


def test_capacity_at_a_tpot_slo_on_h100():
    slo = SLO(tpot_ms=20)
    capacity = replica_capacity(LLAMA_8B, H100, 1, 1000, 250, slo)
    assert capacity.fits and capacity.source == "roofline"
    assert capacity.kv_bytes_per_token == 131072
    assert capacity.max_rps > 0
    assert capacity.tpot_ms <= 20 + 1e-6
    assert capacity.limited_by == "tpot"
    assert 1 <= capacity.batch <= capacity.max_batch
    assert capacity.max_rps == pytest.approx(capacity.batch / (250 * capacity.tpot_ms / 1e3))
    assert capacity.tokens_per_s == pytest.approx(capacity.max_rps * 250)


def test_chunked_prefill_of_arriving_prompts_enters_tpot():
    capacity = replica_capacity(LLAMA_8B, H100, 1, 1000, 250, SLO(tpot_ms=50))
    decode_only = decode_step_seconds(LLAMA_8B, H100, 1, capacity.batch, 1000 + 125)
    mixed = step_seconds(
        LLAMA_8B, H100, 1, capacity.batch, 1000 + 125, capacity.batch * 1000 / 250, 1000
    )
    assert capacity.tpot_ms == pytest.approx(mixed * 1e3)
    assert mixed > decode_only


def test_batched_prefill_shares_the_weight_reads():
    one = step_seconds(LLAMA_8B, H100, 1, 1, 1000, 64, 1000)
    many = step_seconds(LLAMA_8B, H100, 1, 64, 1000, 64 * 64, 1000)
    assert many < 64 * one


def test_per_gpu_throughput_falls_with_tp_on_a_pcie_part():
    per_gpu = [
        replica_capacity(
            LLAMA_70B, L40S, tp, 128, 2048, weights_dtype="fp8", kv_dtype="fp8"
        ).tokens_per_s
        / tp
        for tp in (4, 8)
    ]
    assert per_gpu[1] < per_gpu[0]


def test_longer_outputs_lower_tpot_under_chunked_prefill():
    short = replica_capacity(LLAMA_8B, H100, 1, 2000, 100, SLO(tpot_ms=30))
    long = replica_capacity(LLAMA_8B, H100, 1, 2000, 1000, SLO(tpot_ms=30))
    assert long.batch > short.batch


def test_ttft_grows_with_load_from_queueing_behind_other_prefills():
    low = at_concurrency(LLAMA_70B, H100, 2, 5000, 500, 1, weights_dtype="fp8", kv_dtype="fp8")
    high = at_concurrency(LLAMA_70B, H100, 2, 5000, 500, 50, weights_dtype="fp8", kv_dtype="fp8")
    beyond = at_concurrency(LLAMA_70B, H100, 2, 5000, 500, 400, weights_dtype="fp8", kv_dtype="fp8")
    assert low.ttft_ms < high.ttft_ms < beyond.ttft_ms
    assert beyond.batch == high.batch or beyond.batch < 400


@pytest.mark.parametrize("tpot_ms", [20.0, 40.0, 60.0])
def test_at_a_rate_the_figures_are_the_capacitys_operating_point(tpot_ms):
    cap = replica_capacity(LLAMA_70B, H100, 2, 2000, 400, SLO(tpot_ms=tpot_ms),
                           weights_dtype="fp8", kv_dtype="fp8")  # fmt: skip
    at = at_rate(LLAMA_70B, H100, 2, 2000, 400, cap.max_rps, weights_dtype="fp8", kv_dtype="fp8")
    assert at.batch == pytest.approx(cap.batch, rel=1e-4)
    assert at.tpot_ms == pytest.approx(cap.tpot_ms, rel=1e-4)
    assert at.ttft_ms == pytest.approx(cap.ttft_ms, rel=1e-4)


@settings(max_examples=40, deadline=None)
@given(low=st.floats(0.0, 1.0), high=st.floats(0.0, 1.0))
def test_at_a_higher_rate_latencies_never_fall(low, high):
    low, high = sorted((low, high))
    full = replica_capacity(LLAMA_8B, L40S, 1, 1000, 200).max_rps
    a = at_rate(LLAMA_8B, L40S, 1, 1000, 200, low * full)
    b = at_rate(LLAMA_8B, L40S, 1, 1000, 200, high * full)
    assert a.batch >= 1 and a.tpot_ms <= b.tpot_ms * (1 + 1e-9)
    assert a.ttft_ms <= b.ttft_ms * (1 + 1e-9)
    assert at_rate(LLAMA_8B, L40S, 1, 1000, 200, full * 1.01) is None


def test_ttft_slo_limits_the_batch():
    loose = replica_capacity(LLAMA_70B, H100, 4, 2000, 200, SLO(ttft_ms=10_000))
    tight = replica_capacity(LLAMA_70B, H100, 4, 2000, 200, SLO(ttft_ms=400))
    assert tight.ttft_ms <= 400 + 1e-6
    assert tight.limited_by == "ttft"
    assert 0 < tight.max_rps < loose.max_rps


def test_unreachable_slo_gives_zero_rps_and_a_reason():
    capacity = replica_capacity(LLAMA_8B, L4, 1, 1000, 250, SLO(tpot_ms=20))
    assert capacity.fits
    assert capacity.max_rps == 0 and capacity.tokens_per_s == 0
    assert "batch 1" in capacity.reason and "TPOT" in capacity.reason
    assert capacity.tpot_ms > 20


def test_model_that_does_not_fit_has_no_capacity():
    capacity = replica_capacity(LLAMA_70B, L4, 1, 1000, 250, SLO(tpot_ms=100))
    assert not capacity.fits and capacity.max_rps == 0 and capacity.max_batch == 0
    assert capacity.ttft_ms is None and capacity.reason


def test_without_slo_the_batch_reaches_memory_or_the_engine_cap():
    capped = replica_capacity(LLAMA_8B, H100, 1, 1000, 250)
    assert capped.limited_by == "max_num_seqs" and capped.batch == 256
    roomy = replica_capacity(
        LLAMA_8B, H100, 1, 1000, 250, settings=PerfSettings(max_num_seqs=100_000)
    )
    assert roomy.limited_by == "memory" and roomy.batch == roomy.max_batch > 256
    assert roomy.max_rps > capped.max_rps


def test_fp8_weights_raise_capacity_on_h100():
    bf16 = replica_capacity(LLAMA_70B, H100, 2, 1000, 250, SLO(tpot_ms=60))
    fp8 = replica_capacity(LLAMA_70B, H100, 2, 1000, 250, SLO(tpot_ms=60), weights_dtype="fp8")
    assert fp8.max_rps > bf16.max_rps


def test_batch_throughput_multiplies_replicas():
    one = replica_capacity(LLAMA_8B, L4, 1, 500, 500)
    rate = batch_throughput(LLAMA_8B, L4, 4, 1, 500, 500)
    assert rate.replicas == 4
    assert rate.requests_per_s == pytest.approx(4 * one.max_rps)
    assert rate.output_tokens_per_s == pytest.approx(4 * one.max_rps * 500)
    assert rate.total_tokens_per_s == pytest.approx(2 * rate.output_tokens_per_s)
    assert batch_throughput(LLAMA_70B, L4, 1, 1, 500, 500).requests_per_s == 0
    with pytest.raises(ValueError):
        batch_throughput(LLAMA_8B, L4, 4, 8, 500, 500)


def test_training_rates():
    per_s = training_tokens_per_s(LLAMA_8B, H100, 8)
    assert per_s == pytest.approx(8 * 989e12 * 0.4 / (6 * 8.03e9))
    assert training_hours(LLAMA_8B, H100, 8, per_s * 7200) == pytest.approx(2)
    mixtral = training_tokens_per_s(MIXTRAL, H100, 8)
    assert mixtral == pytest.approx(8 * 989e12 * 0.4 / (6 * 12.9e9))
    assert scale_gpu_hours(100, reference=A100, target=H100) == pytest.approx(100 * 312 / 989)


requests = dict(
    config=st.sampled_from(CONFIGS),
    chip=st.sampled_from(CHIPS),
    input_tokens=st.integers(min_value=1, max_value=8000),
    output_tokens=st.integers(min_value=1, max_value=2000),
    tpot=st.one_of(st.none(), st.floats(min_value=5, max_value=500)),
    ttft=st.one_of(st.none(), st.floats(min_value=50, max_value=20_000)),
)


def _rps(config, chip, input_tokens, output_tokens, slo, **kwargs):
    model, tp = config
    return replica_capacity(model, chip, tp, input_tokens, output_tokens, slo, **kwargs).max_rps


def _at_most(smaller: float, larger: float) -> bool:
    return smaller <= larger * (1 + 1e-9) + 1e-12


@settings(max_examples=150, deadline=None)
@given(**requests, factor=st.floats(min_value=1, max_value=10))
def test_more_bandwidth_never_lowers_capacity(
    config, chip, input_tokens, output_tokens, tpot, ttft, factor
):
    slo = SLO(tpot, ttft)
    faster = replace(chip, bandwidth_gbps=chip.bandwidth_gbps * factor)
    assert _at_most(
        _rps(config, chip, input_tokens, output_tokens, slo),
        _rps(config, faster, input_tokens, output_tokens, slo),
    )


@settings(max_examples=150, deadline=None)
@given(**requests, factor=st.floats(min_value=1, max_value=10), fp8=st.booleans())
def test_more_flops_never_lowers_capacity(
    config, chip, input_tokens, output_tokens, tpot, ttft, factor, fp8
):
    slo = SLO(tpot, ttft)
    faster = replace(
        chip,
        bf16_tflops=chip.bf16_tflops * factor,
        fp8_tflops=chip.fp8_tflops * factor if chip.fp8_tflops else None,
    )
    dtype = "fp8" if fp8 else "bf16"
    assert _at_most(
        _rps(config, chip, input_tokens, output_tokens, slo, weights_dtype=dtype),
        _rps(config, faster, input_tokens, output_tokens, slo, weights_dtype=dtype),
    )


@settings(max_examples=300, deadline=None)
@given(**requests, more=st.integers(min_value=1, max_value=4000))
def test_longer_outputs_never_raise_rps(
    config, chip, input_tokens, output_tokens, tpot, ttft, more
):
    # Without a TPOT limit: under one, a longer output spreads its prompt's chunked prefill over
    # more steps, so TPOT falls and a bucket that missed the limit may meet it.
    slo = SLO(None, ttft)
    assert _at_most(
        _rps(config, chip, input_tokens, output_tokens + more, slo),
        _rps(config, chip, input_tokens, output_tokens, slo),
    )


@settings(max_examples=100, deadline=None)
@given(**requests, more=st.integers(min_value=1, max_value=8000))
def test_longer_inputs_never_raise_rps(config, chip, input_tokens, output_tokens, tpot, ttft, more):
    slo = SLO(tpot, ttft)
    assert _at_most(
        _rps(config, chip, input_tokens + more, output_tokens, slo),
        _rps(config, chip, input_tokens, output_tokens, slo),
    )


@settings(max_examples=150, deadline=None)
@given(
    **requests,
    tighten_tpot=st.floats(min_value=0.05, max_value=1),
    tighten_ttft=st.floats(min_value=0.05, max_value=1),
)
def test_a_tighter_slo_never_raises_capacity(
    config, chip, input_tokens, output_tokens, tpot, ttft, tighten_tpot, tighten_ttft
):
    loose = SLO(tpot, ttft)
    tight = SLO(
        tpot * tighten_tpot if tpot else 50.0,
        ttft * tighten_ttft if ttft else None,
    )
    assert _at_most(
        _rps(config, chip, input_tokens, output_tokens, tight),
        _rps(config, chip, input_tokens, output_tokens, loose),
    )


@settings(max_examples=100, deadline=None)
@given(**requests)
def test_operating_point_meets_the_slo_and_fits(
    config, chip, input_tokens, output_tokens, tpot, ttft
):
    model, tp = config
    capacity = replica_capacity(model, chip, tp, input_tokens, output_tokens, SLO(tpot, ttft))
    if capacity.max_rps == 0:
        assert capacity.reason
        return
    assert capacity.fits and 1 <= capacity.batch <= capacity.max_batch
    if tpot is not None:
        assert capacity.tpot_ms <= tpot * (1 + 1e-9)
    if ttft is not None:
        assert capacity.ttft_ms <= ttft * (1 + 1e-9)
