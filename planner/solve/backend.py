"""The one door to the solver library (OR-Tools MathOpt): models and sums to build them,
solver parameters, determinism, and reading the status, bounds and values back.

Every model the planner solves passes here: the placement MIP and its LP relaxation (`run`),
the decomposition's restricted master (`run_model`), the fleet and routing LPs given as arrays
(`solve_arrays`) and the small routing LPs of the tie rule (`solve_lp`). No other module of
planner.solve imports OR-Tools (an import contract says so).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from ortools.math_opt.python import mathopt

from planner.clock import Deadline
from planner.compute.executors import Executor

if TYPE_CHECKING:
    from planner.solve.mip import Built

Model = mathopt.Model
Variable = mathopt.Variable
LinearSum = mathopt.LinearSum


def new_model(name: str) -> Model:
    """An empty model."""
    return mathopt.Model(name=name)


def fast_sum(terms) -> LinearSum:
    """The sum of linear terms (variables, expressions, numbers), built in one go."""
    return mathopt.fast_sum(list(terms))


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
    deadline: Deadline | None = field(default=None, compare=False, repr=False)
    """When the work stops: every solver call gets at most the time left until it, and none
    starts after it. None: each solve (`solve_problem`, `place`) starts one `time_limit_s` from
    its own start. `planner plan` makes one for the whole command (candidates, solve, plan
    assembly, baselines)."""

    def with_deadline(self) -> SolveOptions:
        """These options with a deadline: theirs, or `time_limit_s` from now."""
        if self.deadline is not None:
            return self
        return replace(self, deadline=Deadline.after(self.time_limit_s))

    def seconds_left(self) -> float:
        """What a solver call may take now: the time limit, or less where the deadline is
        sooner (0 once it has passed)."""
        if self.deadline is None:
            return self.time_limit_s
        return max(0.0, min(self.time_limit_s, self.deadline.left()))


@dataclass(frozen=True)
class Outcome:
    """What the solver said: status, objective, bound, and a way to read variable values."""

    status: str
    """optimal, feasible, infeasible or unknown (no solution within the limits)."""
    objective: float
    bound: float
    seconds: float
    result: mathopt.SolveResult

    @property
    def solved(self) -> bool:
        """Whether there is a solution to read (optimal or feasible)."""
        return self.status in ("optimal", "feasible")

    def value(self, var) -> float:
        """A variable's value in the solution."""
        return self.result.variable_values(var)

    def values(self) -> dict:
        """Every variable's value in the solution."""
        return self.result.variable_values()


_NOT_RUN = mathopt.SolveResult(
    termination=mathopt.Termination(
        reason=mathopt.TerminationReason.NO_SOLUTION_FOUND, limit=mathopt.Limit.TIME
    )
)
"""What a solve that never started (its deadline had passed) reports."""


def run(built: Built, options: SolveOptions, hint: dict | None = None) -> Outcome:
    """Solve a built model: SCIP for the MIP, GLOP for its LP relaxation.

    `hint` maps variables to values of a known (possibly partial) solution to start from.
    """
    return run_model(built.model, options, hint, relaxed=built.relaxed)


