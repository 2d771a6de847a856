"""The budget family: `constraints.budget_per_hour`.

    sum_c price_c x instances_c <= budget       in every world, at that world's prices

With every instance running at once (batch and training instances included: the peak), so it
applies to every kind. The MIP takes `rows`, the decomposition prices `coupling` (a row in
dollars per hour); usage is planner.rules.quotas.peak_cost, the one figure verify and report
use too.
"""

from __future__ import annotations

from typing import Any

from planner.rules.quotas import over_budget, peak_cost
from planner.rules.rows import SharedRow, Slot

__all__ = [
    "GROUP",
    "KINDS",
    "SLOTS",
    "check",
    "coupling",
    "diagnosis",
    "over_budget",
    "peak_cost",
    "rows",
]

FIELD = "constraints.budget_per_hour"
KINDS = ("serving", "batch", "training")
GROUP = "budget"
GROUPS = (GROUP,)


def rows(m: Any, s: int, world: Any, ledger: Any) -> None:
    """budget: world s's dollars per hour, every instance at once, within its budget."""
    hourly = ledger.hourly
    if world.budget is not None and hourly and m.group(GROUP):
        m.add(m.sum(hourly) <= world.budget, GROUP if m.tag(s) == "" else f"{GROUP}[{s}]")


def coupling(spec: Any, owned_pools: Any) -> list[SharedRow]:
    """The budget as the decomposition's shared row (none without a budget)."""
    budget = spec.constraints.budget_per_hour
    return [] if budget is None else [SharedRow(GROUP, float(budget), None)]


def check(budget: float | None, allocations, tol: float = 1e-6) -> str | None:
    """What the allocations break of the budget, in words (None: kept)."""
    if not over_budget(budget, allocations, tol):
        return None
    return f"spends ${peak_cost(allocations):,.2f}/h, above the ${budget:g}/h budget"


def diagnosis(budget: float) -> str:
    return f"the budget is ${budget:g} per hour"


def describe(spec: Any, kind: str, arg: str) -> str:
    """Constraint group `budget` in words."""
    return diagnosis(spec.constraints.budget_per_hour)


def fleet_check(spec: Any, owned_pools: Any, allocations) -> list[str]:
    """verify's check: the plan's peak cost within the budget."""
    broken = check(spec.constraints.budget_per_hour, allocations)
    return [] if broken is None else [broken]


SLOTS = (
    Slot("shared", 30, rows),
    Slot("coupling", 30, coupling),
    Slot("fleet_check", 30, fleet_check),
)
"""Last of the shared rows in both models."""
