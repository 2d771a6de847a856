"""A plan's annotations: what was worked out around the placement, not the placement itself.

The Plan (planner.plans.model) is the placement and its figures. Around it, the use-case layer
(planner.app.planning.annotate, the one place that builds this document) records what the plan
beat (baselines), its hourly replica schedule, the cost/completion-time frontier it was picked
from and, for a robust plan, the scenarios its one fleet serves. Every entry point (`planner
plan`, `planner frontier`, `planner.plan()`, `planner.app`) attaches them the same way; a plan
made by the solver alone (planner.solve.solve) carries none. They are not part of the plan's
identity: the plan id hashes the spec, the date and the allocations only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from planner.plans.frozen import Frozen
from planner.spec.models import Name as WorkloadName

if TYPE_CHECKING:
    from planner.plans.model import Plan


class Baseline(Frozen):
    """A simpler planner's answer, to show what this plan saves."""

    name: str
    description: str
    cost_per_hour: float
    job_cost: float
    objective_value: float
    savings: float = Field(
        description="Baseline objective minus the plan's (positive: plan cheaper)."
    )
    over_quota: list[str] = Field(default_factory=list)
    breaks: list[str] = Field(default_factory=list, description="Spec rules it ignores.")


class WorkloadSchedule(Frozen):
    """A serving workload's hourly replicas (dynamic) against its peak-sized fleet (static)."""

    workload: WorkloadName
    replicas: list[int] = Field(description="Replicas in each UTC hour 0-23.")
    slo_replicas: list[int] = Field(description="Fewest replicas that meet the SLO each hour.")
    static_replicas: int
    static_cost_per_day: float
    dynamic_cost_per_day: float
    saving_per_day: float
    min_replicas: int = Field(description="Autoscaler lower bound.")
    max_replicas: int = Field(description="Autoscaler upper bound.")
    target_rps_per_replica: float = Field(description="Autoscaler target per replica.")


class FrontierPoint(Frozen):
    """One cost-optimal plan for a completion-time limit on the batch and training jobs."""

    completion_hours: float
    objective_value: float
    cost_per_hour: float
    job_cost: float


class UncoveredScenario(Frozen):
    """A scenario a robust plan does not serve, and why."""

    id: str
    label: str
    reason: str


class RobustCoverage(Frozen):
    """planner plan --robust: which scenarios the one fleet serves."""

    scenarios: int
    coverage_target: float
    coverage: float
    covered: list[str]
    uncovered: list[UncoveredScenario]
    modelled: list[str]
    rounds: int
    worst_case_cost: float | None = None
    worst_case_scenario: str | None = None


class PlanAnnotations(Frozen):
    """The optional annotations document of a plan (its `annotations` field)."""

    baselines: list[Baseline] = Field(
        default_factory=list,
        description="Simpler planners' answers for the same spec, and what the plan saves on each.",
    )
    schedule: list[WorkloadSchedule] = Field(
        default_factory=list,
        description="Hourly replica schedules of serving workloads with an hourly_profile.",
    )
    frontier: list[FrontierPoint] | None = Field(
        None, description="Cost-time Pareto frontier, when asked for (planner frontier)."
    )
    robust: RobustCoverage | None = Field(
        None, description="planner plan --robust: coverage and the scenarios not covered."
    )


NONE = PlanAnnotations()
"""What a plan without annotations has: no baselines, no schedule, no frontier, not robust."""


def annotations_of(plan: Plan) -> PlanAnnotations:
    """The plan's annotations; empty ones when it carries none (a plan made by the solver alone)."""
    return plan.annotations if plan.annotations is not None else NONE
