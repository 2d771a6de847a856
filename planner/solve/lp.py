"""Sparse linear programs (the fleet's LP relaxation, the routing LP) solved by HiGHS through
OR-Tools' MathOpt, handed over as one model message built from arrays. `SparseLP` is such a
program put together block by block by the constraint families (planner.rules.rows.Rows).

A program is min cost.x s.t. row_lower <= A x <= row_upper, lower <= x <= upper, with A in
coordinate form (rows, cols, values; repeated entries add up). The solution carries the
optimum, the column values and each row's dual (d objective / d row bound: at most 0 on a
binding upper bound of a minimisation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

import numpy as np


@dataclass(frozen=True)
class LPSolution:
    """The optimum; `optimal` False when the program is infeasible, unbounded or ran out of
    time (then objective is inf and the arrays are zeros)."""

    optimal: bool
    objective: float
    x: np.ndarray
    duals: np.ndarray


def solve_lp(
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
    """Solve the program (see the module docstring) with HiGHS, deterministically."""
    from ortools.math_opt import model_pb2, parameters_pb2, result_pb2
    from ortools.math_opt.core.python import solver
    from ortools.math_opt.python import mathopt

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
    params = mathopt.SolveParameters(random_seed=0, time_limit=timedelta(seconds=time_limit_s))
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
        return LPSolution(False, math.inf, np.zeros(n), np.zeros(m))
    best = result.solutions[0]
    x = np.zeros(n)
    x[np.asarray(best.primal_solution.variable_values.ids, dtype=np.int64)] = np.asarray(
        best.primal_solution.variable_values.values
    )
    duals = np.zeros(m)
    dual = best.dual_solution.dual_values
    duals[np.asarray(dual.ids, dtype=np.int64)] = np.asarray(dual.values)
    return LPSolution(True, float(best.primal_solution.objective_value), x, duals)


class SparseLP:
    """A sparse LP put together block by block: the shared rows first (<= capacity), then
    each workload's columns and rows, written by the constraint families (a Rows model:
    no group is left out, there is one world, names are not kept)."""

    def __init__(self, capacity: np.ndarray):
        self._cost: list[np.ndarray] = []
        self._lo: list[np.ndarray] = []
        self._hi: list[np.ndarray] = []
        self._entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._row_lo: list[float] = [-math.inf] * capacity.size
        self._row_hi: list[float] = [float(c) for c in capacity]
        self._n = 0

    def columns(self, cost, lo, hi, names=None) -> np.ndarray:
        """New columns; their indices."""
        first = self._n
        self._n += len(cost)
        self._cost.append(np.asarray(cost, dtype=float))
        self._lo.append(np.asarray(lo, dtype=float))
        self._hi.append(np.asarray(hi, dtype=float))
        return np.arange(first, self._n)

    def row(self, cols, coefs, lo: float, hi: float, name: str = "") -> None:
        """A new row lo <= coefs . x[cols] <= hi."""
        cols = np.asarray(cols, dtype=np.int64)
        self._entries.append((np.full(len(cols), len(self._row_lo)), cols,
                              np.asarray(coefs, dtype=float)))  # fmt: skip
        self._row_lo.append(lo)
        self._row_hi.append(hi)

    def group(self, name: str) -> bool:
        return True

    def tag(self, s: int) -> str:
        return ""

    def shared(self, rows: np.ndarray, cols: np.ndarray, coefs: np.ndarray) -> None:
        """Entries of the shared rows."""
        self._entries.append((rows, cols, coefs))

    def solve(self, time_limit_s: float) -> LPSolution:
        def cat(parts, dtype):
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        r, c, v = zip(*self._entries, strict=True) if self._entries else ((), (), ())
        return solve_lp(
            cat(self._cost, float), cat(self._lo, float), cat(self._hi, float),
            cat(r, np.int64), cat(c, np.int64), cat(v, float),
            np.array(self._row_lo), np.array(self._row_hi), time_limit_s=time_limit_s,
        )  # fmt: skip
