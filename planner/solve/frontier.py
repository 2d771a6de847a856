"""Completion time: the earliest finish of the batch and training jobs under the budget, and
the cost-time Pareto frontier. Both come from cost-optimal plans with every job's deadline
capped at a horizon T: the least feasible T (bisection) and the cost at a ladder of T values.
"""

from __future__ import annotations

import math
from dataclasses import replace

from planner.catalog import Catalog
from planner.errors import InfeasibleError, InputError
from planner.perf import DEFAULT_SETTINGS, PerfSettings, Profiles
from planner.plans.annotations import FrontierPoint
from planner.plans.identity import restamp
from planner.plans.model import Plan
from planner.solve.backend import SolveOptions
from planner.solve.baselines import with_baselines
from planner.solve.placement import place
from planner.solve.problem import make_problem
from planner.solve.solved import Solved
from planner.spec.models import BatchWorkload, Spec, TrainingWorkload

RELATIVE_TOLERANCE = 0.01
"""Bisection stops when the horizon is known to within 1%."""


def _jobs(spec: Spec) -> list[BatchWorkload | TrainingWorkload]:
    return [w for w in spec.workloads if isinstance(w, BatchWorkload | TrainingWorkload)]


def with_horizon(spec: Spec, hours: float) -> Spec:
    """The spec with every batch/training deadline capped at `hours`, solved for cost.

    The cap is widened by a millionth so a plan's own (rounded) makespan stays feasible.
    """
    hours *= 1 + 1e-6
    workloads = tuple(
        w.model_copy(update={"deadline_hours": min(w.deadline_hours or math.inf, hours)})
        if isinstance(w, BatchWorkload | TrainingWorkload)
        else w
        for w in spec.workloads
    )
    constraints = spec.constraints.model_copy(update={"objective": "cost"})
    return spec.model_copy(update={"workloads": workloads, "constraints": constraints})


def _cheapest_within(spec, catalog, hours, profiles, settings, options, as_of=None) -> Plan | None:
    try:
        return place(
            with_horizon(spec, hours), catalog, profiles=profiles, settings=settings,
            options=options, diagnose=False, as_of=as_of,
        ).plan  # fmt: skip
    except InfeasibleError:
        return None


def _loosest_horizon(spec: Spec, catalog: Catalog, settings: PerfSettings) -> float:
    """A horizon no plan needs to exceed: the latest deadline, or the slowest single choice."""
    deadlines = [w.deadline_hours for w in _jobs(spec) if w.deadline_hours is not None]
    if len(deadlines) == len(_jobs(spec)):
        return max(deadlines)
    problem = make_problem(spec, catalog, settings)
    longest = 0.0
    for w in _jobs(spec):
        for c in problem.candidates[w.name]:
            if isinstance(w, TrainingWorkload):
                longest = max(longest, c.hours)
            else:
                longest = max(longest, w.volume.request_count / (c.batch_rps * 3600))
    return max([longest, *deadlines])


def _check(spec: Spec) -> None:
    if not _jobs(spec):
        raise InputError("objective completion_time needs at least one batch or training workload")
    if spec.constraints.budget_per_hour is None:
        raise InputError(
            "objective completion_time needs constraints.budget_per_hour: without a budget, "
            "more instances always finish sooner"
        )


def solve_completion_time(
    spec: Spec,
    catalog: Catalog,
    *,
    profiles: Profiles | None = None,
    settings: PerfSettings = DEFAULT_SETTINGS,
    options: SolveOptions = SolveOptions(),
    as_of=None,
) -> Solved:
    """The plan whose last job finishes soonest under the budget (cheapest among those), and
    its baselines."""
    _check(spec)
    high = _loosest_horizon(spec, catalog, settings)
    best = _cheapest_within(spec, catalog, high, profiles, settings, options, as_of)
    if best is None:
        place(with_horizon(spec, high), catalog, profiles=profiles, settings=settings,
              options=options, as_of=as_of)  # fmt: skip  # raises with the diagnosis
        raise InfeasibleError("No plan satisfies the constraints")
    high = best.makespan_hours or high
    low = 0.0
    while high - low > RELATIVE_TOLERANCE * high:
        middle = (low + high) / 2
        found = _cheapest_within(spec, catalog, middle, profiles, settings, options, as_of)
        if found is None:
            low = middle
        else:
            best, high = found, min(middle, found.makespan_hours or middle)
    final = place(with_horizon(spec, high), catalog, profiles=profiles, settings=settings,
                  options=options, as_of=as_of)  # fmt: skip
    solved = with_baselines(final, catalog, profiles=profiles, settings=settings, options=options)
    plan = restamp(solved.plan.model_copy(update={"objective": "completion_time"}), spec)
    return replace(solved, plan=plan)


def frontier(
    spec: Spec,
    catalog: Catalog,
    *,
    points: int = 8,
    profiles: Profiles | None = None,
    settings: PerfSettings = DEFAULT_SETTINGS,
    options: SolveOptions = SolveOptions(),
    as_of=None,
) -> Solved:
    """The fastest plan and the cost-time Pareto frontier of the jobs, for the date `as_of`
    (default: today, UTC)."""
    _check(spec)
    fastest = solve_completion_time(
        spec, catalog, profiles=profiles, settings=settings, options=options, as_of=as_of
    )
    start = fastest.plan.makespan_hours or 0.0
    end = _loosest_horizon(spec, catalog, settings)
    ladder = [start * (end / start) ** (i / max(points - 1, 1)) for i in range(points)]
    found: list[FrontierPoint] = []
    for hours in ladder:
        plan = _cheapest_within(spec, catalog, hours, profiles, settings, replace(options), as_of)
        if plan is None:
            continue
        point = FrontierPoint(
            completion_hours=plan.makespan_hours or hours,
            objective_value=plan.objective_value,
            cost_per_hour=plan.cost_per_hour,
            job_cost=plan.job_cost,
        )
        if not found or point.objective_value < found[-1].objective_value - 1e-9:
            found.append(point)
    return replace(fastest, frontier=tuple(found))
