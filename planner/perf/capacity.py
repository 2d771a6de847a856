"""The requests/s one replica sustains for a request-size bucket within an SLO.

Under continuous batching a replica holds a mean of B requests. Each decode step takes
s(B); every request admitted stalls the batch for its prefill p, and while one request
decodes its `output` tokens about B - 1 others are admitted, so

    TPOT(B) = s(B) + (B - 1) p / output        TTFT(B) = p + s(B)

A request holds its slot for T(B) = p + output x TPOT(B), so the replica serves B / T(B)
requests/s. B is the largest mean batch that fits in memory, the engine's sequence cap and
the SLO; B / T(B) grows with B, so that is also the highest rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from planner.facts.accelerators import Accelerator
from planner.facts.llms import LLM
from planner.perf.dtypes import Dtype, as_dtype, as_kv_dtype
from planner.perf.memory import memory_fit
from planner.perf.profiles import ProfilePoint, Profiles
from planner.perf.roofline import decode_step_seconds, prefill_seconds
from planner.perf.settings import DEFAULT_SETTINGS, PerfSettings
from planner.perf.slo import NO_SLO, SLO

_BATCH_CEILING = float(2**24)
_BISECTIONS = 24


@dataclass(frozen=True)
class Capacity:
    """What one TP-wide replica delivers for one bucket: the figures the solver consumes."""

    model: str
    accelerator: str
    tp: int
    input_tokens: int
    output_tokens: int
    weights_dtype: Dtype
    kv_dtype: Dtype
    slo: SLO
    fits: bool
    max_batch: int
    """Most concurrent sequences of this bucket: KV-cache memory and the engine's cap."""
    batch: float
    """Mean concurrent requests at the roofline operating point (0 when the SLO cannot be met)."""
    kv_bytes_per_token: int
    ttft_ms: float | None
    tpot_ms: float | None
    tokens_per_s: float
    """Output tokens/s at the operating point."""
    max_rps: float
    limited_by: str
    """"memory", "max_num_seqs", "tpot", "ttft", "profile" or "" when the replica cannot serve."""
    source: str
    """"roofline" or "profile"."""
    reason: str = ""
    """Why max_rps is 0, or which measurement a profile figure comes from."""


def _timing(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    weights_dtype: Dtype,
    kv_dtype: Dtype,
    settings: PerfSettings,
) -> tuple[float, Callable[[float], float], Callable[[float], float]]:
    """Prefill seconds, and TPOT(B) and TTFT(B) in seconds as functions of the mean batch."""
    prefill = prefill_seconds(model, accelerator, tp, input_tokens, weights_dtype, settings)
    mean_context = input_tokens + output_tokens / 2

    def step(batch: float) -> float:
        return decode_step_seconds(
            model, accelerator, tp, batch, mean_context, weights_dtype, kv_dtype, settings
        )

    def tpot(batch: float) -> float:
        return step(batch) + (batch - 1) * prefill / output_tokens

    def ttft(batch: float) -> float:
        return prefill + step(batch)

    return prefill, tpot, ttft


def _largest_batch(ok: Callable[[float], bool], ceiling: float = _BATCH_CEILING) -> float:
    """The largest B in [1, ceiling] with ok(B), for ok true at 1 and monotone; fixed grid, so
    a weaker condition never yields a smaller B. Above `ceiling` another limit binds anyway."""
    if ok(ceiling):
        return ceiling
    low, high = 1.0, ceiling
    for _ in range(_BISECTIONS):
        middle = (low + high) / 2
        if ok(middle):
            low = middle
        else:
            high = middle
    return low


