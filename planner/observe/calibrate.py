"""Calibration: observed TPOT/TTFT at observed load become measured-profile rows.

The roofline model predicts a replica's latency at any load. Where a replica was observed, the
ratio observed / predicted (at the observed load per replica) is the model's error for that
(model, accelerator, TP). The row written is the roofline's operating point at the SLO with
that error applied: latencies scaled by it, and the rate a replica then sustains. A row at the
observed load itself would cap capacity at whatever load happened to arrive.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, replace

from planner.facts import LLM, find_accelerator, find_llm
from planner.facts.accelerators import Accelerator
from planner.markup import comment, csv_cell
from planner.observe.model import Observation, WorkloadObservation
from planner.perf import (
    DEFAULT_SETTINGS,
    NO_SLO,
    SLO,
    Capacity,
    Dtype,
    PerfSettings,
    ProfilePoint,
    Profiles,
    at_rate,
    roofline_capacity,
)
from planner.perf.profile_csv import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from planner.plans.model import Plan, WorkloadResult
from planner.spec.models import ServingWorkload, Spec


@dataclass(frozen=True)
class Shape:
    """What the roofline needs to know about one replica and its requests."""

    model: LLM
    accelerator: Accelerator
    tp: int
    input_tokens: int
    output_tokens: int
    weights_dtype: Dtype = Dtype.bf16

    def capacity(self, slo: SLO = NO_SLO, settings: PerfSettings = DEFAULT_SETTINGS) -> Capacity:
        return roofline_capacity(
            self.model,
            self.accelerator,
            self.tp,
            self.input_tokens,
            self.output_tokens,
            slo,
            settings,
            self.weights_dtype,
        )


@dataclass(frozen=True)
class Calibration:
    """One workload's observed latency against the roofline's, and the profile row it gives."""

    workload: str
    shape: Shape
    load_per_replica: float
    observed_tpot_ms: float
    observed_ttft_ms: float | None
    predicted_tpot_ms: float
    predicted_ttft_ms: float
    roofline_max_rps: float
    """What the roofline says one replica sustains within the SLO."""
    max_rps: float
    """The same after calibration: the row's rate."""
    row_tpot_ms: float
    row_ttft_ms: float

    @property
    def tpot_error(self) -> float:
        """Observed / predicted - 1 (positive: slower than the roofline said)."""
        return self.observed_tpot_ms / self.predicted_tpot_ms - 1

    @property
    def ttft_error(self) -> float | None:
        if self.observed_ttft_ms is None:
            return None
        return self.observed_ttft_ms / self.predicted_ttft_ms - 1


def latency_at_load(
    shape: Shape, load: float, settings: PerfSettings = DEFAULT_SETTINGS
) -> Capacity | None:
    """The roofline operating point at which one replica serves `load` requests/s.

    TPOT and TTFT are the performance model's at the mean batch that load holds
    (planner.perf.at_rate: TTFT includes the wait behind other requests' prefills); below the
    rate of one request at a time the batch-1 latencies hold; above the replica's limit, its
    limit's.
    """
    top = shape.capacity(settings=settings)
    if not top.fits or top.max_rps <= 0:
        return None
    if load >= top.max_rps:
        return top
    figures = at_rate(
        shape.model, shape.accelerator, shape.tp, shape.input_tokens, shape.output_tokens,
        load, settings, shape.weights_dtype,
    )  # fmt: skip
    if figures is None or not math.isfinite(figures.ttft_ms):
        return top
    rate = figures.tokens_per_s / shape.output_tokens
    return replace(
        top,
        batch=figures.batch,
        max_rps=rate,
        tokens_per_s=figures.tokens_per_s,
        tpot_ms=figures.tpot_ms,
        ttft_ms=figures.ttft_ms,
        limited_by="",
        reason="one request at a time" if figures.batch == 1.0 else "at the observed load",
    )


