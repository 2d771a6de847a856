"""Recommendations in words: per workload, the fleet before and after, the monthly saving and
what happens to the SLO at the observed load."""

from __future__ import annotations

from collections import Counter

from planner.figures import signed_usd
from planner.observe.drift import WorkloadDrift
from planner.observe.rightsize import TrafficChange
from planner.plans.model import HOURS_PER_MONTH, Allocation, Plan


def fleet(allocations: list[Allocation]) -> str:
    """'6 x g6.xlarge' or '2 x g6.xlarge + 1 x g5.xlarge spot' (plan order)."""
    counts: Counter[str] = Counter()
    for a in allocations:
        counts[a.instance_type + (" spot" if a.pricing == "spot" else "")] += a.count
    return " + ".join(f"{n} x {name}" for name, n in counts.items()) or "nothing"


def _mine(plan: Plan, workload: str) -> list[Allocation]:
    return plan.allocations_of(workload)


def _where(a: Allocation) -> tuple:
    return (a.provider, a.region, a.service, a.instance_type, a.pricing, a.tp, a.count)


def _resize(old: list[Allocation], new: list[Allocation]) -> str:
    kinds = {(a.instance_type, a.pricing) for a in old + new}
    if len(kinds) == 1:
        name = fleet(new).split(" x ", 1)[1]
        return f"{sum(a.count for a in old)} -> {sum(a.count for a in new)} x {name}"
    return f"{fleet(old)} -> {fleet(new)}"


def _slo_phrase(plan: Plan, workload: str) -> str:
    w = next(x for x in plan.workloads if x.name == workload)
    if not w.meets_slo:
        return "does NOT meet its SLO in the new plan"
    if w.ttft_p95_ms is not None:
        return f"TTFT p95 stays under {w.ttft_p95_ms:,.0f} ms at observed load"
    if w.tpot_ms is not None:
        return f"TPOT stays under {w.tpot_ms:,.0f} ms at observed load"
    return "no latency SLO set"


def recommendation(old: Plan, new: Plan, change: TrafficChange, drift: WorkloadDrift | None) -> str:
    """One line for one workload."""
    before, after = _mine(old, change.workload), _mine(new, change.workload)
    if not change.updated:
        why = f"{change.reason} ({change.detail})" if change.detail else change.reason
        return f"{change.workload}: {why}; left as planned ({fleet(before)})"
    hourly = sum(a.cost_per_hour for a in after) - sum(a.cost_per_hour for a in before)
    same = sorted(map(_where, before)) == sorted(map(_where, after))
    text = f"{change.workload}: " + (f"keep {fleet(after)}" if same else _resize(before, after))
    if not same:
        text += f", {signed_usd(hourly * HOURS_PER_MONTH, 0)}/month"
    risks = drift.slo_risk if drift else ()
    if not risks:
        return f"{text}, {_slo_phrase(new, change.workload)}"
    text += f"; SLO RISK: {'; '.join(risks)} already"
    if hourly < 0:
        text += " (the latency model is optimistic here: plan with --calibrate before shrinking)"
    return text


def recommendations(
    old: Plan,
    new: Plan,
    changes: tuple[TrafficChange, ...],
    drifts: tuple[WorkloadDrift, ...],
) -> list[str]:
    """One line per serving workload of the spec, in spec order."""
    by_name = {d.workload: d for d in drifts}
    return [recommendation(old, new, c, by_name.get(c.workload)) for c in changes]