def roofline_capacity(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    slo: SLO = NO_SLO,
    settings: PerfSettings = DEFAULT_SETTINGS,
    weights_dtype: str | Dtype = Dtype.bf16,
    kv_dtype: str | Dtype = Dtype.bf16,
) -> Capacity:
    """Replica capacity from the roofline model alone (see the module docstring)."""
    weights_dtype, kv_dtype = as_dtype(weights_dtype), as_kv_dtype(kv_dtype)
    if input_tokens < 1 or output_tokens < 1:
        raise ValueError(
            f"input and output tokens must be at least 1, got {input_tokens}, {output_tokens}"
        )
    fit = memory_fit(
        model, accelerator, tp, input_tokens + output_tokens, 1, weights_dtype, kv_dtype, settings
    )
    result = Capacity(
        model=model.name,
        accelerator=accelerator.name,
        tp=tp,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        weights_dtype=weights_dtype,
        kv_dtype=kv_dtype,
        slo=slo,
        fits=fit.fits,
        max_batch=min(fit.max_batch, settings.max_num_seqs or fit.max_batch),
        batch=0.0,
        kv_bytes_per_token=fit.kv_bytes_per_token,
        ttft_ms=None,
        tpot_ms=None,
        tokens_per_s=0.0,
        max_rps=0.0,
        limited_by="",
        source="roofline",
        reason=fit.reason,
    )
    if not fit.fits:
        return result
    prefill, tpot, ttft = _timing(
        model, accelerator, tp, input_tokens, output_tokens, weights_dtype, kv_dtype, settings
    )
    misses = _slo_misses(slo, tpot(1.0), ttft(1.0))
    if misses:
        return replace(
            result,
            ttft_ms=ttft(1.0) * 1e3,
            tpot_ms=tpot(1.0) * 1e3,
            reason=f"SLO not met even at batch 1: {misses}",
        )
    limits = {"memory": float(fit.max_batch)}
    if settings.max_num_seqs is not None:
        limits["max_num_seqs"] = float(settings.max_num_seqs)
    ceiling = min(limits.values())
    if slo.tpot_ms is not None:
        limits["tpot"] = _largest_batch(lambda b: tpot(b) * 1e3 <= slo.tpot_ms, ceiling)
    if slo.ttft_ms is not None:
        limits["ttft"] = _largest_batch(lambda b: ttft(b) * 1e3 <= slo.ttft_ms, ceiling)
    limited_by = min(limits, key=lambda k: limits[k])
    batch = limits[limited_by]
    tpot_s = tpot(batch)
    max_rps = batch / (prefill + output_tokens * tpot_s)
    return replace(
        result,
        batch=batch,
        ttft_ms=ttft(batch) * 1e3,
        tpot_ms=tpot_s * 1e3,
        tokens_per_s=max_rps * output_tokens,
        max_rps=max_rps,
        limited_by=limited_by,
    )


def _slo_misses(slo: SLO, tpot_s: float, ttft_s: float) -> str:
    misses = []
    if slo.tpot_ms is not None and tpot_s * 1e3 > slo.tpot_ms:
        misses.append(f"TPOT {tpot_s * 1e3:.1f} ms > {slo.tpot_ms:g} ms")
    if slo.ttft_ms is not None and ttft_s * 1e3 > slo.ttft_ms:
        misses.append(f"TTFT {ttft_s * 1e3:.1f} ms > {slo.ttft_ms:g} ms")
    return "; ".join(misses)


def replica_capacity(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    slo: SLO = NO_SLO,
    settings: PerfSettings = DEFAULT_SETTINGS,
    weights_dtype: str | Dtype = Dtype.bf16,
    kv_dtype: str | Dtype = Dtype.bf16,
    profiles: Profiles | None = None,
) -> Capacity:
    """Max requests/s one replica of `tp` accelerators sustains for a bucket within `slo`.

    A usable measured profile (same model, accelerator, TP and dtypes, measured under an SLO at
    least as strict) overrides the roofline; otherwise the roofline decides.
    """
    estimate = roofline_capacity(
        model, accelerator, tp, input_tokens, output_tokens, slo, settings, weights_dtype, kv_dtype
    )
    if not profiles:
        return estimate

    def scale(point: ProfilePoint) -> float:
        measured = roofline_capacity(
            model,
            accelerator,
            tp,
            point.input_tokens,
            point.output_tokens,
            slo,
            settings,
            estimate.weights_dtype,
            estimate.kv_dtype,
        ).max_rps
        return estimate.max_rps / measured if measured > 0 else 0.0

    found = profiles.estimate(
        model.name,
        accelerator.name,
        tp,
        input_tokens,
        output_tokens,
        slo,
        estimate.weights_dtype,
        estimate.kv_dtype,
        scale,
    )
    if found is None:
        return estimate
    measured_slo = found.point.slo
    return replace(
        estimate,
        fits=True,
        ttft_ms=measured_slo.ttft_ms if measured_slo.ttft_ms is not None else estimate.ttft_ms,
        tpot_ms=measured_slo.tpot_ms if measured_slo.tpot_ms is not None else estimate.tpot_ms,
        tokens_per_s=found.max_rps * output_tokens,
        max_rps=found.max_rps,
        limited_by="profile",
        source="profile",
        reason=f"{found.method} from the measurement at {found.point.where or found.point.bucket}",
    )
