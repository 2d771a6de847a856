"""How close each serving workload runs to its limits: utilisation and predicted latency."""

from __future__ import annotations

from dataclasses import dataclass

from planner.plans import Plan


@dataclass(frozen=True)
class Headroom:
    """One serving workload: worst predicted TPOT/TTFT of its routed instances vs its targets."""

    workload: str
    tpot_ms: float | None
    tpot_target_ms: float | None
    ttft_ms: float | None
    ttft_target_ms: float | None
    max_utilisation: float | None
    meets_slo: bool

    @property
    def tpot_headroom(self) -> float | None:
        """1 - predicted / target: the share of the TPOT target left unused."""
        if self.tpot_ms is None or not self.tpot_target_ms:
            return None
        return 1.0 - self.tpot_ms / self.tpot_target_ms


@dataclass(frozen=True)
class Utilisation:
    """One serving allocation's planned utilisation."""

    workload: str
    label: str
    utilisation: float


def _worst(values) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def headroom(plan: Plan) -> list[Headroom]:
    """One row per serving workload, in plan order."""
    rows = []
    carrying: dict[str, list] = {}
    for a in plan.allocations:
        if a.routed_rps:
            carrying.setdefault(a.workload, []).append(a)
    for w in plan.workloads:
        if w.kind != "serving":
            continue
        routed = carrying.get(w.name, [])
        rows.append(
            Headroom(
                workload=w.name,
                tpot_ms=_worst(a.tpot_ms for a in routed),
                tpot_target_ms=w.tpot_ms,
                ttft_ms=_worst(a.ttft_ms for a in routed),
                ttft_target_ms=w.ttft_p95_ms,
                max_utilisation=_worst(a.utilisation for a in routed),
                meets_slo=w.meets_slo,
            )
        )
    return rows


def utilisations(plan: Plan) -> list[Utilisation]:
    """Planned utilisation of every serving allocation (standby instances show 0)."""
    return [
        Utilisation(
            a.workload,
            f"{a.workload}: {a.count}x {a.instance_type} {a.provider}/{a.region}",
            a.utilisation or 0.0,
        )
        for a in plan.allocations
        if a.kind == "serving"
    ]
