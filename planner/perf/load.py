"""What one replica delivers under a given load: N requests kept in flight (a closed loop, as
benchmark clients run) or R requests/s arriving at random (an open loop, as production
traffic): TTFT and TPOT percentiles, throughput, and whether requests queue for a slot.

The running batch is bounded by the engine's admission limit (planner.perf.admission). In a
closed loop of N above that limit B, N - B requests always wait, so every request waits
about (N - B) / max_rps(B) for a slot before its prefill (Little's law). In an open loop the
slots are c = B servers of an M/M/c queue whose per-slot rate is max_rps(B) / B: requests wait
with probability C (Erlang C), exponentially at rate c mu - R; R at or above max_rps(B) is
more than the replica can ever serve, and the queue grows without bound.

TTFT is the prompt's prefill, the wait behind other prompts' prefills (zero with probability
1 - rho, exponential otherwise, with the mean of planner.perf.capacity), the step that emits
the first token and the slot wait; percentiles come from that distribution. TPOT is the mean
step time at the batch: the model has no spread for it, so its percentiles equal the mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.facts.accelerators import Accelerator
from planner.facts.llms import LLM
from planner.perf.capacity import BucketTiming, largest_batch, roofline_capacity
from planner.perf.dtypes import Dtype, as_dtype, as_kv_dtype
from planner.perf.settings import DEFAULT_SETTINGS, PerfSettings
from planner.perf.slo import NO_SLO
from planner.queueing.mmc import erlang_c

PERCENTILES = (0.5, 0.9, 0.99)


@dataclass(frozen=True)
class Latency:
    """A latency's mean and percentiles, in milliseconds."""

    mean: float
    p50: float
    p90: float
    p99: float


@dataclass(frozen=True)
class LoadEstimate:
    """One replica under a load (see the module docstring)."""

    mode: str
    """"concurrency" (a closed loop) or "rate" (an open loop)."""
    load: float
    """Requests kept in flight, or requests/s arriving."""
    stable: bool
    """False when the rate is at or above what the replica can serve (the queue grows)."""
    queueing: bool
    """Requests wait for a slot in the running batch (some, at a rate; all, at a concurrency
    above the admission limit)."""
    admission_limit: float
    """Most requests the engine runs at once for this request size."""
    limited_by: str
    """What sets the admission limit: memory (KV cache), max_num_seqs or max_batched_tokens."""
    batch: float
    """Mean running batch."""
    in_flight: float
    """Mean requests in the replica, running or waiting."""
    requests_per_s: float
    tokens_per_s: float
    """Output tokens/s."""
    prob_wait: float
    """Share of requests that wait for a slot."""
    slot_wait_ms: float
    """Mean wait for a slot."""
    ttft_ms: Latency | None
    tpot_ms: Latency | None
    reason: str = ""


def _prefill_wait(timing: BucketTiming, batch: float) -> tuple[float, float]:
    """(probability a prompt waits behind others, mean of that wait when it does, seconds)."""
    busy = timing.prefill_compute
    rho = timing.rps(batch) * busy * max(0.0, batch - 1) / batch
    if rho <= 0:
        return 0.0, 0.0
    return rho, busy / (2 * (1 - rho))


def _tail(t: float, a: float, alpha: float, b: float, beta: float) -> float:
    """P(X + Y > t): X is 0 with probability 1 - a, else exponential with mean alpha; Y the
    same with b and beta."""
    out = 0.0
    ea = math.exp(-t / alpha) if a > 0 and alpha > 0 else 0.0
    eb = math.exp(-t / beta) if b > 0 and beta > 0 else 0.0
    out += a * (1 - b) * ea + b * (1 - a) * eb
    if a > 0 and b > 0 and alpha > 0 and beta > 0:
        if abs(alpha - beta) < 1e-12 * max(alpha, beta):
            both = math.exp(-t / alpha) * (1 + t / alpha)
        else:
            both = (alpha * ea - beta * eb) / (alpha - beta)
        out += a * b * both
    return out


def _quantile(q: float, a: float, alpha: float, b: float, beta: float) -> float:
    """The q-quantile of X + Y (as in _tail)."""
    target = 1 - q
    if _tail(0.0, a, alpha, b, beta) <= target:
        return 0.0
    low, high = 0.0, max(alpha, beta, 1e-9)
    while _tail(high, a, alpha, b, beta) > target:
        low, high = high, high * 2
    for _ in range(100):
        middle = (low + high) / 2
        if _tail(middle, a, alpha, b, beta) > target:
            low = middle
        else:
            high = middle
    return high


def _latencies(fixed: float, a: float, alpha: float, b: float, beta: float) -> Latency:
    """`fixed` seconds plus the two waits, in milliseconds."""
    values = [1e3 * (fixed + _quantile(q, a, alpha, b, beta)) for q in PERCENTILES]
    return Latency(1e3 * (fixed + a * alpha + b * beta), *values)


