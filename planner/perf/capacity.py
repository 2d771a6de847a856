"""The requests/s one replica sustains for a request-size bucket within an SLO.

Under continuous batching with chunked prefill a replica holds a mean of B requests decoding.
Each request stays for `output` steps, so in steady state every step also prefills the prompts
of the B / output requests that arrive per step: P(B) = B x input / output prompt tokens, in the
same forward pass (the weights are read once for all of them). With t(B) that step's time,

    TPOT(B) = t(B)                    max_rps(B) = B / (output x t(B))
    TTFT(B) = p + W(B) + t1(B)        W(B) = rho c / (2 (1 - rho)),  rho = max_rps(B) c (B-1)/B

where p is one prompt's prefill on its own, t1(B) the step with the other requests' prefill
share that emits the first token, c the compute it adds to shared steps, and W the
mean wait behind the other B - 1 requests' prefills (an M/D/1 queue of prefill compute).
B is the largest mean batch within the engine's admission limit (planner.perf.admission: the
KV cache at what each admitted request reserves, the engine's sequence and per-step token
caps) and the SLO; max_rps(B) grows with B. With a prefix-cache hit rate h only (1 - h) of
each prompt is prefilled.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from planner.facts.accelerators import Accelerator
from planner.facts.llms import LLM
from planner.perf.admission import Admission, admission
from planner.perf.bisect import bracket, halvings
from planner.perf.dtypes import Dtype, as_dtype, as_kv_dtype
from planner.perf.efficiency import efficiency
from planner.perf.engines import engine_factor
from planner.perf.memory import memory_fit
from planner.perf.profiles import ProfilePoint, Profiles
from planner.perf.roofline import (
    StepModel,
    peak_flops,
    prefill_flops_per_token,
    prefill_seconds,
    step_model,
)
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
    """Most concurrent sequences of this bucket: the paged KV cache (mean context) and the
    engine's cap."""
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
    """Where max_rps comes from: "roofline" (modelled), "profile" (a measured profile cell for
    this very bucket) or "derived" (from a measured cell of another bucket: a larger bucket's
    rate, or a neighbour's scaled by the roofline; `reason` says which)."""
    reason: str = ""
    """Why max_rps is 0, or which measurement a profile figure comes from."""
    prefill_s: float = 0.0
    """Replica seconds one request's prefill takes: its prompt prefilled on its own."""
    decode_s: float = 0.0
    """Replica seconds one request's decode takes: its output tokens' share of the decode steps
    at the operating batch (output x decode step(batch) / batch)."""

    @property
    def prefill_share(self) -> float | None:
        """Share of a request's replica time spent on prefill (input tokens); the rest is
        decode (output tokens). None when the replica cannot serve the bucket."""
        total = self.prefill_s + self.decode_s
        return self.prefill_s / total if total > 0 else None


def prefill_share(capacities: Sequence[Capacity | None], requests: Sequence[float]) -> float | None:
    """Share of replica time spent on prefill for a request mix: `requests` per bucket (rates
    or fractions) weight each bucket's prefill and decode seconds. None when no bucket with
    requests has capacity figures."""
    prefill = decode = 0.0
    for capacity, weight in zip(capacities, requests, strict=True):
        if capacity is None or weight <= 0 or capacity.prefill_s + capacity.decode_s <= 0:
            continue
        prefill += weight * capacity.prefill_s
        decode += weight * capacity.decode_s
    total = prefill + decode
    return prefill / total if total > 0 else None


