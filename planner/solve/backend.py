"""The MIP backend (OR-Tools MathOpt): solver parameters, determinism, and reading the status
and bounds back."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta

from ortools.math_opt.python import mathopt

from planner.compute.executors import Executor
from planner.solve.mip import Built

SOLVER_NAME = "OR-Tools MathOpt / SCIP"


@dataclass(frozen=True)
class SolveOptions:
    """Solver limits; one thread and a fixed seed make results repeatable."""

    time_limit_s: float = 60.0
    relative_gap: float = 1e-4
    seed: int = 0
    threads: int = 1
    workers: int = 1
    """Processes for candidates and per-workload subproblems (the decomposition)."""
    executor: Executor | None = field(default=None, compare=False, repr=False)
    """Where those run instead (a Ray cluster, say); None: `workers` forked local processes.
    The caller holds it open (`with executor:`) for the solve, so a cluster is joined once."""
    max_price_age_days: int = 90
    """A plan whose date is more than this many days past a price's as_of carries a warning."""
    strategy: str = "auto"
    """auto (decomposition above a few dozen workloads), decomposition, or mip (one MIP,
    LP-guided: the strategy before the decomposition, kept to compare and fall back on)."""


@dataclass(frozen=True)
class Outcome:
    """What the solver said: status, objective, bound, and a way to read variable values."""

    status: str
    """optimal, feasible, infeasible or unknown (no solution within the limits)."""
    objective: float
    bound: float
    seconds: float
    result: mathopt.SolveResult


def run(built: Built, options: SolveOptions, hint: dict | None = None) -> Outcome:
    """Solve a built model: SCIP for the MIP, GLOP for its LP relaxation.

    `hint` maps variables to values of a known (possibly partial) solution to start from.
    """
    if built.relaxed:
        solver = mathopt.SolverType.GLOP
        params = mathopt.SolveParameters(time_limit=timedelta(seconds=options.time_limit_s))
    else:
        solver = mathopt.SolverType.GSCIP
        params = mathopt.SolveParameters(
            time_limit=timedelta(seconds=options.time_limit_s),
            relative_gap_tolerance=options.relative_gap,
            random_seed=options.seed,
            threads=options.threads,
        )
    start = time.perf_counter()
    model_params = None
    if hint:
        model_params = mathopt.ModelSolveParameters(
            solution_hints=[mathopt.SolutionHint(variable_values=hint)]
        )
    result = mathopt.solve(built.model, solver, params=params, model_params=model_params)
    seconds = time.perf_counter() - start
    reason = result.termination.reason
    if reason == mathopt.TerminationReason.OPTIMAL:
        status = "optimal"
    elif result.has_primal_feasible_solution():
        status = "feasible"
    elif reason in (
        mathopt.TerminationReason.INFEASIBLE,
        mathopt.TerminationReason.INFEASIBLE_OR_UNBOUNDED,
    ):
        status = "infeasible"
    else:
        status = "unknown"
    has_solution = result.has_primal_feasible_solution()
    objective = result.objective_value() if has_solution else float("nan")
    bound = result.termination.objective_bounds.dual_bound
    if status == "optimal":
        bound = min(bound, objective) if bound == bound else objective
    return Outcome(status, objective, bound, seconds, result)


def is_feasible(built: Built, options: SolveOptions) -> bool:
    """Whether the model has any solution (used by the infeasibility diagnosis)."""
    outcome = run(built, options)
    if outcome.status == "unknown":
        raise TimeoutError("the solver could not decide feasibility within the time limit")
    return outcome.status in ("optimal", "feasible")
