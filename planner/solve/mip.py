"""The placement MIP, built apart from solving it (OR-Tools MathOpt).

Serving (Mélange-style): integer instances n_c per candidate and the share x_cb of each
request-size bucket routed to it; bucket loads must fit the instances' planned capacity.
Batch: instance-hours h_c that finish the volume, with n_c concurrent instances so the
deadline holds. Training: one binary z_c per candidate, exactly one chosen. Quotas and the
budget couple the workloads.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ortools.math_opt.python import mathopt

from planner.solve.candidates import Candidate
from planner.solve.owned import OwnedPool
from planner.solve.pools import owned_covers, quota_accelerator, quota_covers
from planner.spec.models import BatchWorkload, ServingWorkload, Spec, TrainingWorkload


@dataclass(frozen=True)
class PlacementProblem:
    """What the MIP needs: the spec and each workload's candidates (sorted, deterministic)."""

    spec: Spec
    candidates: dict[str, tuple[Candidate, ...]]
    owned: Mapping[str, OwnedPool] = field(default_factory=dict)
    """Capacity the team has, by pool name: each pool's accelerators are its quota."""

    def demand(self, workload: ServingWorkload) -> tuple[float, ...]:
        """Peak requests/s of each bucket."""
        rate = workload.traffic.requests_per_second
        return tuple(rate * b.fraction for b in workload.traffic.request_buckets())


@dataclass
class Built:
    """A built model and the handles needed to read a solution back."""

    model: mathopt.Model
    n: dict[tuple[str, int], mathopt.Variable] = field(default_factory=dict)
    x: dict[tuple[str, int, int], mathopt.Variable] = field(default_factory=dict)
    h: dict[tuple[str, int], mathopt.Variable] = field(default_factory=dict)
    z: dict[tuple[str, int], mathopt.Variable] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    """Names of the constraint groups that were added (those the diagnosis may relax)."""
    relaxed: bool = False
    """Integer and binary variables are continuous (the LP relaxation)."""
    n_bounds: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)
    """Tighter bounds on instance counts, by (workload, candidate index)."""
    shared_use: dict[tuple, list[tuple[Candidate, mathopt.Variable]]] = field(default_factory=dict)
    """Replica slots on shared instances, by shared group (offering, pricing)."""
    m: dict[tuple, mathopt.Variable] = field(default_factory=dict)
    """Instances bought for each shared group."""

    def integer(self, lb: float, ub: float, name: str, key: tuple[str, int] | None = None):
        """An instance-count variable: integer, or continuous in the relaxation."""
        if key is not None and key in self.n_bounds:
            lb, ub = max(lb, self.n_bounds[key][0]), min(ub, self.n_bounds[key][1])
        if self.relaxed:
            return self.model.add_variable(lb=lb, ub=ub, name=name)
        return self.model.add_integer_variable(lb=lb, ub=ub, name=name)

    def binary(self, name: str):
        """A yes/no variable: binary, or in [0, 1] in the relaxation."""
        return self.integer(0, 1, name)


def instance_bound(workload: ServingWorkload, demand: tuple[float, ...], c: Candidate) -> int:
    """Most instances of one candidate a serving workload could ever need."""
    needed = sum(d / r for d, r in zip(demand, c.bucket_rps, strict=True) if r > 0)
    floor = math.ceil(workload.min_replicas / c.replicas_per_instance)
    return max(math.ceil(needed) + 1, floor)


OWNED_TIE_BREAK = 1e-4
"""Objective weight per instance of free owned capacity, so a plan takes no more of it than it
needs (idle capacity then shows as idle); small against any real price."""


def instance_floor(
    workload: ServingWorkload, demand: tuple[float, ...], cands: tuple[Candidate, ...]
) -> int:
    """Fewest instances any plan of `workload` needs: a valid cut that tightens the LP.

    Each bucket's load needs at least demand / (the best per-instance rate for it) instances'
    worth of time, and min_replicas needs min_replicas / (most replicas per instance).
    """
    if not cands:
        return 0
    by_load = sum(d / max(c.bucket_rps[b] for c in cands) for b, d in enumerate(demand) if d > 0)
    by_replicas = workload.min_replicas / max(c.replicas_per_instance for c in cands)
    return max(math.ceil(by_load - 1e-9), math.ceil(by_replicas - 1e-9))


def _sum(terms) -> mathopt.LinearSum:
    return mathopt.fast_sum(list(terms))


