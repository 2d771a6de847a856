"""One plan of a spec, for cost: candidates -> model -> strategy -> Plan assembly.

Nothing here re-solves: baselines, recommendations, completion time and robust plans are
drivers that call `place` (or the model) again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from planner import clock
from planner.catalog import Catalog, load_catalog
from planner.perf import DEFAULT_SETTINGS, PerfSettings, Profiles
from planner.plans.model import Plan
from planner.solve.assemble import (
    allocations_of,
    assemble_plan,
    by_place,
    value_of,
    with_compatible_instances,
)
from planner.solve.backend import SolveOptions
from planner.solve.mip import PlacementProblem
from planner.solve.problem import make_problem, widened
from planner.solve.strategy import solve_problem
from planner.spec.models import Spec

ASSEMBLY_S_PER_WORKLOAD = 1.5e-3
"""Seconds per workload kept back from the solve for what comes after it before the deadline
(each workload's allocations and routing, the Plan; about 0.6-1.5 ms each measured on
1,000-workload fleets on 2 shared cores)."""


@dataclass(frozen=True)
class Placement:
    """A plan (without baselines) and the problem it solves."""

    problem: PlacementProblem
    plan: Plan


def place(
    spec: Spec,
    catalog: Catalog | None = None,
    *,
    profiles: Profiles | None = None,
    settings: PerfSettings = DEFAULT_SETTINGS,
    options: SolveOptions = SolveOptions(),
    diagnose: bool = True,
    as_of: dt.date | None = None,
) -> Placement:
    """The cost-optimal placement of `spec` on `catalog` (bundled by default) for the date
    `as_of` (default today); InfeasibleError naming the conflict (when `diagnose`) if none.

    Within the options' deadline (by default `time_limit_s` from now) for everything: the
    candidates, the strategy and the Plan's assembly, for which the strategy stops
    ASSEMBLY_S_PER_WORKLOAD per workload early. At the deadline the best plan found so far comes
    back with its proven bound; OutOfTime where none was found."""
    catalog = catalog if catalog is not None else load_catalog()
    plan_date = as_of or clock.today()
    options = options.with_deadline()
    deadline = options.deadline
    assert deadline is not None
    deadline.phase("candidates")
    problem = make_problem(
        spec, catalog, settings, profiles, plan_date, options.workers, options.executor,
        deadline,
    )  # fmt: skip

    def widen(name: str) -> PlacementProblem:
        return widened(problem, catalog, name, settings, profiles, plan_date)

    reserve = ASSEMBLY_S_PER_WORKLOAD * len(spec.workloads)
    solved = solve_problem(
        problem, replace(options, deadline=deadline.earlier(reserve)), diagnose, widen
    )
    deadline.phase("assembly")
    found = solved.allocations
    if found is None:
        found = allocations_of(problem, solved.solution)
    places = by_place(catalog)
    allocations = [with_compatible_instances(a, catalog, places) for a in found]
    value = value_of(allocations)
    gap = (value - solved.bound) / value if value > 0 else 0.0
    status = "optimal" if gap <= options.relative_gap else solved.status
    plan = assemble_plan(
        problem, allocations, status=status, bound=solved.bound,
        seconds=solved.seconds, plan_date=plan_date, catalog=catalog,
    )  # fmt: skip
    return Placement(problem, plan)
