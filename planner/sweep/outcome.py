"""What a sweep reports: one outcome per scenario, a summary, and the whole sweep (JSON-ready).

Nothing here depends on timing or on the order tasks finish in, so the same inputs always give
the same report, whichever executor ran them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from planner.bounds import MAX_DOLLARS_PER_HOUR
from planner.spec.base import Strict
from planner.sweep.scenarios import Value

MAX_DOLLARS = 1e12
"""Largest dollar figure a sweep result may hold (a scenario's job dollars included)."""

Status = Literal["optimal", "feasible", "infeasible", "ok", "violated", "error"]
"""Solving: optimal, feasible, infeasible. With a fixed plan: ok, violated. Either: error."""


class Unmet(Strict):
    """Demand a fixed fleet leaves unserved in a scenario."""

    workload: str
    unit: Literal["requests/s", "requests", "jobs"]
    demand: float
    served: float

    @property
    def missing(self) -> float:
        return max(0.0, self.demand - self.served)


class ScenarioOutcome(Strict):
    """One scenario's result: status, cost, change against the base, and what went wrong."""

    id: str
    label: str = Field(description="The settings that change something ('base' if none).")
    params: dict[str, Value] = Field(default_factory=dict)
    status: Status
    objective_value: float | None = Field(
        None, ge=0, le=MAX_DOLLARS, description="Serving $/h plus job dollars."
    )
    cost_per_hour: float | None = Field(
        None, ge=0, le=MAX_DOLLARS_PER_HOUR, description="Serving $/h."
    )
    job_cost: float | None = Field(None, ge=0, le=MAX_DOLLARS)
    change: float | None = Field(
        None, ge=-MAX_DOLLARS, le=MAX_DOLLARS, description="Objective minus the base's."
    )
    reason: str | None = Field(None, description="Why there is no plan (or the task's error).")
    violations: list[str] = Field(default_factory=list, description="Fixed plan: what breaks.")
    lost: list[str] = Field(
        default_factory=list, description="Fixed plan: allocations the scenario takes away."
    )
    unmet: list[Unmet] = Field(default_factory=list)
    plan_id: str | None = None

    @property
    def solved(self) -> bool:
        return self.status in ("optimal", "feasible", "ok")


class CostStats(Strict):
    """Spread of the objective over the scenarios that have one."""

    min: float
    median: float
    p95: float
    max: float


class Summary(Strict):
    """Counts, cost spread, and infeasible scenarios grouped by their reason."""

    scenarios: int
    solved: int
    infeasible: int
    violated: int
    errors: int
    cost: CostStats | None
    by_reason: dict[str, int] = Field(
        default_factory=dict, description="Infeasible (or violated) scenarios per reason."
    )


class Sweep(Strict):
    """A whole sweep: the base, every scenario sorted by id, and the summary."""

    mode: Literal["solve", "plan"]
    base: ScenarioOutcome
    results: list[ScenarioOutcome]
    summary: Summary