def build(
    problem: PlacementProblem,
    disabled: frozenset[str] = frozenset(),
    *,
    relaxed: bool = False,
    n_bounds: dict[tuple[str, int], tuple[float, float]] | None = None,
    prices: Mapping[tuple[str, int], float] | None = None,
    rows: Sequence[tuple[Mapping[tuple[str, int], float], float]] = (),
) -> Built:
    """The MIP for `problem`, leaving out the constraint groups named in `disabled`.

    `relaxed` builds the LP relaxation; `n_bounds` narrows chosen instance counts. `prices`
    adds a cost per instance (per choice, for training) by (workload, candidate index): the
    prices of shared rows a decomposition moved into the objective; `rows` adds limits
    sum(coefficient x instances) <= right-hand side (what is left of shared rows).
    """
    spec = problem.spec
    built = Built(mathopt.Model(name="placement"), relaxed=relaxed, n_bounds=dict(n_bounds or {}))
    m = built.model
    cost_terms = []
    hourly_terms = []
    pool_use: dict[tuple[str, str, str, str], list] = defaultdict(list)

    def group(name: str) -> bool:
        if name in disabled:
            return False
        built.groups.append(name)
        return True

    for w in spec.workloads:
        cands = problem.candidates[w.name]
        if isinstance(w, ServingWorkload):
            _serving(built, problem, w, cands, group, cost_terms, hourly_terms, pool_use)
        elif isinstance(w, BatchWorkload):
            _batch(built, w, cands, cost_terms, hourly_terms, pool_use)
        else:
            _training(built, w, cands, cost_terms, hourly_terms, pool_use)

    _shared_groups(built, cost_terms, hourly_terms, pool_use)
    for name in sorted(problem.owned):
        terms = [t for pool, ts in pool_use.items() if owned_covers(name, pool) for t in ts]
        if terms:
            m.add_linear_constraint(
                _sum(terms) <= problem.owned[name].accelerators, name=f"owned[{name}]"
            )
    for i, quota in enumerate(spec.constraints.quotas):
        name = quota_accelerator(quota)
        terms = [t for pool, ts in pool_use.items() if quota_covers(quota, pool, name) for t in ts]
        if terms and group(f"quota:{i}"):
            m.add_linear_constraint(_sum(terms) <= quota.max_accelerators, name=f"quota_{i}")
    budget = spec.constraints.budget_per_hour
    if budget is not None and hourly_terms and group("budget"):
        m.add_linear_constraint(_sum(hourly_terms) <= budget, name="budget")

    def unit(key: tuple[str, int]):
        return built.n[key] if key in built.n else built.z[key]

    for key, price in sorted((prices or {}).items()):
        if price:
            cost_terms.append(price * unit(key))
    for r, (coefs, rhs) in enumerate(rows):
        terms = [c * unit(key) for key, c in sorted(coefs.items()) if c]
        if terms:
            m.add_linear_constraint(_sum(terms) <= rhs, name=f"row_{r}")
    m.minimize(_sum(cost_terms))
    return built


