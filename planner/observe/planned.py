"""What a plan (and, when given, its spec) predicts for each serving workload."""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.plans.model import Plan
from planner.spec.models import ServingWorkload, Spec


@dataclass(frozen=True)
class Planned:
    """A serving workload's planned figures; None where neither plan nor spec says."""

    workload: str
    rps_peak: float | None
    rps_mean: float | None
    input_tokens: float | None
    output_tokens: float | None
    hourly_profile: tuple[float, ...] | None
    ttft_ms: float | None
    """Worst predicted TTFT before queueing over the loaded allocations."""
    tpot_ms: float | None
    ttft_slo_ms: float | None
    tpot_slo_ms: float | None
    replicas: int
    cost_per_hour: float
    capacity_rps: float | None
    """Requests/s the planned replicas sustain within the SLO (routed / utilisation)."""

    @property
    def cost_per_replica_hour(self) -> float | None:
        return self.cost_per_hour / self.replicas if self.replicas else None

    @property
    def capacity_per_replica(self) -> float | None:
        if self.capacity_rps is None or not self.replicas:
            return None
        return self.capacity_rps / self.replicas

    @property
    def peak_load(self) -> float | None:
        """Planned peak requests/s over what the fleet sustains."""
        if self.rps_peak is None or not self.capacity_rps:
            return None
        return self.rps_peak / self.capacity_rps

    @property
    def dollars_per_million_tokens(self) -> float | None:
        """Planned $/h over planned input + output tokens served per hour, in millions."""
        if None in (self.rps_mean, self.input_tokens, self.output_tokens):
            return None
        return per_million_tokens(
            self.cost_per_hour,
            self.rps_mean,  # type: ignore[arg-type]
            self.input_tokens + self.output_tokens,  # type: ignore[operator]
        )


def per_million_tokens(cost_per_hour: float, rps: float, tokens_per_request: float) -> float | None:
    """Dollars per million tokens served at `rps`; None when nothing is served."""
    tokens_per_hour = rps * tokens_per_request * 3600
    return cost_per_hour / tokens_per_hour * 1e6 if tokens_per_hour > 0 else None


def _capacity(plan: Plan, workload: str) -> float | None:
    total = 0.0
    for a in plan.allocations:
        if a.workload != workload:
            continue
        if not a.routed_rps or not a.utilisation:
            return None
        total += a.routed_rps / a.utilisation
    return total or None


def _worst(plan: Plan, workload: str, name: str) -> float | None:
    values = [
        getattr(a, name)
        for a in plan.allocations_of(workload)
        if a.routed_rps and getattr(a, name) is not None
    ]
    return max(values) if values else None


def _sizes(w: ServingWorkload | None) -> tuple[float | None, float | None]:
    if w is None:
        return None, None
    buckets = w.traffic.request_buckets()
    return (
        math.fsum(b.input_tokens * b.fraction for b in buckets),
        math.fsum(b.output_tokens * b.fraction for b in buckets),
    )


def planned_figures(plan: Plan, spec: Spec | None = None) -> dict[str, Planned]:
    """Planned figures of every serving workload of `plan`, by name."""
    specs = {w.name: w for w in (spec.workloads if spec else ()) if isinstance(w, ServingWorkload)}
    out = {}
    for w in plan.workloads:
        if w.kind != "serving":
            continue
        mine = specs.get(w.name)
        profile = mine.traffic.hourly_profile if mine else None
        peak = w.requests_per_second
        average = peak * math.fsum(profile) / 24 if peak is not None and profile else peak
        inputs, outputs = _sizes(mine)
        out[w.name] = Planned(
            workload=w.name,
            rps_peak=peak,
            rps_mean=average,
            input_tokens=inputs,
            output_tokens=outputs,
            hourly_profile=tuple(profile) if profile else None,
            ttft_ms=_worst(plan, w.name, "ttft_ms"),
            tpot_ms=_worst(plan, w.name, "tpot_ms"),
            ttft_slo_ms=w.ttft_p95_ms,
            tpot_slo_ms=w.tpot_ms,
            replicas=w.replicas,
            cost_per_hour=w.cost_per_hour,
            capacity_rps=_capacity(plan, w.name),
        )
    return out