def calibrated_capacity(
    shape: Shape, slo: SLO, tpot_ratio: float, ttft_ratio: float, settings: PerfSettings
) -> tuple[float, float, float] | None:
    """(max_rps, TPOT ms, TTFT ms) of one replica within `slo` once latencies are scaled by the
    observed ratios; None when even batch 1 misses the SLO."""
    scaled = SLO(
        tpot_ms=slo.tpot_ms / tpot_ratio if slo.tpot_ms else None,
        ttft_ms=slo.ttft_ms / ttft_ratio if slo.ttft_ms else None,
    )
    cap = shape.capacity(scaled, settings)
    if cap.max_rps <= 0 or cap.tpot_ms is None or cap.ttft_ms is None:
        return None
    decode_s = shape.output_tokens * cap.tpot_ms / 1000
    prefill_s = max(0.0, cap.batch / cap.max_rps - decode_s)
    request_s = ttft_ratio * prefill_s + tpot_ratio * decode_s
    return cap.batch / request_s, cap.tpot_ms * tpot_ratio, cap.ttft_ms * ttft_ratio


def _shape(plan: Plan, w: WorkloadResult, o: WorkloadObservation, spec: Spec | None):
    """The workload's replica shape, or why it cannot be calibrated."""
    mine = plan.allocations_of(w.name)
    kinds = {(a.accelerator, a.tp) for a in mine}
    if len(kinds) != 1:
        return "runs on several accelerator/TP shapes; observe each apart to calibrate"
    accelerator_name, tp = kinds.pop()
    model = find_llm(w.model or "", spec.user_llms() if spec else ())
    accelerator = find_accelerator(accelerator_name)
    if model is None or accelerator is None:
        return f"model {w.model!r} or accelerator {accelerator_name!r} unknown (pass --spec)"
    sizes = (o.input_tokens, o.output_tokens)
    if None in sizes:
        served = next((s for s in (spec.workloads if spec else ()) if s.name == w.name), None)
        buckets = served.traffic.request_buckets() if isinstance(served, ServingWorkload) else ()
        if len(buckets) != 1:
            return "no observed request sizes (and no single-size spec traffic)"
        sizes = (buckets[0].input_tokens, buckets[0].output_tokens)
    inputs, outputs = (max(1, round(s)) for s in sizes)  # type: ignore[arg-type]
    return Shape(model, accelerator, tp, inputs, outputs, Dtype(w.weights_dtype))


def calibrate_workload(
    plan: Plan,
    o: WorkloadObservation,
    spec: Spec | None = None,
    settings: PerfSettings = DEFAULT_SETTINGS,
) -> Calibration | str:
    """One workload's calibration, or the reason there is none."""
    w = next(x for x in plan.workloads if x.name == o.workload)
    tpot = o.tpot_mean_ms if o.tpot_mean_ms is not None else o.tpot_p95_ms
    if not o.has_traffic or tpot is None:
        return "no observed traffic and TPOT"
    shape = _shape(plan, w, o, spec)
    if isinstance(shape, str):
        return shape
    replicas = o.replicas or w.replicas
    load = (o.rps_mean or 0.0) / replicas if replicas else 0.0
    at_load = latency_at_load(shape, load, settings)
    if at_load is None or not at_load.tpot_ms or not at_load.ttft_ms:
        return "the roofline says the model does not fit this replica"
    ttft = o.ttft_mean_ms if o.ttft_mean_ms is not None else o.ttft_p95_ms
    tpot_ratio = tpot / at_load.tpot_ms
    ttft_ratio = ttft / at_load.ttft_ms if ttft is not None else 1.0
    slo = SLO(tpot_ms=w.tpot_ms, ttft_ms=w.ttft_p95_ms)
    found = calibrated_capacity(shape, slo, tpot_ratio, ttft_ratio, settings)
    if found is None:
        return "with the observed latencies, even one request at a time misses the SLO"
    max_rps, row_tpot, row_ttft = found
    return Calibration(
        workload=o.workload,
        shape=shape,
        load_per_replica=load,
        observed_tpot_ms=tpot,
        observed_ttft_ms=ttft,
        predicted_tpot_ms=at_load.tpot_ms,
        predicted_ttft_ms=at_load.ttft_ms,
        roofline_max_rps=shape.capacity(slo, settings).max_rps,
        max_rps=max_rps,
        row_tpot_ms=row_tpot,
        row_ttft_ms=row_ttft,
    )