@dataclass(frozen=True)
class BucketTiming:
    """TPOT, TTFT and max_rps of one bucket as functions of the mean batch B (seconds, 1/s)."""

    model: LLM
    accelerator: Accelerator
    tp: int
    input_tokens: int
    output_tokens: int
    weights_dtype: Dtype
    kv_dtype: Dtype
    settings: PerfSettings
    _steps: StepModel = field(init=False, repr=False, compare=False)
    _context: float = field(init=False, repr=False, compare=False)
    _prompt: float = field(init=False, repr=False, compare=False)
    """Prompt tokens prefilled per request: those the prefix cache does not hold."""
    prefill: float = field(init=False, repr=False, compare=False)
    """One prompt's prefill on an otherwise idle replica (seconds)."""
    prefill_compute: float = field(init=False, repr=False, compare=False)
    """The compute one prompt adds to the steps it shares (its weight reads are shared):
    what other prompts queue behind (seconds)."""

    def __post_init__(self) -> None:
        # worked out once per replica and bucket: the batch searches ask thousands of steps
        steps = step_model(self.model, self.accelerator, self.tp, self.weights_dtype,
                           self.kv_dtype, self.settings)  # fmt: skip
        object.__setattr__(self, "_steps", steps)
        object.__setattr__(self, "_context", self.input_tokens + self.output_tokens / 2)
        hit = admission(self.accelerator, self.settings).hit(self.input_tokens)
        object.__setattr__(self, "_prompt", self.input_tokens * (1 - hit))
        object.__setattr__(self, "prefill", self._prefill())
        object.__setattr__(self, "prefill_compute", self._prefill_compute())

    def _prefill(self) -> float:
        """One prompt's prefill on an otherwise idle replica."""
        return prefill_seconds(
            self.model, self.accelerator, self.tp, self._prompt, self.weights_dtype,
            self.settings, context_tokens=self.input_tokens,
        )  # fmt: skip

    def tpot(self, batch: float) -> float:
        """The step time at mean batch `batch`, with its share of chunked prefill."""
        return self._steps.seconds(
            batch, self._context, batch * self._prompt / self.output_tokens, self.input_tokens
        )

    def decode_step(self, batch: float) -> float:
        """The step time at mean batch `batch` without any prefill in it."""
        return self._steps.seconds(batch, self._context, 0.0, 0.0)

    def rps(self, batch: float) -> float:
        """Requests/s completed at mean batch `batch`."""
        return batch / (self.output_tokens * self.tpot(batch))

    def ttft(self, batch: float, prefill: float | None = None) -> float:
        """Mean time to first token at mean batch `batch`: the prompt's own prefill, the wait
        behind other prompts' prefills, and one step."""
        p = self.prefill if prefill is None else prefill
        busy = self.prefill_compute
        rho = self.rps(batch) * busy * max(0.0, batch - 1) / batch
        if rho >= 1:
            return math.inf
        return p + rho * busy / (2 * (1 - rho)) + self.first_step(batch)

    def first_step(self, batch: float) -> float:
        """The step that produces the first token: the batch's decode and the other requests'
        share of prefill (this request's own prompt is already in p)."""
        return self._steps.seconds(
            batch, self._context, max(0.0, batch - 1) * self._prompt / self.output_tokens,
            self.input_tokens,
        )  # fmt: skip

    def _prefill_compute(self) -> float:
        """The compute one prompt adds to the steps it shares (its weight reads are shared):
        what other prompts queue behind."""
        eff = efficiency(self.accelerator, self.settings)
        flops = self._prompt * prefill_flops_per_token(self.model, self.input_tokens)
        peak = peak_flops(self.accelerator, self.weights_dtype)
        return flops / (self.tp * eff.mfu * engine_factor(self.settings.engine) * peak)


def paged_batch_limit(kv_capacity_tokens: int, input_tokens: int, output_tokens: int,
                      settings: PerfSettings, rules: Admission) -> float:  # fmt: skip
    """Concurrent sequences the KV cache admits: each holds what the engine reserves for it
    (planner.perf.admission)."""
    held = rules.kv_tokens_held(input_tokens, output_tokens, settings.kv_block_tokens)
    return kv_capacity_tokens / held


def largest_batch(
    ok: Callable[[float], bool],
    ceiling: float = _BATCH_CEILING,
    value: Callable[[float], float] | None = None,
) -> float:
    """The largest B in [1, ceiling] with ok(B), for ok true at 1 and monotone; fixed grid, so
    a weaker condition never yields a smaller B. Above `ceiling` another limit binds anyway.
    `value`, where given, is increasing with ok(B) exactly when value(B) <= 0: the same grid
    point is then found with fewer calls (planner.perf.bisect)."""
    if value is None:
        if ok(ceiling):
            return ceiling
        return halvings(ok, 1.0, ceiling, _BISECTIONS)
    at_ceiling = value(ceiling)
    if at_ceiling <= 0:
        return ceiling
    true_to, false_from = bracket(value, 1.0, value(1.0), ceiling, at_ceiling,
                                  (ceiling - 1.0) / 2 ** (_BISECTIONS + 2))  # fmt: skip
    return halvings(ok, 1.0, ceiling, _BISECTIONS, true_to, false_from)


@lru_cache(maxsize=65536)
def _tpot_limit(timing: BucketTiming, ceiling: float, tpot_ms: float) -> float:
    """Largest mean batch within `tpot_ms` (cached: SLOs differing only in TTFT share it)."""
    return largest_batch(lambda b: timing.tpot(b) * 1e3 <= tpot_ms, ceiling,
                         lambda b: timing.tpot(b) * 1e3 - tpot_ms)  # fmt: skip