def run_model(
    model: Model, options: SolveOptions, hint: dict | None = None, *, relaxed: bool = False
) -> Outcome:
    """Solve `model`: SCIP (within the options' time limit, gap, seed and threads), or GLOP
    when `relaxed` (its variables are all continuous). Never past the options' deadline: the
    call gets the time left, and none once it has passed (status unknown, no bound)."""
    limit = options.seconds_left()
    if limit <= 0.0:
        return Outcome("unknown", math.nan, -math.inf, 0.0, _NOT_RUN)
    if relaxed:
        solver = mathopt.SolverType.GLOP
        params = mathopt.SolveParameters(time_limit=timedelta(seconds=limit))
    else:
        solver = mathopt.SolverType.GSCIP
        params = mathopt.SolveParameters(
            time_limit=timedelta(seconds=limit),
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
    result = mathopt.solve(model, solver, params=params, model_params=model_params)
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


def solve_lp(model: Model) -> dict[Any, float] | None:
    """Solve a small LP with GLOP at its default settings: every variable's value at the
    optimum, or None when there is no optimum."""
    result = mathopt.solve(model, mathopt.SolverType.GLOP)
    if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
        return None
    return result.variable_values()


@dataclass(frozen=True)
class LPSolution:
    """The optimum of a program given as arrays; `optimal` False when the program is
    infeasible, unbounded or ran out of time (then objective is inf and the arrays are zeros)."""

    optimal: bool
    objective: float
    x: np.ndarray
    duals: np.ndarray
    timed_out: bool = False
    """The time limit passed before the solver decided (a longer try may solve it)."""


def solve_arrays(
    cost,
    lower,
    upper,
    rows,
    cols,
    values,
    row_lower,
    row_upper,
    *,
    time_limit_s: float = 60.0,
) -> LPSolution:
    """Solve min cost.x s.t. row_lower <= A x <= row_upper, lower <= x <= upper (A in
    coordinate form: rows, cols, values; repeated entries add up) with HiGHS,
    deterministically, handed over as one model message. Each row's dual is d objective /
    d row bound (at most 0 on a binding upper bound of a minimisation)."""
    found = _solve_arrays(cost, lower, upper, rows, cols, values, row_lower, row_upper,
                          time_limit_s)  # fmt: skip
    _give_back_freed_memory()
    return found


def _give_back_freed_memory() -> None:
    """Hand the memory the solver freed back to the system (glibc keeps it otherwise: after a
    5,000-workload fleet LP, about 600 MB the solve used stayed resident in the planning
    process, and in every worker process forked from it). No-op where there is no glibc."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _solve_arrays(
    cost, lower, upper, rows, cols, values, row_lower, row_upper, time_limit_s: float
) -> LPSolution:
    from ortools.math_opt import model_pb2, parameters_pb2, result_pb2
    from ortools.math_opt.core.python import solver
    from ortools.math_opt.solvers import highs_pb2

    cost = np.asarray(cost, dtype=float)
    n, m = cost.size, len(row_lower)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    # one entry per (row, column) in row-major order, repeated entries summed
    key, where = np.unique(rows * max(n, 1) + cols, return_inverse=True)
    summed = np.zeros(key.size)
    np.add.at(summed, where, np.asarray(values, dtype=float))
    keep = summed != 0
    key, summed = key[keep], summed[keep]
    model = model_pb2.ModelProto(name="lp")
    ids = np.arange(n).tolist()
    model.variables.ids.extend(ids)
    model.variables.lower_bounds.extend(np.asarray(lower, dtype=float).tolist())
    model.variables.upper_bounds.extend(np.asarray(upper, dtype=float).tolist())
    model.variables.integers.extend([False] * n)
    nonzero = np.flatnonzero(cost)
    model.objective.linear_coefficients.ids.extend(nonzero.tolist())
    model.objective.linear_coefficients.values.extend(cost[nonzero].tolist())
    model.linear_constraints.ids.extend(range(m))
    model.linear_constraints.lower_bounds.extend(np.asarray(row_lower, dtype=float).tolist())
    model.linear_constraints.upper_bounds.extend(np.asarray(row_upper, dtype=float).tolist())
    matrix = model.linear_constraint_matrix
    matrix.row_ids.extend((key // max(n, 1)).tolist())
    matrix.column_ids.extend((key % max(n, 1)).tolist())
    matrix.coefficients.extend(summed.tolist())
    # without presolve: on the fleet LPs of benchmarks/fleet.py's matrix HiGHS's dual simplex
    # took 8-25% less time (the rows are few per column and seldom redundant, so presolve
    # removes little and costs a pass over the whole model)
    params = mathopt.SolveParameters(
        random_seed=0, time_limit=timedelta(seconds=time_limit_s), presolve=mathopt.Emphasis.OFF
    )
    # one thread: the dual simplex gains nothing from more here, and a HiGHS that never
    # started worker threads is safe to use in a process forked from this one (the fleet LP
    # runs in one, beside the covering rows)
    params.highs = highs_pb2.HighsOptionsProto(int_options={"threads": 1})
    result = solver.solve(
        model,
        mathopt.SolverType.HIGHS.value,
        parameters_pb2.SolverInitializerProto(),
        params.to_proto(),
        mathopt.ModelSolveParameters().to_proto(),
        None,
        mathopt.CallbackRegistration().to_proto(),
        None,
        None,
    )
    if result.termination.reason != result_pb2.TERMINATION_REASON_OPTIMAL or not result.solutions:
        limited = result.termination.reason in (
            result_pb2.TERMINATION_REASON_FEASIBLE,
            result_pb2.TERMINATION_REASON_NO_SOLUTION_FOUND,
        )
        return LPSolution(False, math.inf, np.zeros(n), np.zeros(m), timed_out=limited)
    best = result.solutions[0]
    x = np.zeros(n)
    x[np.asarray(best.primal_solution.variable_values.ids, dtype=np.int64)] = np.asarray(
        best.primal_solution.variable_values.values
    )
    duals = np.zeros(m)
    dual = best.dual_solution.dual_values
    duals[np.asarray(dual.ids, dtype=np.int64)] = np.asarray(dual.values)
    return LPSolution(True, float(best.primal_solution.objective_value), x, duals)


def is_feasible(built: Built, options: SolveOptions) -> bool:
    """Whether the model has any solution (used by the infeasibility diagnosis)."""
    outcome = run(built, options)
    if outcome.status == "unknown":
        raise TimeoutError("the solver could not decide feasibility within the time limit")
    return outcome.status in ("optimal", "feasible")