def calibrate(
    plan: Plan,
    observation: Observation,
    spec: Spec | None = None,
    settings: PerfSettings = DEFAULT_SETTINGS,
) -> tuple[tuple[Calibration, ...], tuple[str, ...]]:
    """Calibrations of every workload with data, and a note for each that has none."""
    found, notes = [], []
    for o in observation.workloads:
        if o.status != "ok":
            continue  # reported as no data already
        result = calibrate_workload(plan, o, spec, settings)
        if isinstance(result, Calibration):
            found.append(result)
        else:
            notes.append(f"{o.workload}: not calibrated: {result}")
    return tuple(found), tuple(notes)


def _floor(value: float, decimals: int) -> float:
    """Rounded down: a rate or latency limit never loosens in print."""
    return math.floor(value * 10**decimals) / 10**decimals


def _key(c: Calibration) -> tuple:
    s = c.shape
    return (
        s.model.name,
        s.accelerator.name,
        s.tp,
        s.input_tokens,
        s.output_tokens,
        s.weights_dtype,
        _floor(c.row_tpot_ms, 3),
        _floor(c.row_ttft_ms, 3),
    )


def _distinct(calibrations: tuple[Calibration, ...]) -> list[Calibration]:
    """One calibration per profile key: the lowest rate where workloads share one."""
    kept: dict[tuple, Calibration] = {}
    for c in calibrations:
        if _key(c) not in kept or c.max_rps < kept[_key(c)].max_rps:
            kept[_key(c)] = c
    return sorted(kept.values(), key=_key)


def profile_points(calibrations: tuple[Calibration, ...]) -> Profiles:
    """The calibration rows as measured profiles, as load_profiles would read them back."""
    return Profiles(
        tuple(
            ProfilePoint(
                model=c.shape.model.name,
                accelerator=c.shape.accelerator.name,
                tp=c.shape.tp,
                input_tokens=c.shape.input_tokens,
                output_tokens=c.shape.output_tokens,
                max_rps=_floor(c.max_rps, 6),
                slo=SLO(tpot_ms=_floor(c.row_tpot_ms, 3), ttft_ms=_floor(c.row_ttft_ms, 3)),
                weights_dtype=c.shape.weights_dtype,
                where=f"observed:{c.workload}",
            )
            for c in _distinct(calibrations)
        )
    )


def profile_csv(calibrations: tuple[Calibration, ...], source: str) -> str:
    """The rows in the measured-profiles CSV format, each after a comment saying what was seen."""
    out = io.StringIO()
    out.write(f"# Calibrated from {comment(source)}: the roofline's operating point at each SLO,\n")
    out.write("# latencies scaled by observed/predicted at the observed load per replica.\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS])
    for c in _distinct(calibrations):
        ttft = "-" if c.observed_ttft_ms is None else f"{c.observed_ttft_ms:.1f} ms"
        out.write(
            f"# {comment(c.workload)}: {c.load_per_replica:.3f} req/s per replica; TPOT "
            f"{c.observed_tpot_ms:.1f} ms (roofline {c.predicted_tpot_ms:.1f}); TTFT {ttft} "
            f"(roofline {c.predicted_ttft_ms:.1f} ms)\n"
        )
        s = c.shape
        writer.writerow(
            [
                csv_cell(s.model.name),
                csv_cell(s.accelerator.name),
                s.tp,
                s.input_tokens,
                s.output_tokens,
                f"{_floor(c.max_rps, 6):.6f}",
                f"{_floor(c.row_tpot_ms, 3):.3f}",
                f"{_floor(c.row_ttft_ms, 3):.3f}",
                s.weights_dtype.value,
                "bf16",
            ]
        )
    return out.getvalue()