def _serving(built, problem, w, cands, group, cost_terms, hourly_terms, pool_use) -> None:
    m = built.model
    demand = problem.demand(w)
    load: dict[int, list] = defaultdict(list)
    for i, c in enumerate(cands):
        n = built.integer(0, instance_bound(w, demand, c), f"n[{w.name},{i}]", (w.name, i))
        built.n[(w.name, i)] = n
        if c.shared:
            built.shared_use.setdefault(c.shared_group, []).append((c, n))
            continue
        cost_terms.append((c.price or OWNED_TIE_BREAK) * n)
        hourly_terms.append(c.price * n)
        pool_use[c.pool].append(c.accelerators * n)
    for b, d in enumerate(demand):
        shares = []
        for i, c in enumerate(cands):
            if c.bucket_rps[b] <= 0:
                continue
            x = m.add_variable(lb=0, ub=1, name=f"x[{w.name},{i},{b}]")
            built.x[(w.name, i, b)] = x
            shares.append(x)
            load[i].append((d / c.bucket_rps[b]) * x)
        m.add_linear_constraint(_sum(shares) == 1, name=f"route[{w.name},{b}]")
    at_edge = [
        demand[b] * x
        for (name, i, b), x in built.x.items()
        if name == w.name and cands[i].offering.service_kind == "edge"
    ]
    if at_edge:
        m.add_linear_constraint(
            _sum(at_edge) <= w.edge_share_max * sum(demand), name=f"edge_share[{w.name}]"
        )
    for i, terms in load.items():
        m.add_linear_constraint(_sum(terms) <= built.n[(w.name, i)], name=f"cap[{w.name},{i}]")
    floor = instance_floor(w, demand, cands)
    if floor > 0:
        m.add_linear_constraint(
            _sum(built.n[(w.name, i)] for i in range(len(cands))) >= floor,
            name=f"instances[{w.name}]",
        )
    replicas = _sum(c.replicas_per_instance * built.n[(w.name, i)] for i, c in enumerate(cands))
    if w.min_replicas and group(f"min_replicas:{w.name}"):
        m.add_linear_constraint(replicas >= w.min_replicas, name=f"min_replicas[{w.name}]")
    if w.max_replicas is not None and group(f"max_replicas:{w.name}"):
        m.add_linear_constraint(replicas <= w.max_replicas, name=f"max_replicas[{w.name}]")
    share = w.placement.max_spot_share
    spot = [i for i, c in enumerate(cands) if c.pricing == "spot"]
    if spot and share < 1 and group(f"spot_share:{w.name}"):
        accs = [(c.accelerators, built.n[(w.name, i)]) for i, c in enumerate(cands)]
        m.add_linear_constraint(
            _sum(cands[i].accelerators * built.n[(w.name, i)] for i in spot)
            <= share * _sum(a * n for a, n in accs),
            name=f"spot_share[{w.name}]",
        )
    regions = sorted({c.region for c in cands})
    if w.placement.min_regions > 1 and group(f"min_regions:{w.name}"):
        used = []
        for region in regions:
            y = built.binary(f"y[{w.name},{region}]")
            here = [(i, c) for i, c in enumerate(cands) if c.region == region]
            for i, c in here:
                m.add_linear_constraint(built.n[(w.name, i)] <= instance_bound(w, demand, c) * y)
            m.add_linear_constraint(y <= _sum(built.n[(w.name, i)] for i, _ in here))
            used.append(y)
        m.add_linear_constraint(_sum(used) >= w.placement.min_regions, name=f"regions[{w.name}]")
    if w.placement.survive_region_loss and group(f"survive_region_loss:{w.name}"):
        for region in regions:
            left = [(i, c) for i, c in enumerate(cands) if c.region != region]
            scenario_load: dict[int, list] = defaultdict(list)
            for b, d in enumerate(demand):
                shares = []
                for i, c in left:
                    if c.bucket_rps[b] <= 0:
                        continue
                    x = m.add_variable(lb=0, ub=1)
                    shares.append(x)
                    scenario_load[i].append((d / c.bucket_rps[b]) * x)
                m.add_linear_constraint(_sum(shares) == 1)
            for i, terms in scenario_load.items():
                m.add_linear_constraint(_sum(terms) <= built.n[(w.name, i)])


def _shared_groups(built: Built, cost_terms, hourly_terms, pool_use) -> None:
    """Instances bought for each shared group hold its replicas' GPUs.

    TP degrees are powers of two dividing the instance's GPU count, so replicas whose GPUs add
    up to at most m instances' worth always pack onto m instances: the total is exact.
    """
    m_model = built.model
    for group in sorted(built.shared_use):
        slots = built.shared_use[group]
        c0 = slots[0][0]
        size = c0.offering.accelerator_count
        bound = sum(c.tp * ub for c, ub in ((c, v.upper_bound) for c, v in slots))
        m = built.integer(0, math.ceil(bound / size), f"m[{'/'.join(group[0])},{group[1]}]")
        built.m[group] = m
        m_model.add_linear_constraint(_sum(c.tp * n for c, n in slots) <= size * m)
        cost_terms.append(c0.price * m)
        hourly_terms.append(c0.price * m)
        pool_use[c0.pool].append(size * m)


def _batch(built, w: BatchWorkload, cands, cost_terms, hourly_terms, pool_use) -> None:
    m = built.model
    requests = w.volume.request_count
    work = []
    for i, c in enumerate(cands):
        seconds_alone = requests / c.batch_rps
        bound = math.ceil(seconds_alone / 3600 / w.deadline_hours) + 1
        n = built.integer(0, bound, f"n[{w.name},{i}]", (w.name, i))
        h = m.add_variable(lb=0, ub=bound * w.deadline_hours, name=f"h[{w.name},{i}]")
        built.n[(w.name, i)], built.h[(w.name, i)] = n, h
        m.add_linear_constraint(h <= w.deadline_hours * n)
        work.append(c.batch_rps * 3600 * h)
        cost_terms.append(c.price * h)
        hourly_terms.append(c.price * n)
        pool_use[c.pool].append(c.accelerators * n)
    m.add_linear_constraint(_sum(work) >= requests, name=f"volume[{w.name}]")


def _training(built, w: TrainingWorkload, cands, cost_terms, hourly_terms, pool_use) -> None:
    m = built.model
    chosen = []
    for i, c in enumerate(cands):
        z = built.binary(f"z[{w.name},{i}]")
        built.z[(w.name, i)] = z
        chosen.append(z)
        cost_terms.append(c.instances * c.price * c.hours * z)
        hourly_terms.append(c.instances * c.price * z)
        pool_use[c.pool].append(c.instances * c.accelerators * z)
    m.add_linear_constraint(_sum(chosen) == 1, name=f"gang[{w.name}]")
