"""Where the money goes: serving $/h and job dollars summed by provider, region and workload."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from planner.plans import Allocation, Plan

GROUPINGS: dict[str, Callable[[Allocation], str]] = {
    "provider": lambda a: a.provider,
    "region": lambda a: f"{a.provider}/{a.region}",
    "workload": lambda a: a.workload,
}


@dataclass(frozen=True)
class Breakdown:
    """Totals by one grouping (largest first), in one unit ('$/h' or 'job $')."""

    by: str
    unit: str
    totals: tuple[tuple[str, float], ...]


def allocation_hourly(a: Allocation) -> float:
    """What an allocation adds to the plan's serving $/h (jobs add nothing)."""
    return a.cost_per_hour if a.kind == "serving" else 0.0


def allocation_job(a: Allocation) -> float:
    """What an allocation adds to the plan's job dollars (serving adds nothing)."""
    return (a.job_cost or 0.0) if a.kind != "serving" else 0.0


def _totals(plan: Plan, key: Callable[[Allocation], str], value) -> tuple[tuple[str, float], ...]:
    sums: dict[str, float] = {}
    for a in plan.allocations:
        amount = value(a)
        if amount:
            sums[key(a)] = sums.get(key(a), 0.0) + amount
    return tuple(sorted(sums.items(), key=lambda item: (-item[1], item[0])))


def breakdowns(plan: Plan) -> list[Breakdown]:
    """Serving $/h and job $ by provider, region and workload; units with no cost are left out."""
    out = []
    for unit, value in (("$/h", allocation_hourly), ("job $", allocation_job)):
        for by, key in GROUPINGS.items():
            totals = _totals(plan, key, value)
            if totals:
                out.append(Breakdown(by, unit, totals))
    return out


@dataclass(frozen=True)
class Stacked:
    """Cost per provider/region (bars, largest first), split by workload (segments)."""

    unit: str
    places: tuple[str, ...]
    workloads: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]  # values[workload][place]

    def total(self, place: int) -> float:
        return sum(series[place] for series in self.values)


STACKED_WORKLOADS = 12
"""Workloads shown as their own segment in a stacked cost chart (the dearest); the rest are one
segment, so the chart's size does not grow with the fleet."""


def stacked_costs(plan: Plan, unit: str) -> Stacked | None:
    """Serving $/month ('$/month') or job dollars ('job $') by provider/region and workload;
    None when the plan has no cost of that unit."""
    value = (
        (lambda a: allocation_hourly(a) * plan.provenance.hours_per_month)
        if unit == "$/month"
        else allocation_job
    )
    cells: dict[tuple[str, str], float] = {}
    for a in plan.allocations:
        amount = value(a)
        if amount:
            key = (GROUPINGS["region"](a), a.workload)
            cells[key] = cells.get(key, 0.0) + amount
    if not cells:
        return None
    totals: dict[str, float] = {}
    for (place, _), amount in cells.items():
        totals[place] = totals.get(place, 0.0) + amount
    places = tuple(sorted(totals, key=lambda p: (-totals[p], p)))
    spent: dict[str, float] = {}
    for (_, workload), amount in cells.items():
        spent[workload] = spent.get(workload, 0.0) + amount
    ranked = sorted(spent, key=lambda w: (-spent[w], w))
    shown, rest = sorted(ranked[:STACKED_WORKLOADS]), ranked[STACKED_WORKLOADS:]
    values = [tuple(cells.get((p, w), 0.0) for p in places) for w in shown]
    labels = list(shown)
    if rest:  # one segment for the rest: a bar per workload of a large fleet is unreadable
        folded = set(rest)
        values.append(
            tuple(sum(v for (q, w), v in cells.items() if q == p and w in folded) for p in places)
        )
        labels.append(f"{len(rest)} other workloads")
    return Stacked(unit, places, tuple(labels), tuple(values))
