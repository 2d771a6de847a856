"""The routing tie rule: how a serving workload's requests are split over the instances a plan
chose, when several splits cost the same (the cost depends on the instances only).

The rule (docs/constraints.md): each bucket's requests go to the instances in proportion to
their planned rate for it, so every instance that serves every bucket carries the same share of
its planned capacity, and none sits idle as a "standby" while its neighbours run hot. Where that
split breaks a rule the solver kept (an instance that cannot take the load of the buckets it
serves, the edge-share cap, the region spread), the split is the one that keeps the busiest
instance least busy and, among those, is closest to the proportional one (two small LPs).
The same counts therefore always give the same figures, whichever solver path found them.
"""

from __future__ import annotations

from collections import defaultdict

from planner.rules import regions
from planner.solve.backend import fast_sum, new_model, solve_lp
from planner.solve.mip import PlacementProblem
from planner.solve.solution import Solution
from planner.spec.models import ServingWorkload

_TOL = 1e-9

Shares = dict[tuple[int, int], float]


def settled_shares(
    problem: PlacementProblem, solution: Solution, w: ServingWorkload, given: Shares | None = None
) -> Shares:
    """Share of each bucket b routed to each candidate i of `w`, by (i, b), under the tie rule;
    the solution's own routing when no split the rule allows keeps every rule. `given`: the
    solution's shares of `w` (Solution.shares_by_workload), where the caller has them."""
    cands = problem.candidates[w.name]
    demand = problem.demand(w)
    counts = {i: solution.count(w.name, i) for i in range(len(cands))}
    used = [i for i, n in counts.items() if n > 0]
    if given is None:
        given = solution.shares_by_workload().get(w.name, {})
    if not used:
        return given
    proportional: Shares = {}
    for b, _ in enumerate(demand):
        total = sum(counts[i] * cands[i].bucket_rps[b] for i in used)
        if total <= 0:
            return given
        for i in used:
            if cands[i].bucket_rps[b] > 0:
                proportional[(i, b)] = counts[i] * cands[i].bucket_rps[b] / total
    if _keeps_rules(problem, w, counts, proportional, given):
        return proportional
    return _balanced(problem, w, counts, proportional, given) or given


def _loads(problem, w, counts, shares: Shares) -> dict[int, float]:
    cands, demand = problem.candidates[w.name], problem.demand(w)
    load: dict[int, float] = defaultdict(float)
    for (i, b), x in shares.items():
        if x > 0:
            load[i] += demand[b] * x / cands[i].bucket_rps[b]
    return load


def _region_rates(problem, w, shares: Shares) -> dict[str, float]:
    cands, demand = problem.candidates[w.name], problem.demand(w)
    out: dict[str, float] = defaultdict(float)
    for (i, b), x in shares.items():
        out[cands[i].region] += demand[b] * x
    return out


def _counting(problem, w, shares: Shares) -> list[str]:
    """Regions whose routed requests reach min_region_share of the demand."""
    floor = w.placement.min_region_share * sum(problem.demand(w))
    rates = _region_rates(problem, w, shares)
    return sorted(r for r, v in rates.items() if v >= floor * (1 - 1e-9) - _TOL)


def _keeps_rules(problem, w, counts, shares: Shares, given: Shares) -> bool:
    cands, demand = problem.candidates[w.name], problem.demand(w)
    load = _loads(problem, w, counts, shares)
    if any(load[i] > counts[i] * (1 + 1e-6) + _TOL for i in load):
        return False
    edge = [i for i in counts if counts[i] and cands[i].offering.service_kind == "edge"]
    if edge:
        at_edge = sum(demand[b] * x for (i, b), x in shares.items() if i in edge)
        if at_edge > w.edge_share_max * sum(demand) * (1 + 1e-6) + _TOL:
            return False
    if regions.spread(w):
        need = min(w.placement.min_regions, len(_counting(problem, w, given)))
        if len(_counting(problem, w, shares)) < need:
            return False
    return True


def _balanced(problem, w, counts, proportional: Shares, given: Shares) -> Shares | None:
    """The split that minimises the busiest instance's share of its capacity, then the
    distance to the proportional split, within the rules the solver's own split kept."""
    keep: list[str] = []
    if regions.spread(w):
        # the regions with the most capacity for the requests (then by name) carry the spread
        rates = _region_rates(problem, w, proportional)
        ranked = sorted(rates, key=lambda r: (-rates[r], r))
        keep = sorted(ranked[: w.placement.min_regions])
    found = _solve_balanced(problem, w, counts, proportional, keep)
    if found is None and keep:
        found = _solve_balanced(problem, w, counts, proportional, _counting(problem, w, given))
    if found is None:
        return None
    return found if _keeps_rules(problem, w, counts, found, given) else None


def _solve_balanced(problem, w, counts, proportional: Shares, keep: list[str]) -> Shares | None:
    cands, demand = problem.candidates[w.name], problem.demand(w)
    used = [i for i, n in counts.items() if n > 0]

    def model(limit: float | None):
        m = new_model("routing")
        x = {key: m.add_variable(lb=0, ub=1) for key in proportional}
        u = m.add_variable(lb=0, ub=1)
        for b, _ in enumerate(demand):
            m.add_linear_constraint(fast_sum(v for (i, bb), v in x.items() if bb == b) == 1)
        for i in used:
            terms = [demand[b] / cands[i].bucket_rps[b] * v for (j, b), v in x.items() if j == i]
            if terms:
                m.add_linear_constraint(fast_sum(terms) <= counts[i] * u)
        edge = [
            demand[b] * v for (i, b), v in x.items() if cands[i].offering.service_kind == "edge"
        ]
        if edge:
            m.add_linear_constraint(fast_sum(edge) <= w.edge_share_max * sum(demand))
        floor = w.placement.min_region_share * sum(demand)
        for region in keep:
            here = [demand[b] * v for (i, b), v in x.items() if cands[i].region == region]
            m.add_linear_constraint(fast_sum(here) >= floor)
        if limit is None:
            m.minimize(u)
        else:
            m.add_linear_constraint(u <= limit)
            gaps = []
            for key, v in x.items():
                t = m.add_variable(lb=0)
                m.add_linear_constraint(t >= v - proportional[key])
                m.add_linear_constraint(t >= proportional[key] - v)
                gaps.append(t)
            m.minimize(fast_sum(gaps))
        values = solve_lp(m)
        if values is None:
            return None
        return values[u], {key: max(0.0, min(1.0, values[v])) for key, v in x.items()}

    first = model(None)
    if first is None:
        return None
    second = model(first[0] * (1 + 1e-7) + 1e-9)
    found = (second or first)[1]
    return {key: v for key, v in found.items() if v > 1e-12}
