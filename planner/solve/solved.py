"""What a solve returns to the use cases: the plan, and what the drivers that re-solve found
around it (baselines, the cost/completion-time frontier, robust coverage). The use-case layer
(planner.app.planning.annotate) turns these into the plan's annotations document, in one place;
the solver never writes them onto the plan itself."""

from __future__ import annotations

from dataclasses import dataclass

from planner.plans.annotations import Baseline, FrontierPoint, RobustCoverage
from planner.plans.model import Plan


@dataclass(frozen=True)
class Solved:
    """A plan (placement and figures, no annotations) and what was found around it."""

    plan: Plan
    baselines: tuple[Baseline, ...] = ()
    frontier: tuple[FrontierPoint, ...] | None = None
    """The cost-time Pareto frontier (planner frontier); None when not asked for."""
    robust: RobustCoverage | None = None
    """Which scenarios the one fleet serves (planner plan --robust); None otherwise."""
