"""How a problem is solved, by its size: workload by workload first (exact when the shared
limits do not bind), the Lagrangian decomposition at scale, LP-guided MIP otherwise, and the
monolithic MIP where nothing else found a plan; InfeasibleError with the conflict when
none exists."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from planner.errors import InfeasibleError, out_of_time
from planner.plans.model import Allocation
from planner.rules import families
from planner.solve.assemble import allocations_of, value_of
from planner.solve.backend import Outcome, SolveOptions, run
from planner.solve.candidates import Candidate
from planner.solve.decompose import decompose, eligible, time_windows
from planner.solve.diagnose import conflicting_groups, explain_conflict
from planner.solve.mip import Built, PlacementProblem, build
from planner.solve.sharing import FirstPlan, first_plan, keeps_shared_limits
from planner.solve.single_choice import single_choice_cost
from planner.solve.solution import Solution, positions, read_solution
from planner.spec.models import ServingWorkload, TrainingWorkload, Workload


def _value(outcome: Outcome, var) -> float:
    return outcome.result.variable_values(var)


DECOMPOSE_LIMIT = 40
"""Fleets up to this many workloads are solved workload by workload first (exact when the
shared constraints do not bind); larger ones are solved LP-guided."""
POLISH_COST = 4.0
"""A decomposed plan short of the gap target is polished by the full MIP started from it when
the time left is more than this many times what the fleet LP took (building the full MIP and
its root relaxation cost a few LPs of the same fleet): the time it gets follows the fleet's
measured cost, not its size."""


SINGLE_CHOICE_EXTRAS = 2
"""Besides its LP support, each workload keeps its cheapest single choices in the restricted MIP
(a small workload's LP favours a fraction of a big instance; a whole small one is what it buys)."""


def cost_of(problem: PlacementProblem, solution: Solution) -> float:
    """What a solution costs: serving $/h plus the jobs' total cost, as the plan reports them."""
    return value_of(allocations_of(problem, solution))


class _Priced:
    """Each solution's allocations, worked out once in a solve: the strategy's cost checks and
    the plan assembled after it read the same ones (routing a 1,000-workload plan takes a
    second or two)."""

    def __init__(self, problem: PlacementProblem):
        self.problem = problem
        self._seen: dict[int, tuple[Solution, list[Allocation]]] = {}

    def allocations(self, solution: Solution) -> list[Allocation]:
        found = self._seen.get(id(solution))
        if found is None or found[0] is not solution:
            found = (solution, allocations_of(self.problem, solution))
            self._seen[id(solution)] = found
        return found[1]

    def cost(self, solution: Solution) -> float:
        return value_of(self.allocations(solution))

    def known(self, solution: Solution) -> list[Allocation] | None:
        """The allocations if they were worked out, else None."""
        found = self._seen.get(id(solution))
        return found[1] if found is not None and found[0] is solution else None


def _uses_spread(w: Workload) -> bool:
    return families.spread(w)


def _solve_lp_guided(
    problem: PlacementProblem,
    options: SolveOptions,
    priced: _Priced,
    start: Solution | None = None,
) -> Attempt:
    """LP relaxation of the whole fleet, then the MIP over each workload's LP support.

    The LP's optimum is a valid lower bound. The restricted MIP keeps, per workload, only the
    candidates the LP used, with counts between the LP value rounded down and one above it
    rounded up (all candidates where spread rules or a training gang make that too tight), so
    it is small and its plan is feasible for the full problem. A `start` plan's candidates and
    counts stay in the restriction too, and the MIP starts from it: its plan is then never
    dearer than `start`, which comes back where the LP or the MIP finds nothing better in
    time. Returns None for the solution when the restriction leaves no feasible plan and there
    is no `start`. Every solve ends by the options' deadline (nothing is built once it has
    passed).
    """
    spec = problem.spec
    if options.seconds_left() <= 0.0:
        return Attempt("feasible" if start else "unknown", 0.0, 0.0, start)
    lp_built = build(problem, relaxed=True)
    lp = run(lp_built, options)
    for more in (2, 4):  # no plan exists yet: longer tries, within the time left
        if lp.status != "unknown" or options.seconds_left() <= 0.0:
            break
        lp = run(lp_built, replace(options, time_limit_s=more * options.time_limit_s))
    if lp.status not in ("optimal", "feasible"):
        return (
            Attempt("feasible", 0.0, lp.seconds, start)
            if start
            else Attempt(lp.status, 0.0, lp.seconds)
        )
    kept = _used(start) if start is not None else {}
    restricted: dict[str, tuple[Candidate, ...]] = {}
    n_bounds: dict[tuple[str, int], tuple[float, float]] = {}
    for w in spec.workloads:
        cands = problem.candidates[w.name]
        if isinstance(w, TrainingWorkload) or _uses_spread(w):
            restricted[w.name] = cands
            continue
        support = []
        for i in range(len(cands)):
            var = lp_built.n[(w.name, i)]
            value = _value(lp, var)
            extra = _value(lp, lp_built.h[(w.name, i)]) if (w.name, i) in lp_built.h else 0.0
            if value > 1e-7 or extra > 1e-7:
                support.append((i, value))
        demand = problem.demand(w) if isinstance(w, ServingWorkload) else ()
        in_support = {i for i, _ in support}
        single = sorted(
            (cost, i)
            for i, c in enumerate(cands)
            if i not in in_support and (cost := single_choice_cost(w, c, demand)) is not None
        )[:SINGLE_CHOICE_EXTRAS]
        picked = [i for i, _ in support] + [i for _, i in single]
        picked += sorted(set(kept.get(w.name, ())) - set(picked))
        restricted[w.name] = tuple(cands[i] for i in picked)
        for j, (i, value) in enumerate(support):
            low, high = math.floor(value + 1e-9), math.ceil(value - 1e-9) + 1
            if start is not None and (w.name, i) in start.counts:
                low, high = (
                    min(low, start.counts[(w.name, i)]),
                    max(high, start.counts[(w.name, i)]),
                )
            n_bounds[(w.name, j)] = (low, high)
    sub = PlacementProblem(spec, restricted, problem.owned)
    built = build(sub, n_bounds=n_bounds)
    hint = None
    if start is not None:
        hint = built.hint(_in_sub(problem, sub, start).counts)
    outcome = run(built, options, hint=hint)  # the time left: no plan exists yet, or this one
    for more in (2, 4):  # longer tries where a shorter limit than the deadline stopped it
        if outcome.solved or outcome.status != "unknown" or options.seconds_left() <= 0.0:
            break
        outcome = run(built, replace(options, time_limit_s=more * options.time_limit_s))
    seconds = lp.seconds + outcome.seconds
    if not outcome.solved:
        return Attempt("feasible", lp.objective, seconds, start)
    solution = _in_full(problem, sub, read_solution(sub, built, outcome))
    if start is not None and priced.cost(start) <= priced.cost(solution) + 1e-9:
        solution = start
    return Attempt("feasible", lp.objective, seconds, solution)


def _used(solution: Solution) -> dict[str, list[int]]:
    """Each workload's candidate indices a solution buys or routes to."""
    used: dict[str, set[int]] = {}
    for w, i in (*solution.counts, *solution.hours, *((w, i) for w, i, _ in solution.shares)):
        used.setdefault(w, set()).add(i)
    return {w: sorted(found) for w, found in used.items()}


def _in_full(problem: PlacementProblem, sub: PlacementProblem, solution: Solution) -> Solution:
    """A solution of a problem restricted to some candidates, keyed by the full problem's
    candidate indices."""
    return solution.reindexed(positions(problem, sub))


def _in_sub(problem: PlacementProblem, sub: PlacementProblem, solution: Solution) -> Solution:
    """A solution of `problem` keyed by the candidate indices of `sub`, a restriction of it
    that keeps every candidate the solution uses."""
    return solution.reindexed({(w, i): j for (w, j), i in positions(problem, sub).items()})


def _improve_with_full_mip(
    problem: PlacementProblem, options: SolveOptions, guided: Attempt, priced: _Priced
) -> Attempt:
    """Run the full MIP from the LP-guided plan; keep whichever plan is cheaper, best bound."""
    status, bound, seconds, solution = guided.status, guided.bound, guided.seconds, guided.solution
    if options.deadline is not None:
        options.deadline.phase("full MIP")
    built = build(problem)
    hint = {}
    if solution is not None:
        hint = built.hint({(w, i): solution.count(w, i)
                           for w, cands in problem.candidates.items()
                           for i in range(len(cands))})  # fmt: skip
    outcome = run(built, options, hint=hint or None)
    seconds += outcome.seconds
    if math.isfinite(outcome.bound):
        bound = max(bound, outcome.bound)
    if outcome.status in ("optimal", "feasible"):
        full = read_solution(problem, built, outcome)
        if solution is None or priced.cost(full) < priced.cost(solution) - 1e-9:
            solution, status = full, outcome.status
    elif solution is None:
        return Attempt(outcome.status, bound, seconds)
    return Attempt(status, bound, seconds, solution)


def _solve_decomposed(problem: PlacementProblem, options: SolveOptions) -> Attempt:
    """Solve each workload alone (with the quotas it touches); sum the bounds.

    Workloads that may share instances are solved together, as one block. The sum of the
    blocks' bounds bounds the whole fleet from below. When the combined
    per-workload plans also respect the shared quotas and the budget they are optimal for the
    fleet, and the monolithic MIP is skipped (returns solution None otherwise).
    """
    spec = problem.spec
    bound, seconds, status = 0.0, 0.0, "optimal"
    solution = Solution()
    shared = tuple(w for w in spec.workloads if getattr(w, "sharing", "") == "shared")
    blocks = [(w,) for w in spec.workloads if w not in shared] + ([shared] if shared else [])
    for block in blocks:
        sub_spec = spec.model_copy(
            update={
                "workloads": block,
                "constraints": spec.constraints.model_copy(update={"budget_per_hour": None}),
            }
        )
        sub = PlacementProblem(
            sub_spec, {w.name: problem.candidates[w.name] for w in block}, problem.owned
        )
        built = build(sub)
        outcome = run(built, options)
        seconds += outcome.seconds
        if not outcome.solved:
            return Attempt("feasible", 0.0, seconds)
        bound += outcome.bound if math.isfinite(outcome.bound) else 0.0
        if outcome.status == "feasible":
            status = "feasible"
        solution.merge(read_solution(sub, built, outcome))
    if not keeps_shared_limits(problem, allocations_of(problem, solution)):
        return Attempt("feasible", bound, seconds)
    return Attempt(status, bound, seconds, solution)


def _shares(problem: PlacementProblem) -> bool:
    """Whether some workload may put replicas on instances shared with others."""
    return any(c.shared for cands in problem.candidates.values() for c in cands)


def _within_gap(priced: _Priced, found: Attempt, options: SolveOptions) -> bool:
    """Whether a plan is within the gap target of its bound (nothing left to polish)."""
    assert found.solution is not None
    cost = priced.cost(found.solution)
    return cost - found.bound <= options.relative_gap * cost


def _solve_lagrangian(
    problem: PlacementProblem, options: SolveOptions
) -> tuple[Attempt, float] | None:
    """The Lagrangian decomposition where the options ask for it (or, by default, at scale),
    and how long its fleet LP took; None where it does not apply or found no plan (the MIP
    strategy then runs)."""
    wanted = options.strategy == "decomposition" or (
        options.strategy == "auto" and len(problem.spec.workloads) > DECOMPOSE_LIMIT
    )
    if not wanted or not eligible(problem):
        return None
    result = decompose(problem, options)
    if result.solution is None:
        return None
    return Attempt("feasible", result.bound, result.seconds, result.solution), result.lp_seconds


def _no_plan(
    status: str, problem: PlacementProblem, options: SolveOptions, diagnose: bool, widen=None
):
    """Raise the error that says why no plan came back (`widen`: see explain_conflict)."""
    if status == "unknown":
        raise out_of_time(options.time_limit_s)
    if not diagnose:
        raise InfeasibleError("No plan satisfies the constraints")
    try:
        groups = conflicting_groups(problem, options)
    except TimeoutError:  # a sub-solve of the deletion filter ran out of time
        raise InfeasibleError(
            "No plan satisfies the constraints; which of them conflict could not be found within "
            f"the {options.time_limit_s:g} s time limit (raise --time-limit to find out)"
        ) from None
    raise InfeasibleError(explain_conflict(problem, groups, options, widen))


@dataclass(frozen=True)
class Attempt:
    """What one strategy found: its status, the best lower bound it proved, its solver time,
    and its solution (None where it found no plan: the next strategy runs)."""

    status: str
    bound: float
    seconds: float
    solution: Solution | None = None


@dataclass(frozen=True)
class Solved:
    """What a strategy found: the solution (counts, per-bucket routing, batch hours, shared
    instances, keyed by the problem's own candidate indices), its status (`optimal` only where
    a solver proved it; plan assembly also calls a plan within the gap target of the bound
    optimal), the best proven lower bound and the solver time. No strategy assembles a plan."""

    status: str
    bound: float
    seconds: float
    solution: Solution
    allocations: list[Allocation] | None = field(default=None, compare=False, repr=False)
    """The solution's allocations (allocations_of), where the strategy worked them out."""


def solve_problem(
    problem: PlacementProblem,
    options: SolveOptions,
    diagnose: bool = True,
    widen: Callable[[str], PlacementProblem] | None = None,
) -> Solved:
    """The cheapest plan of `problem` the strategy for its size finds by the options'
    deadline (`time_limit_s` from now where they have none): the best plan found so far with
    its proven bound when the deadline comes; raises InfeasibleError (the conflict in words when
    `diagnose`) or OutOfTime when none is found. `widen(name)` is the problem with workload
    `name`'s residency lifted: with it the words name a residency rule only where lifting it
    would make a plan possible."""
    options = options.with_deadline()
    priced = _Priced(problem)
    if problem.commitments or time_windows(problem):
        # a commitment ties together every workload whose usage it may cover, and neither the
        # per-workload blocks nor the Lagrangian prices know its rows; time windows are paid
        # per instance, not per hour used: the exact MIP plans both
        found = Attempt("optimal", 0.0, 0.0)
    elif (lagrangian := _solve_lagrangian(problem, options)) is not None:
        decomposed, lp_seconds = lagrangian
        found = decomposed
        assert decomposed.solution is not None
        cost = priced.cost(decomposed.solution)
        left = options.seconds_left()
        if cost - decomposed.bound > options.relative_gap * cost and left > POLISH_COST * (
            lp_seconds + 0.05
        ):
            # short of the gap target with time for the full MIP: polish from this plan until
            # the limit (its plan is kept only where cheaper, its bound only where higher)
            polish = replace(options, time_limit_s=left - POLISH_COST / 2 * lp_seconds)
            found = _improve_with_full_mip(problem, polish, decomposed, priced)
    elif len(problem.spec.workloads) > DECOMPOSE_LIMIT or (
        options.strategy == "decomposition" and _shares(problem)
    ):
        # shared instances (else the decomposition above ran): a first plan without them, and
        # the LP-guided MIP over every candidate from it where there is time to build it (a
        # few of the fleet's LPs)
        first = FirstPlan(None, 0.0)
        if options.strategy != "mip":
            first = first_plan(problem, options)
        if first.solution is not None and options.seconds_left() <= POLISH_COST * (
            first.lp_seconds + 0.05
        ):
            guided = Attempt("feasible", first.bound, 0.0, first.solution)
        else:
            if options.deadline is not None:
                options.deadline.phase("LP-guided MIP")
            guided = _solve_lp_guided(problem, options, priced, first.solution)
            guided = replace(guided, bound=max(guided.bound, first.bound))
        left = options.seconds_left()
        if guided.solution is not None and _within_gap(priced, guided, options):
            found = guided
        elif left > max(0.05, POLISH_COST * max(guided.seconds, first.lp_seconds)):
            # polish within what is left of the limit (building the full MIP costs a few of
            # the fleet's LPs: not for a moment's time, even where no plan exists yet)
            found = _improve_with_full_mip(problem, options, guided, priced)
            for more in (2, 4):  # longer tries where a shorter limit than the deadline stopped it
                if found.solution is not None or found.status != "unknown":
                    break
                if options.seconds_left() <= 0.0:
                    break
                longer = replace(options, time_limit_s=more * options.time_limit_s)
                found = _improve_with_full_mip(problem, longer, found, priced)
        else:
            found = guided
    else:
        found = _solve_decomposed(problem, options)
    status, bound, seconds, solution = found.status, found.bound, found.seconds, found.solution
    if solution is None and status in ("infeasible", "unknown"):
        _no_plan(status, problem, options, diagnose, widen)
    if solution is None and options.seconds_left() <= 0.0:
        _no_plan("unknown", problem, options, diagnose, widen)
    if solution is None:
        built: Built = build(problem)
        outcome = run(built, options)
        seconds += outcome.seconds
        if outcome.status in ("infeasible", "unknown"):
            _no_plan(outcome.status, problem, options, diagnose, widen)
        solution = read_solution(problem, built, outcome)
        status = outcome.status
        if math.isfinite(outcome.bound):
            bound = max(bound, outcome.bound)
    return Solved(status, bound, seconds, solution, priced.known(solution))
