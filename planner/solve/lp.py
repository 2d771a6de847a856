"""Sparse linear programs (the fleet's LP relaxation, the decomposition's final routing LP) as
arrays: `SparseLP` is one put together block by block by the constraint families
(planner.rules.rows.Rows), and solved by HiGHS through the solver's one door
(planner.solve.backend.solve_arrays)."""

from __future__ import annotations

import math

import numpy as np

from planner.solve.backend import LPSolution, solve_arrays

__all__ = ["LPSolution", "SparseLP", "solve_arrays"]


class SparseLP:
    """A sparse LP put together block by block: the shared rows first (<= capacity), then
    each workload's columns and rows, written by the constraint families (a Rows model:
    no group is left out, there is one world, names are not kept)."""

    def __init__(self, capacity: np.ndarray):
        self._cost: list[np.ndarray] = []
        self._lo: list[np.ndarray] = []
        self._hi: list[np.ndarray] = []
        self._entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._extra_cost: list[tuple[np.ndarray, np.ndarray]] = []
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

    def cost(self, cols, coefs) -> None:
        """Add coefs to the objective coefficients of columns already made."""
        self._extra_cost.append((np.asarray(cols, dtype=np.int64), np.asarray(coefs, dtype=float)))

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
        cost = cat(self._cost, float)
        for cols, coefs in self._extra_cost:
            np.add.at(cost, cols, coefs)
        return solve_arrays(
            cost, cat(self._lo, float), cat(self._hi, float),
            cat(r, np.int64), cat(c, np.int64), cat(v, float),
            np.array(self._row_lo), np.array(self._row_hi), time_limit_s=time_limit_s,
        )  # fmt: skip
