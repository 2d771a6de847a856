"""Admission limits per engine and the replica under load (planner.perf.admission, .load)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.facts import find_accelerator, find_llm
from planner.facts.engine_defaults import engine_defaults
from planner.perf import PerfSettings, replica_capacity
from planner.perf.admission import admission
from planner.perf.load import at_concurrency_load, at_rate_load

LLAMA_8B = find_llm("llama-3.1-8b")
LLAMA_70B = find_llm("llama-3.3-70b")
H100 = find_accelerator("H100")
A10G = find_accelerator("A10G")


def test_engines_apply_their_own_default_limits_per_version():
    vllm_h100 = admission(H100, PerfSettings(engine="vllm"))
    vllm_a10g = admission(A10G, PerfSettings(engine="vllm"))
    assert (vllm_h100.max_num_seqs, vllm_h100.max_batched_tokens) == (256, 8192)
    assert vllm_a10g.max_batched_tokens == 2048  # vLLM 0.8.5's default off H100/H200
    old = admission(A10G, PerfSettings(engine="vllm", engine_version="0.4.3"))
    assert not old.chunked_prefill and not old.prefix_caching
    trt = admission(H100, PerfSettings(engine="trt-llm"))
    assert trt.output_reserved == 1.0 and trt.max_num_seqs == 2048
    assert engine_defaults("sglang").max_num_seqs is None


def test_settings_a_user_gives_override_the_engine_defaults():
    rules = admission(A10G, PerfSettings(max_num_seqs=64, max_batched_tokens=4096))
    assert (rules.max_num_seqs, rules.max_batched_tokens) == (64, 4096)
    capped = replica_capacity(LLAMA_8B, H100, 1, 200, 200, settings=PerfSettings(max_num_seqs=64))
    assert capped.max_batch == 64 and capped.limited_by == "max_num_seqs"


def test_reserving_the_whole_output_admits_fewer_requests_than_paging_on_demand():
    paged = replica_capacity(LLAMA_70B, H100, 2, 1000, 4000, settings=PerfSettings(
        max_num_seqs=10_000, engine="vllm"), weights_dtype="fp8", kv_dtype="fp8")  # fmt: skip
    reserved = replica_capacity(LLAMA_70B, H100, 2, 1000, 4000, settings=PerfSettings(
        max_num_seqs=10_000, engine="trt-llm"), weights_dtype="fp8", kv_dtype="fp8")  # fmt: skip
    assert reserved.max_batch < paged.max_batch
    assert reserved.max_batch == pytest.approx(paged.max_batch * 3000 / 5000, rel=0.02)


def test_above_the_admission_limit_requests_wait_for_a_slot_in_a_closed_loop():
    under = at_concurrency_load(LLAMA_8B, A10G, 1, 2000, 200, 2)
    limit = under.admission_limit
    over = at_concurrency_load(LLAMA_8B, A10G, 1, 2000, 200, 4 * limit)
    assert not under.queueing and over.queueing
    assert over.batch == pytest.approx(limit)
    # Little's law: the 3 x limit requests beyond the batch are served at the full rate
    wait_s = 3 * limit / over.requests_per_s
    assert over.slot_wait_ms == pytest.approx(wait_s * 1e3, rel=1e-9)
    assert over.ttft_ms.mean > wait_s * 1e3 > under.ttft_ms.mean


def test_a_rate_beyond_what_the_replica_serves_is_reported_unstable():
    top = replica_capacity(LLAMA_8B, A10G, 1, 500, 200).max_rps
    calm = at_rate_load(LLAMA_8B, A10G, 1, 500, 200, 0.2 * top)
    busy = at_rate_load(LLAMA_8B, A10G, 1, 500, 200, 0.98 * top)
    over = at_rate_load(LLAMA_8B, A10G, 1, 500, 200, 1.1 * top)
    assert calm.stable and not calm.queueing and calm.prob_wait < 0.01
    assert busy.stable and busy.ttft_ms.p99 > calm.ttft_ms.p99
    assert (
        not over.stable
        and over.queueing
        and over.ttft_ms is None
        and "without bound" in over.reason
    )


@settings(max_examples=30, deadline=None)
@given(share=st.floats(0.05, 0.97), prompt=st.integers(50, 4000), output=st.integers(20, 1000))
def test_ttft_percentiles_are_ordered_and_the_rate_is_served(share, prompt, output):
    top = replica_capacity(LLAMA_8B, H100, 1, prompt, output).max_rps
    load = at_rate_load(LLAMA_8B, H100, 1, prompt, output, share * top)
    t = load.ttft_ms
    assert load.stable and t.p50 <= t.p90 <= t.p99
    assert load.requests_per_s == pytest.approx(share * top)
    assert load.batch <= load.admission_limit


def test_a_prefix_cache_hit_rate_cuts_prefill_and_ttft():
    cold = at_concurrency_load(LLAMA_8B, H100, 1, 4000, 200, 8)
    warm = at_concurrency_load(LLAMA_8B, H100, 1, 4000, 200, 8, PerfSettings(prefix_hit_rate=0.75))
    off = at_concurrency_load(LLAMA_8B, H100, 1, 4000, 200, 8,
                              PerfSettings(prefix_hit_rate=0.75, prefix_caching=False))  # fmt: skip
    assert warm.ttft_ms.mean < 0.5 * cold.ttft_ms.mean
    assert off.ttft_ms.mean == pytest.approx(cold.ttft_ms.mean)
    assert (
        replica_capacity(
            LLAMA_8B, H100, 1, 4000, 200, settings=PerfSettings(prefix_hit_rate=0.75)
        ).max_rps
        > replica_capacity(LLAMA_8B, H100, 1, 4000, 200).max_rps
    )


def test_bad_settings_name_the_field():
    with pytest.raises(ValueError, match="prefix_hit_rate"):
        PerfSettings(prefix_hit_rate=1.0)
    with pytest.raises(ValueError, match="max_batched_tokens"):
        PerfSettings(max_batched_tokens=0)
    with pytest.raises(ValueError, match="concurrency"):
        at_concurrency_load(LLAMA_8B, H100, 1, 100, 100, 0)
