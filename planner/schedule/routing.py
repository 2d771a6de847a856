"""Recover how a plan split each request-size bucket among a workload's allocations.

A plan records, per allocation, the total requests/s routed to it and its utilisation (the sum
over buckets of routed rate / full rate), not the rate per bucket. Those two figures per
allocation, with the demand per bucket, pin the split down in most plans; a small LP (GLOP)
finds a split that matches them, or the closest one.
"""

from __future__ import annotations

from collections.abc import Sequence

_TOLERANCE = 1e-9


def recover_routing(
    demand: Sequence[float],
    routed: Sequence[float],
    utilisation: Sequence[float | None],
    full_rps: Sequence[Sequence[float]],
) -> list[list[float]]:
    """Requests/s of each bucket b sent to each allocation a, as rows [a][b].

    demand[b]: the workload's rate of bucket b; routed[a]: the plan's rate to allocation a;
    utilisation[a]: the plan's utilisation of a; full_rps[a][b]: a's whole sustainable rate
    for bucket b (0 where it cannot serve b). Rows sum to `routed`; columns to `demand`
    scaled to the same total.
    """
    allocations, buckets = len(routed), len(demand)
    total_routed, total_demand = sum(routed), sum(demand)
    if total_routed <= 0 or total_demand <= 0:
        return [[0.0] * buckets for _ in range(allocations)]
    scale = total_routed / total_demand
    wanted = [d * scale for d in demand]
    if buckets == 1:
        return [[r] for r in routed]
    solved = _solve_lp(wanted, routed, utilisation, full_rps)
    return solved if solved is not None else _proportional(wanted, routed, full_rps)


def _solve_lp(
    wanted: Sequence[float],
    routed: Sequence[float],
    utilisation: Sequence[float | None],
    full_rps: Sequence[Sequence[float]],
) -> list[list[float]] | None:
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("GLOP")
    x: dict[tuple[int, int], pywraplp.Variable] = {}
    for a, row in enumerate(full_rps):
        if routed[a] <= 0:
            continue
        for b, full in enumerate(row):
            if full > 0:
                x[a, b] = solver.NumVar(0.0, solver.infinity(), f"x{a}_{b}")
    for b, rate in enumerate(wanted):
        column = [x[a, b] for a in range(len(routed)) if (a, b) in x]
        if not column:
            if rate > 0:
                return None
            continue
        solver.Add(solver.Sum(column) == rate)
    deviations = []
    for a, rate in enumerate(routed):
        row = [(b, x[a, b]) for b in range(len(wanted)) if (a, b) in x]
        if rate <= 0:
            continue
        if not row:
            return None
        solver.Add(solver.Sum([v for _, v in row]) == rate)
        if utilisation[a] is None:
            continue
        load = solver.Sum([v * (1.0 / full_rps[a][b]) for b, v in row])
        over = solver.NumVar(0.0, solver.infinity(), f"over{a}")
        under = solver.NumVar(0.0, solver.infinity(), f"under{a}")
        solver.Add(load - over + under == utilisation[a])
        deviations += [over, under]
    solver.Minimize(solver.Sum(deviations) if deviations else 0)
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return [
        [max(0.0, x[a, b].solution_value()) if (a, b) in x else 0.0 for b in range(len(wanted))]
        for a in range(len(routed))
    ]


def _proportional(
    wanted: Sequence[float], routed: Sequence[float], full_rps: Sequence[Sequence[float]]
) -> list[list[float]]:
    """Fallback: each allocation takes the workload's mix over the buckets it can serve."""
    out = []
    for a, rate in enumerate(routed):
        servable = [w if full_rps[a][b] > 0 else 0.0 for b, w in enumerate(wanted)]
        total = sum(servable)
        out.append([rate * s / total if total > _TOLERANCE else 0.0 for s in servable])
    return out