def _setup(model, accelerator, tp, input_tokens, output_tokens, settings, weights_dtype,
           kv_dtype):  # fmt: skip
    weights_dtype = as_dtype(weights_dtype)
    kv_dtype = as_kv_dtype(settings.kv_cache_dtype or kv_dtype)
    full = roofline_capacity(model, accelerator, tp, input_tokens, output_tokens, NO_SLO,
                             settings, weights_dtype, kv_dtype)  # fmt: skip
    timing = None
    if full.fits:
        timing = BucketTiming(model, accelerator, tp, input_tokens, output_tokens, weights_dtype,
                         kv_dtype, settings)  # fmt: skip
    return full, timing


def _unfit(mode: str, load: float, reason: str) -> LoadEstimate:
    return LoadEstimate(mode, load, False, False, 0.0, "", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None,
                        None, reason)  # fmt: skip


def at_concurrency_load(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    concurrency: float,
    settings: PerfSettings = DEFAULT_SETTINGS,
    weights_dtype: str | Dtype = Dtype.bf16,
    kv_dtype: str | Dtype = Dtype.bf16,
) -> LoadEstimate:
    """The replica with `concurrency` requests kept in flight (see the module docstring)."""
    if not (math.isfinite(concurrency) and concurrency >= 1):
        raise ValueError(f"concurrency must be at least 1, got {concurrency!r}")
    full, timing = _setup(model, accelerator, tp, input_tokens, output_tokens, settings,
                          weights_dtype, kv_dtype)  # fmt: skip
    if timing is None:
        return _unfit("concurrency", concurrency, full.reason)
    batch = min(float(concurrency), full.batch)
    rps = timing.rps(batch)
    slot = (concurrency - batch) / rps if concurrency > batch else 0.0
    rho, mean = _prefill_wait(timing, batch)
    fixed = timing.prefill + timing.first_step(batch) + slot
    tpot = timing.tpot(batch) * 1e3
    return LoadEstimate(
        mode="concurrency",
        load=float(concurrency),
        stable=True,
        queueing=concurrency > batch,
        admission_limit=full.batch,
        limited_by=full.limited_by,
        batch=batch,
        in_flight=float(concurrency),
        requests_per_s=rps,
        tokens_per_s=rps * output_tokens,
        prob_wait=1.0 if concurrency > batch else 0.0,
        slot_wait_ms=slot * 1e3,
        ttft_ms=_latencies(fixed, rho, mean, 0.0, 0.0),
        tpot_ms=Latency(tpot, tpot, tpot, tpot),
    )


def at_rate_load(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    rps: float,
    settings: PerfSettings = DEFAULT_SETTINGS,
    weights_dtype: str | Dtype = Dtype.bf16,
    kv_dtype: str | Dtype = Dtype.bf16,
) -> LoadEstimate:
    """The replica with requests arriving at random at `rps` per second (see the module
    docstring)."""
    if not (math.isfinite(rps) and rps > 0):
        raise ValueError(f"rate must be above 0 requests/s, got {rps!r}")
    full, timing = _setup(model, accelerator, tp, input_tokens, output_tokens, settings,
                          weights_dtype, kv_dtype)  # fmt: skip
    if timing is None:
        return _unfit("rate", rps, full.reason)
    limit = full.batch
    top = timing.rps(limit)
    if rps >= top * (1 - 1e-9):
        return LoadEstimate(
            mode="rate", load=rps, stable=False, queueing=True, admission_limit=limit,
            limited_by=full.limited_by, batch=limit, in_flight=math.inf, requests_per_s=top,
            tokens_per_s=top * output_tokens, prob_wait=1.0, slot_wait_ms=math.inf,
            ttft_ms=None, tpot_ms=None,
            reason=f"{rps:g} requests/s is at or above the {top:.4g} requests/s the replica "
            f"serves at its admission limit of {limit:.0f} requests: the queue grows without "
            "bound",
        )  # fmt: skip
    batch = 1.0
    if rps > timing.rps(1.0):
        batch = largest_batch(lambda b: timing.rps(b) <= rps, limit)
    slots = max(1, math.floor(limit))
    per_slot = top / limit
    prob_wait = erlang_c(slots, rps / per_slot) if rps < slots * per_slot else 1.0
    drain = slots * per_slot - rps
    slot_mean = 1 / drain if drain > 0 else math.inf
    rho, mean = _prefill_wait(timing, batch)
    fixed = timing.prefill + timing.first_step(batch)
    ttft = _latencies(fixed, rho, mean, prob_wait, slot_mean)
    tpot = timing.tpot(batch) * 1e3
    latency_s = ttft.mean / 1e3 + (output_tokens - 1) * tpot / 1e3
    return LoadEstimate(
        mode="rate",
        load=rps,
        stable=True,
        queueing=prob_wait >= 0.01,
        admission_limit=limit,
        limited_by=full.limited_by,
        batch=batch,
        in_flight=rps * latency_s,
        requests_per_s=rps,
        tokens_per_s=rps * output_tokens,
        prob_wait=prob_wait,
        slot_wait_ms=prob_wait * slot_mean * 1e3,
        ttft_ms=ttft,
        tpot_ms=Latency(tpot, tpot, tpot, tpot),
    )
