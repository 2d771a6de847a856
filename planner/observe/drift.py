"""Planned beside observed, per workload, and how far each observed figure drifted (in %)."""

from __future__ import annotations

from dataclasses import dataclass

from planner.observe.model import Observation, WorkloadObservation
from planner.observe.planned import Planned, per_million_tokens, planned_figures
from planner.observe.stats import relative
from planner.observe.window import duration_text
from planner.plans.model import Plan
from planner.spec.models import Spec

Value = float | tuple[float, ...] | None


@dataclass(frozen=True)
class Figure:
    """One figure of one workload: planned, observed, the SLO it answers to, and the drift.

    `drift` is (observed - planned) / planned; for the 24-hour profile it is the largest
    difference in any hour, as a fraction of the peak.
    """

    metric: str
    unit: str  # rps | tokens | ms | fraction | replicas | usd_per_hour | usd_per_mtok | profile
    planned: Value
    observed: Value
    drift: float | None = None
    target: float | None = None


@dataclass(frozen=True)
class WorkloadDrift:
    """A workload's figures, whether it had data, and observed latencies already over the SLO."""

    workload: str
    status: str
    note: str
    figures: tuple[Figure, ...]
    slo_risk: tuple[str, ...] = ()

    def figure(self, metric: str) -> Figure | None:
        return next((f for f in self.figures if f.metric == metric), None)


def step_name(step_s: float) -> str:
    """'hourly' for 3600 s steps, '5 min' or '2 s' otherwise (for metric names)."""
    return "hourly" if step_s == 3600 else duration_text(step_s)


def _profile_drift(planned: tuple[float, ...] | None, observed: tuple[float, ...] | None):
    if not planned or not observed:
        return None
    return max(abs(a - b) for a, b in zip(planned, observed, strict=True))


def _compared(metric: str, unit: str, planned, observed, target=None) -> Figure:
    return Figure(metric, unit, planned, observed, relative(observed, planned), target)


def _observed_cost(p: Planned, o: WorkloadObservation) -> float | None:
    """Observed replicas at the plan's dollars per replica-hour."""
    per_replica = p.cost_per_replica_hour
    return None if o.replicas is None or per_replica is None else o.replicas * per_replica


def _observed_load(p: Planned, o: WorkloadObservation) -> float | None:
    """Observed peak requests/s over what the replicas running sustain (plan's capacity each)."""
    each = p.capacity_per_replica
    replicas = o.replicas if o.replicas is not None else p.replicas
    if o.rps_p95 is None or each is None or not replicas:
        return None
    return o.rps_p95 / (each * replicas)


def _observed_per_mtok(p: Planned, o: WorkloadObservation) -> float | None:
    cost = _observed_cost(p, o)
    if o.rps_mean is None or o.input_tokens is None or o.output_tokens is None:
        return None
    return per_million_tokens(
        p.cost_per_hour if cost is None else cost, o.rps_mean, o.input_tokens + o.output_tokens
    )


def _only_observed(o: WorkloadObservation) -> list[Figure]:
    rows = (
        ("request latency p95", "ms", o.request_latency_p95_ms),
        ("request latency mean", "ms", o.request_latency_mean_ms),
        ("overhead latency mean", "ms", o.overhead_latency_mean_ms),
        ("GPU utilisation", "fraction", o.gpu_utilisation),
        ("GPU memory used", "gib", o.gpu_memory_used_gib),
        ("GPU memory utilisation", "fraction", o.gpu_memory_utilisation),
        ("CPU utilisation", "fraction", o.cpu_utilisation),
        ("KV-cache usage", "fraction", o.kv_cache_usage),
        ("requests running per replica", "count", o.requests_running),
        ("requests waiting per replica", "count", o.requests_waiting),
    )
    return [Figure(metric, unit, None, value) for metric, unit, value in rows if value is not None]


def slo_risk(p: Planned, o: WorkloadObservation) -> tuple[str, ...]:
    """Observed latencies already over the SLO (TTFT p95; TPOT mean, or p95 when no mean)."""
    out = []
    if p.ttft_slo_ms is not None and o.ttft_p95_ms is not None and o.ttft_p95_ms > p.ttft_slo_ms:
        out.append(
            f"observed TTFT p95 {o.ttft_p95_ms:,.0f} ms is over the {p.ttft_slo_ms:,.0f} ms SLO"
        )
    tpot, which = (o.tpot_mean_ms, "mean") if o.tpot_mean_ms is not None else (o.tpot_p95_ms, "p95")
    if p.tpot_slo_ms is not None and tpot is not None and tpot > p.tpot_slo_ms:
        out.append(f"observed TPOT {which} {tpot:,.1f} ms is over the {p.tpot_slo_ms:,.0f} ms SLO")
    return tuple(out)


def workload_drift(p: Planned, o: WorkloadObservation, step_s: float) -> WorkloadDrift:
    """Planned against observed for one workload (data to data)."""
    figures = [
        _compared("requests/s mean", "rps", p.rps_mean, o.rps_mean),
        _compared(f"requests/s p95 of {step_name(step_s)} means", "rps", p.rps_peak, o.rps_p95),
        _compared("input tokens mean", "tokens", p.input_tokens, o.input_tokens),
        _compared("output tokens mean", "tokens", p.output_tokens, o.output_tokens),
        Figure(
            "24-hour profile",
            "profile",
            p.hourly_profile,
            o.hourly_profile,
            _profile_drift(p.hourly_profile, o.hourly_profile),
        ),
        _compared("TTFT p95", "ms", p.ttft_ms, o.ttft_p95_ms, p.ttft_slo_ms),
        _compared("TPOT p95", "ms", p.tpot_ms, o.tpot_p95_ms, p.tpot_slo_ms),
        _compared("peak load of capacity", "fraction", p.peak_load, _observed_load(p, o)),
        _compared("replicas", "replicas", float(p.replicas), o.replicas),
        _compared("cost", "usd_per_hour", p.cost_per_hour, _observed_cost(p, o)),
        _compared(
            "cost per million tokens",
            "usd_per_mtok",
            p.dollars_per_million_tokens,
            _observed_per_mtok(p, o),
        ),
        *_only_observed(o),
    ]
    return WorkloadDrift(
        workload=o.workload,
        status=o.status,
        note=o.note,
        figures=tuple(figures),
        slo_risk=slo_risk(p, o),
    )


def drift(
    plan: Plan, observation: Observation, spec: Spec | None = None
) -> tuple[WorkloadDrift, ...]:
    """Every observed workload of `plan`, planned beside observed."""
    planned = planned_figures(plan, spec)
    return tuple(
        workload_drift(planned[o.workload], o, observation.step_s)
        for o in observation.workloads
        if o.workload in planned
    )
