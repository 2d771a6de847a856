"""One fleet for several worlds: the placement model over all of them, solved, and the fleet
read back as allocations at the problem's (base) prices.

The routing differs from world to world, so a serving allocation reports the world that loads
it most (its routed rate, utilisation and latencies there) and records no per-bucket routing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from planner.errors import PlannerError
from planner.plans.model import Allocation
from planner.solve.assemble import Rates, allocations_of
from planner.solve.backend import Outcome, SolveOptions, run
from planner.solve.mip import Built, PlacementProblem, World, build
from planner.solve.solution import read_solution
from planner.spec.models import ServingWorkload

_EPS = 1e-7


@dataclass(frozen=True)
class Fleet:
    """A fleet that serves every world: its allocations, status, objective and bound."""

    allocations: tuple[Allocation, ...]
    status: str
    objective: float
    bound: float
    seconds: float


def _busiest_rates(problem: PlacementProblem, built: Built, outcome: Outcome, worlds) -> Rates:
    """Per serving candidate in use: the routed requests/s of the world that loads it most."""
    values = outcome.result.variable_values
    found: dict[tuple[str, int], list[float]] = {}
    for w in problem.spec.workloads:
        if not isinstance(w, ServingWorkload):
            continue
        for i, c in enumerate(problem.candidates[w.name]):
            n = round(values(built.n[(w.name, i)]))
            if n <= 0:
                continue
            full = [n * c.replicas_per_instance * cap.max_rps for cap in c.capacities]
            busiest = (-1.0, [0.0] * len(full))
            for s, world in enumerate(worlds):
                shares = built.routes[s]
                demand = world.demand[w.name]
                routed = [
                    d * (values(shares[(w.name, i, b)]) if (w.name, i, b) in shares else 0.0)
                    for b, d in enumerate(demand)
                ]
                load = sum(r / full[b] for b, r in enumerate(routed) if r > _EPS)
                if load > busiest[0]:
                    busiest = (load, routed)
            found[(w.name, i)] = busiest[1]
    return found


def solve_fleet(
    problem: PlacementProblem, worlds: Sequence[World], options: SolveOptions
) -> Fleet | None:
    """The cheapest fleet of `problem`'s candidates that serves every world, priced at the
    candidates' own prices; None when no fleet does."""
    built = build(problem, worlds=worlds)
    outcome = run(built, options)
    if outcome.status == "infeasible":
        return None
    if outcome.status == "unknown":
        raise PlannerError(
            f"No fleet that serves all {len(worlds)} scenarios was found within the "
            f"{options.time_limit_s:g} s time limit; raise --time-limit or use fewer scenarios"
        )
    solution = read_solution(problem, built, outcome)
    rates = _busiest_rates(problem, built, outcome, worlds)
    allocations = tuple(allocations_of(problem, solution, rates))
    return Fleet(allocations, outcome.status, outcome.objective, outcome.bound, outcome.seconds)
