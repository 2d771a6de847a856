"""The fleet LP's answer says whether its time limit stopped it: the decomposition then tries
again for longer (on a loaded machine the wall-clock limit passes before the LP had its CPU,
and a plan without the LP's prices is far dearer), where an infeasible LP is final."""

from __future__ import annotations

import math

import numpy as np

from planner.solve.lp import SparseLP


def _covering_lp(n: int, seed: int = 0) -> SparseLP:
    """min c.x s.t. A x >= 1 over random dense-ish rows: big enough to take HiGHS a while."""
    rng = np.random.default_rng(seed)
    lp = SparseLP(np.zeros(0))
    x = lp.columns(rng.uniform(1.0, 2.0, n), np.zeros(n), np.full(n, 10.0))
    for _ in range(n // 2):
        picked = rng.choice(n, size=40, replace=False)
        lp.row(x[picked], rng.uniform(0.1, 1.0, 40), 1.0, math.inf)
    return lp


def test_an_lp_stopped_by_its_time_limit_says_so():
    found = _covering_lp(4_000).solve(1e-9)
    assert not found.optimal
    assert found.timed_out


def test_an_lp_given_time_is_solved_and_not_timed_out():
    found = _covering_lp(200).solve(60.0)
    assert found.optimal
    assert not found.timed_out
    assert found.objective > 0


def test_an_infeasible_lp_is_not_taken_for_one_that_ran_out_of_time():
    lp = SparseLP(np.zeros(0))
    x = lp.columns(np.ones(2), np.zeros(2), np.ones(2))
    lp.row(x, np.ones(2), 3.0, math.inf)  # two columns of at most 1 cannot reach 3
    found = lp.solve(60.0)
    assert not found.optimal
    assert not found.timed_out