@lru_cache(maxsize=65536)
def _ttft_limit(timing: BucketTiming, ceiling: float, ttft_ms: float) -> float:
    """Largest mean batch within `ttft_ms` (cached: SLOs differing only in TPOT share it)."""
    prefill = timing.prefill
    return largest_batch(lambda b: timing.ttft(b, prefill) * 1e3 <= ttft_ms, ceiling,
                         lambda b: timing.ttft(b, prefill) * 1e3 - ttft_ms)  # fmt: skip


@lru_cache(maxsize=65536)
def _unconstrained(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    weights_dtype: Dtype,
    kv_dtype: Dtype,
    settings: PerfSettings,
) -> tuple[Capacity, BucketTiming | None, tuple[tuple[str, float], ...]]:
    """What a bucket's capacity needs before any SLO (cached: every SLO of a fleet asks the
    same (model, accelerator, TP, request size, engine settings)): the figures that do not
    depend on it, the timing (None when the weights do not fit) and the admission limits on
    the mean batch, in the order ties are broken."""
    fit = memory_fit(
        model, accelerator, tp, input_tokens + output_tokens, 1, weights_dtype, kv_dtype, settings
    )
    rules = admission(accelerator, settings)
    held = fit.max_batch
    if fit.fits:
        held = paged_batch_limit(fit.kv_capacity_tokens, input_tokens, output_tokens, settings,
                                 rules)  # fmt: skip
        held = max(1, int(held))
    result = Capacity(
        model=model.name,
        accelerator=accelerator.name,
        tp=tp,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        weights_dtype=weights_dtype,
        kv_dtype=kv_dtype,
        slo=NO_SLO,
        fits=fit.fits,
        max_batch=min(held, rules.max_num_seqs or held),
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
        return result, None, ()
    timing = BucketTiming(
        model, accelerator, tp, input_tokens, output_tokens, weights_dtype, kv_dtype, settings
    )
    limits = [
        ("memory", float(held)),
        ("max_batched_tokens", rules.token_budget_batch(input_tokens, output_tokens)),
    ]
    if rules.max_num_seqs is not None:
        limits.append(("max_num_seqs", float(rules.max_num_seqs)))
    return result, timing, tuple(limits)


@lru_cache(maxsize=65536)
def _at_batch_one(timing: BucketTiming) -> tuple[float, float]:
    """TPOT and TTFT (seconds) at batch 1: what the SLO is checked against first."""
    return timing.tpot(1.0), timing.ttft(1.0, timing.prefill)


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
    weights_dtype = as_dtype(weights_dtype)
    kv_dtype = as_kv_dtype(settings.kv_cache_dtype or kv_dtype)
    if input_tokens < 1 or output_tokens < 1:
        raise ValueError(
            f"input and output tokens must be at least 1, got {input_tokens}, {output_tokens}"
        )
    result, timing, admitted = _unconstrained(
        model, accelerator, tp, input_tokens, output_tokens, weights_dtype, kv_dtype, settings
    )
    if timing is None:
        return replace(result, slo=slo)
    prefill = timing.prefill
    tpot_1, ttft_1 = _at_batch_one(timing)
    misses = _slo_misses(slo, tpot_1, ttft_1)
    if misses:
        return replace(
            result,
            slo=slo,
            ttft_ms=ttft_1 * 1e3,
            tpot_ms=tpot_1 * 1e3,
            reason=f"SLO not met even at batch 1: {misses}",
        )
    limits = dict(admitted)
    ceiling = min(limits.values())
    if slo.tpot_ms is not None:
        limits["tpot"] = _tpot_limit(timing, ceiling, slo.tpot_ms)
    if slo.ttft_ms is not None:
        limits["ttft"] = _ttft_limit(timing, ceiling, slo.ttft_ms)
    limited_by = min(limits, key=lambda k: limits[k])
    batch = limits[limited_by]
    max_rps = timing.rps(batch)
    return replace(
        result,
        slo=slo,
        batch=batch,
        ttft_ms=timing.ttft(batch, prefill) * 1e3,
        tpot_ms=timing.tpot(batch) * 1e3,
        tokens_per_s=max_rps * output_tokens,
        max_rps=max_rps,
        limited_by=limited_by,
        prefill_s=prefill,
        decode_s=output_tokens * timing.decode_step(batch) / batch,
    )


@dataclass(frozen=True)
class LoadFigures:
    """What a replica delivers with `concurrency` requests kept in flight (a closed loop)."""

    batch: float
    tokens_per_s: float
    tpot_ms: float
    ttft_ms: float


def at_concurrency(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    concurrency: float,
    settings: PerfSettings = DEFAULT_SETTINGS,
    weights_dtype: str | Dtype = Dtype.bf16,
    kv_dtype: str | Dtype = Dtype.bf16,
) -> LoadFigures | None:
    """Throughput, TPOT and TTFT with `concurrency` requests in flight (None: does not fit).

    Up to the largest batch every request decodes; beyond it the rest wait for a slot, which
    adds (concurrency - batch) / max_rps to TTFT (Little's law)."""
    weights_dtype = as_dtype(weights_dtype)
    kv_dtype = as_kv_dtype(settings.kv_cache_dtype or kv_dtype)
    full = roofline_capacity(model, accelerator, tp, input_tokens, output_tokens, NO_SLO,
                             settings, weights_dtype, kv_dtype)  # fmt: skip
    if not full.fits:
        return None
    timing = BucketTiming(model, accelerator, tp, input_tokens, output_tokens, weights_dtype,
                     kv_dtype, settings)  # fmt: skip
    batch = min(float(concurrency), full.batch)
    ttft = timing.ttft(batch)
    if concurrency > batch:
        ttft += (concurrency - batch) / timing.rps(batch)
    return LoadFigures(batch, timing.rps(batch) * output_tokens, timing.tpot(batch) * 1e3,
                       ttft * 1e3)  # fmt: skip


def at_rate(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    rps: float,
    settings: PerfSettings = DEFAULT_SETTINGS,
    weights_dtype: str | Dtype = Dtype.bf16,
    kv_dtype: str | Dtype = Dtype.bf16,
) -> LoadFigures | None:
    """Throughput, TPOT and TTFT when requests arrive at `rps` per second (an open loop), from
    the same TPOT(B) and TTFT(B) as the capacity (None: does not fit or cannot sustain `rps`).

    The mean batch B is the one whose max_rps(B) is `rps`; TTFT(B) includes the wait behind
    the other requests' prefills. A request decodes at least in a batch of its own, so below
    the rate of one request at a time (max_rps(1)) the batch-1 figures hold."""
    weights_dtype = as_dtype(weights_dtype)
    kv_dtype = as_kv_dtype(settings.kv_cache_dtype or kv_dtype)
    full = roofline_capacity(model, accelerator, tp, input_tokens, output_tokens, NO_SLO,
                             settings, weights_dtype, kv_dtype)  # fmt: skip
    if not full.fits or rps > full.max_rps * (1 + 1e-9):
        return None
    timing = BucketTiming(model, accelerator, tp, input_tokens, output_tokens, weights_dtype,
                     kv_dtype, settings)  # fmt: skip
    batch = 1.0
    if rps > timing.rps(1.0):
        batch = largest_batch(lambda b: timing.rps(b) <= rps, full.batch)
    return LoadFigures(batch, timing.rps(batch) * output_tokens, timing.tpot(batch) * 1e3,
                       timing.ttft(batch) * 1e3)  # fmt: skip


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
    if not estimate.fits:
        # a measured rate never overrides memory: a replica whose weights and KV cache cannot
        # be held serves nothing, whatever a profile row claims
        measured = f"{found.point.input_tokens}+{found.point.output_tokens}"
        return replace(
            estimate,
            reason=f"{estimate.reason} (the profile row for {measured} tokens is ignored: "
            "measured rates do not override memory fit)",
        )
    measured_slo = found.point.slo
    derived = found.method != "exact"
    return replace(
        estimate,
        ttft_ms=measured_slo.ttft_ms if measured_slo.ttft_ms is not None else estimate.ttft_ms,
        tpot_ms=measured_slo.tpot_ms if measured_slo.tpot_ms is not None else estimate.tpot_ms,
        tokens_per_s=found.max_rps * output_tokens,
        max_rps=found.max_rps,
        limited_by="profile",
        source="derived" if derived else "profile",
        reason=_provenance(found, input_tokens, output_tokens),
    )


def _provenance(found, input_tokens: int, output_tokens: int) -> str:
    """Where a profile figure comes from, in words: the measured cell, or what it is derived
    from and how."""
    cell = f"{found.point.input_tokens}+{found.point.output_tokens}"
    asked = f"{input_tokens}+{output_tokens}"
    if found.method == "exact":
        return f"measured at {cell} tokens (exact bucket)"
    if found.method == "covering":
        return (
            f"derived for {asked} tokens from the rate measured at the larger (covering) "
            f"{cell} bucket"
        )
    return (
        f"derived for {asked} tokens from the rate measured at {cell}, scaled by the "
        "roofline's ratio between the two buckets"
    )


SOURCE_ORDER = ("profile", "derived", "roofline")


def capacity_source(sources) -> str:
    """An allocation's capacity_source from its buckets' sources: each of profile (measured),
    derived (from a measurement of another bucket) and roofline (modelled) it rests on,
    joined by "+" in that order."""
    found = set(sources)
    return "+".join(s for s in SOURCE_ORDER if s in found)
