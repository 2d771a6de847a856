"""One plan of a spec, for cost: candidates -> model -> strategy -> Plan assembly.

Nothing here re-solves: baselines, recommendations, completion time and robust plans are
drivers that call `place` (or the model) again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from planner import clock
from planner.catalog import Catalog, load_catalog
from planner.errors import out_of_time
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
"""CPU seconds per workload kept back from the solve for what comes after it before the
deadline: each workload's allocations and routing, the Plan, the cheapest-single-choice
baseline, the hourly schedule and writing the plan (0.9-1.4 ms of CPU per workload measured on
the 1,000-workload reference fleet of benchmarks/fleet.py, 2026-12-07). Stretched by the
machine's load (clock.slowdown): the deadline is a wall-clock one."""
WRITING_S_PER_WORKLOAD = 0.5e-3
"""CPU seconds per workload kept back from the baselines for what comes after them: the hourly
schedule and writing the plan (0.5 ms of CPU per workload measured on the same fleet)."""
FIRST_PLAN_S_PER_WORKLOAD = 1.5e-3
"""CPU seconds per workload the quickest first plan takes (the decomposition's covering rows,
one round of subproblems stopped at once, each workload on its cheapest single candidate, and a
repair of the same kind: 1.3 ms per workload, from 7 s of wall-clock time at a load of 11 on 2
cores on the same fleet). With less time left after the candidates than this and the assembly
(stretched by the load) no solve starts: it could only end past the deadline."""


def kept_back(per_workload_s: float, workloads: int) -> float:
    """Wall-clock seconds that `per_workload_s` of CPU per workload take for `workloads` now
    (stretched by the machine's load: clock.slowdown)."""
    return per_workload_s * workloads * clock.slowdown()


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
    ASSEMBLY_S_PER_WORKLOAD per workload early (more on a loaded machine). At the deadline the
    best plan found so far comes back with its proven bound; OutOfTime where none was found."""
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

    reserve = kept_back(ASSEMBLY_S_PER_WORKLOAD, len(spec.workloads))
    if deadline.left() < reserve + kept_back(FIRST_PLAN_S_PER_WORKLOAD, len(spec.workloads)):
        raise out_of_time(deadline.limit_s)
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
