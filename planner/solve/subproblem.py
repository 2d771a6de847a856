"""One serving workload alone at given prices, solved exactly without a generic solver.

Priced, a serving workload is: integer instances n_c of its candidates at effective prices p_c,
enough that its request-size buckets can be routed (fractionally) onto them within each
instance's planned rate r_cb, with at least `min_replicas` replicas.

Routing is eliminated exactly. By Farkas' lemma, counts n admit a routing iff for every weight
vector w >= 0 over the buckets, sum_c n_c max_b(w_b r_cb) >= sum_b w_b d_b. The left side
minus the right is linear on each cell of the arrangement of the hyperplanes
w_b r_cb = w_b' r_cb' (and w_b = 0), so the vertices of that arrangement are all the weights
to check: a handful of covering rows, computed once per workload (prices do not enter). What
is left is a small covering integer program, min p.n s.t. A n >= 1, n integer >= 0, which a
depth-first branch and bound solves to optimality (or to a stated relative tolerance, with the
lower bound it proved).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

MAX_BUCKETS = 3
"""Workloads with more request-size buckets go to the generic solver."""
_FEASIBLE = 1e-9


def covering_rows(
    rates: Sequence[Sequence[float]],
    demand: Sequence[float],
    replicas: Sequence[int],
    min_replicas: int,
) -> np.ndarray:
    """Rows a of the covering form a.n >= 1 equivalent to "n can carry `demand`".

    rates[c][b]: requests/s one instance of candidate c may carry of bucket b (0: cannot);
    replicas[c]: replicas per instance. Only rows no other row implies are kept.
    """
    r = np.asarray(rates, dtype=float).reshape(len(rates), -1)
    d = np.asarray(demand, dtype=float)
    buckets = d.size
    if buckets > MAX_BUCKETS:
        raise ValueError(f"at most {MAX_BUCKETS} buckets")
    weights = _weights(r, buckets)
    rhs = weights @ d
    weights, rhs = weights[rhs > _FEASIBLE], rhs[rhs > _FEASIBLE]
    # max over the buckets of w_b r_cb, bucket by bucket (a reduction over an axis of 2 or 3
    # is far slower than as many elementwise maxima)
    most = weights[:, None, 0] * r[None, :, 0]
    for b in range(1, buckets):
        most = np.maximum(most, weights[:, None, b] * r[None, :, b])
    rows = [most / rhs[:, None]]
    if min_replicas > 0:
        rows.append(np.asarray(replicas, dtype=float) / min_replicas)
    if not rows:
        return np.zeros((0, r.shape[0]))
    rows_a = unique_rows(np.round(np.vstack(rows), 12))
    return _minimal(rows_a) if rows_a.shape[0] <= 64 else rows_a


def _weights(r: np.ndarray, buckets: int) -> np.ndarray:
    """Vertices of the arrangement of w_b r_cb = w_b' r_cb' on the simplex of bucket weights.

    The lines depend only on each candidate's rates up to scale, so candidates with
    proportional rates (the same accelerator and TP in other regions or sizes) count once.
    """
    if buckets == 1:
        return np.ones((1, 1))
    shapes = r / np.where(r.max(axis=1, keepdims=True) > 0, r.max(axis=1, keepdims=True), 1.0)
    shapes = unique_rows(np.round(shapes, 12))
    lines = [np.eye(buckets)[b] for b in range(buckets)]
    for b in range(buckets):
        for b2 in range(b + 1, buckets):
            for rc in shapes:
                if rc[b] > 0 and rc[b2] > 0:
                    line = np.zeros(buckets)
                    line[b], line[b2] = rc[b], -rc[b2]
                    lines.append(line)
    lines_a = np.array(lines)
    if buckets == 2:
        w = np.stack([-lines_a[:, 1], lines_a[:, 0]], axis=1)
    else:
        i, j = np.triu_indices(len(lines_a), k=1)
        w = np.cross(lines_a[i], lines_a[j])
    total = w.sum(axis=1)
    ok = np.abs(total) > 1e-15
    w = w[ok] / total[ok, None]
    w = w[(w >= -1e-12).all(axis=1)]
    return unique_rows(np.round(np.clip(w, 0, None), 12))


def unique_rows(a: np.ndarray) -> np.ndarray:
    """np.unique(a, axis=0) for a 2-D array of finite numbers >= 0: the distinct rows in
    lexicographic order. Such doubles order as their bit patterns do, so each row is sorted as
    one string of big-endian bytes (several times faster than numpy's field-by-field sort of
    rows; thousands of rows per three-bucket workload)."""
    a = np.asarray(a, dtype=float)
    if a.ndim != 2 or a.shape[0] < 2 or a.shape[1] == 0:
        return np.unique(a + 0.0, axis=0)
    if not (a >= 0).all():
        raise ValueError("unique_rows needs numbers >= 0")
    packed = np.ascontiguousarray((a + 0.0).astype(">f8"))  # + 0.0: no -0.0 left
    keys = packed.view(np.dtype((np.void, 8 * a.shape[1]))).ravel()
    distinct = np.unique(keys)
    return np.frombuffer(distinct.tobytes(), dtype=">f8").reshape(-1, a.shape[1]).astype(float)


def _minimal(rows: np.ndarray) -> np.ndarray:
    """Rows not implied by another: a.n >= 1 implies a'.n >= 1 when a' >= a componentwise."""
    keep = np.ones(rows.shape[0], dtype=bool)
    for start in range(0, rows.shape[0], 256):
        block = rows[start : start + 256]
        le = (rows[:, None, :] <= block[None, :, :] + 1e-12).all(axis=2)  # le[i, j]: i implies j
        ge = (rows[:, None, :] >= block[None, :, :] - 1e-12).all(axis=2)
        index = np.arange(rows.shape[0])[:, None]
        strictly = le & ~ge
        earlier_equal = le & ge & (index < (start + np.arange(block.shape[0]))[None, :])
        keep[start : start + block.shape[0]] = ~(strictly | earlier_equal).any(axis=0)
    return rows[keep]


@dataclass(frozen=True)
class Covering:
    """The best counts found, their cost, and a proven lower bound on the optimum."""

    counts: tuple[int, ...]
    cost: float
    bound: float
    nodes: int

    @property
    def feasible(self) -> bool:
        return math.isfinite(self.cost)


def solve_covering(
    prices: Sequence[float],
    rows: np.ndarray,
    *,
    usage: np.ndarray | None = None,
    room: Sequence[float] | None = None,
    tolerance: float = 1e-6,
    max_nodes: int = 20_000,
    start: Sequence[int] | None = None,
    deadline: float | None = None,
    floor: float = -math.inf,
) -> Covering:
    """min prices.n s.t. rows @ n >= 1, n integer >= 0 (prices > 0), by branch and bound.

    `usage` (R x k) and `room` (R) add packing rows usage @ n <= room (what is left of shared
    capacity when repairing a plan). Nodes whose bound is within `tolerance` (relative) of the
    best plan are not explored; the bound returned accounts for them. Rows are added lazily:
    the search starts from the rows each candidate is weakest on and adds the rows the best
    plan found breaks, until it breaks none (fewer rows only ever give a valid lower bound).
    `start`, counts that cover every row (and fit `room`), is the first best plan: the search
    then looks only for cheaper ones (ignored when it covers not every row).
    `deadline` (time.time()) stops the search like the node limit does; a search stopped
    before any plan returns the cheapest single-candidate cover (that fits `room`), if any.
    `floor`, a lower bound on the optimum known beforehand (the LP relaxation's value), ends
    the search once a plan is within `tolerance` of it, and is the bound where it is higher
    than the one the search proves (a search stopped by its node limit proves little more
    than its root's).
    """
    rows = np.asarray(rows, dtype=float)
    if start is not None:
        n = np.asarray(start, dtype=float)
        fits = usage is None or (np.asarray(usage) @ n <= np.asarray(room) + _FEASIBLE).all()
        if not fits or (rows @ n < 1.0 - _FEASIBLE).any():
            start = None
    if rows.shape[0] <= 8:
        found = _branch_and_bound(
            prices, rows, usage, room, tolerance, max_nodes, start, deadline, floor
        )
        return _or_single(found, prices, rows, usage, room)
    active = sorted({int(j) for j in rows.argmin(axis=0)} | {0, rows.shape[0] - 1})
    nodes = 0
    while True:
        found = _branch_and_bound(
            prices, rows[active], usage, room, tolerance, max_nodes, start, deadline, floor
        )
        nodes += found.nodes
        if not found.feasible:
            return _or_single(replace(found, nodes=nodes), prices, rows, usage, room)
        slack = rows @ np.asarray(found.counts, dtype=float) - 1.0
        broken = [int(j) for j in np.argsort(slack)[:4] if slack[j] < -_FEASIBLE]
        if not broken:
            return replace(found, nodes=nodes)
        active = sorted(set(active) | set(broken))


def _or_single(found: Covering, prices, rows: np.ndarray, usage, room=None) -> Covering:
    """`found`, or where the search stopped (node limit, deadline) before any plan, the
    cheapest single-candidate cover (within `room` of the packing rows `usage`) with the bound
    it proved."""
    if found.feasible or not math.isfinite(found.bound):
        return found
    single = _single_cover(prices, rows, usage, room)
    if single is None:
        return found
    cost = float(np.asarray(prices, dtype=float) @ np.asarray(single, dtype=float))
    return Covering(single, cost, min(found.bound, cost), found.nodes)


def _single_cover(
    prices: Sequence[float], rows: np.ndarray, usage=None, room=None
) -> tuple[int, ...] | None:
    """The cheapest plan on one candidate alone that covers every row and, given packing rows
    `usage` (R x k), fits `room` (None: none does)."""
    a = np.asarray(rows, dtype=float)
    if a.size == 0:
        return None
    p = np.asarray(prices, dtype=float)
    weakest = a.min(axis=0)
    able = weakest > _FEASIBLE
    if not able.any():
        return None
    counts = np.where(able, np.ceil(1.0 / np.where(able, weakest, 1.0) - 1e-9), 0.0)
    counts = np.maximum(counts, 1.0)
    if usage is not None:
        use = np.asarray(usage, dtype=float)
        able &= (use * counts <= np.asarray(room, dtype=float)[:, None] + _FEASIBLE).all(axis=0)
        if not able.any():
            return None
    cost = np.where(able, p * counts, np.inf)
    c = int(np.argmin(cost))
    plan = [0] * a.shape[1]
    plan[c] = int(counts[c])
    if (a @ np.asarray(plan, dtype=float) < 1.0 - _FEASIBLE).any():
        return None
    return tuple(plan)


def _branch_and_bound(
    prices, rows, usage, room, tolerance, max_nodes, start=None, deadline=None, floor=-math.inf
) -> Covering:
    k = len(prices)
    p = [float(x) for x in prices]
    a = [[float(v) for v in row] for row in rows]
    if usage is not None:
        use = [[float(v) for v in row] for row in usage]
        left0 = [float(v) for v in room]  # type: ignore[union-attr]
    else:
        use, left0 = [], []
    if not a:
        return Covering((0,) * k, 0.0, 0.0, 1)
    # cheapest covering of the hardest row first: the likely backbone of the optimum
    order = sorted(
        range(k), key=lambda c: (p[c] / min(row[c] for row in a) if all(row[c] for row in a)
                                 else math.inf, p[c], c)
    )  # fmt: skip
    cols = [[row[c] for row in a] for c in order]
    ucols = [[row[c] for row in use] for c in order]
    pc = [p[c] for c in order]
    # ratio[i][j]: cheapest price per unit of row j among candidates order[i:]
    ratio = [[math.inf] * len(a) for _ in range(k + 1)]
    for i in range(k - 1, -1, -1):
        for j in range(len(a)):
            here = pc[i] / cols[i][j] if cols[i][j] > 0 else math.inf
            ratio[i][j] = min(ratio[i + 1][j], here)
    best_cost = math.inf
    best: list[int] | None = None
    if start is not None:  # a known plan: only cheaper ones are searched for
        best = [int(start[c]) for c in order]
        best_cost = sum(p[c] * start[c] for c in range(k))
    pruned_bound = math.inf
    nodes = 0
    counts = [0] * k
    exhausted = False
    closed = floor >= best_cost * (1 - tolerance)  # a plan within tolerance of the known bound

    def lower(i: int, need: list[float]) -> float:
        return max(
            [n * q for n, q in zip(need, ratio[i], strict=False) if n > _FEASIBLE], default=0.0
        )

    keep = 1 - tolerance
    last = k - 1

    # the hot loop of the decomposition (millions of nodes on a 1,000-workload fleet): each
    # node walks its rows once for its bound, which also tells whether it covers them all
    def dfs(i: int, need: list[float], left: list[float], cost: float) -> None:
        nonlocal best_cost, best, pruned_bound, nodes, exhausted, closed
        nodes += 1
        if nodes > max_nodes or (
            deadline is not None and (nodes == 1 or not nodes & 511) and time.time() > deadline
        ):
            exhausted = True
            return
        short = [n * q for n, q in zip(need, ratio[i], strict=False) if n > _FEASIBLE]
        lb = cost + max(short) if short else cost
        if lb >= best_cost * keep:
            if lb < pruned_bound:
                pruned_bound = lb
            return
        if not short:  # every row covered
            best_cost, best = cost, counts[:i] + [0] * (k - i)
            closed = floor >= best_cost * keep
            return
        if i == k:
            return
        col, ucol, price = cols[i], ucols[i], pc[i]
        # ceil and floor are monotone: one of each on the extreme ratio, not one per row
        ratios = [n / c - 1e-9 for n, c in zip(need, col, strict=False) if n > _FEASIBLE and c > 0]
        most = max(0, math.ceil(max(ratios))) if ratios else 0
        if ucol:
            fits = [r / u + 1e-9 for r, u in zip(left, ucol, strict=False) if u > 0]
            if fits:
                most = min(most, math.floor(min(fits)))
        for v in [most] if i == last else range(most, -1, -1):
            counts[i] = v
            if v == 0:  # the same figures as subtracting zero
                dfs(i + 1, need, left, cost)
            else:
                dfs(
                    i + 1,
                    [n - v * c for n, c in zip(need, col, strict=False)],
                    [r - v * u for r, u in zip(left, ucol, strict=False)] if ucol else left,
                    cost + v * price,
                )
            if exhausted or closed:
                break
        counts[i] = 0

    root = lower(0, [1.0] * len(a))
    if not closed:
        dfs(0, [1.0] * len(a), left0, 0.0)
    if best is None:
        return Covering((0,) * k, math.inf, max(root, floor) if exhausted else math.inf, nodes)
    bound = root if exhausted else min(best_cost, pruned_bound)
    if closed:  # stopped within tolerance of the known bound: the nodes left may hold cheaper
        bound = floor
    result = [0] * k
    for pos, c in enumerate(order):
        result[c] = best[pos]
    return Covering(tuple(result), best_cost, min(best_cost, max(bound, root, floor)), nodes)
