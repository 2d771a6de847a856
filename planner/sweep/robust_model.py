"""The robust MIP: one fleet that serves several worlds (scenarios) at once.

Instance counts (and batch hours, training gangs) are shared by every world; routing is per
world, over the instances that world still sells. Each world keeps the rules `verify` checks
on the fleet it leaves: demand within capacity, replicas, spot share, region spread and region
loss, its quotas and its budget at its prices. The objective is the fleet's cost at the base
prices. Built with OR-Tools MathOpt, the same way as `planner.solve.mip`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.math_opt.python import mathopt

from planner.solve.candidates import Candidate
from planner.solve.mip import Built, instance_bound, instance_floor
from planner.solve.pools import quota_accelerator, quota_covers
from planner.spec.models import BatchWorkload, ServingWorkload, TrainingWorkload
from planner.sweep.world import World


@dataclass
class RobustBuilt:
    """The model, its shared variables (in `built`) and each world's routing shares."""

    built: Built
    candidates: dict[str, tuple[Candidate, ...]]
    x: dict[tuple[int, str, int, int], mathopt.Variable] = field(default_factory=dict)
    """Share of bucket b of workload w routed to candidate i in world s, by (s, w, i, b)."""


def _sum(terms) -> mathopt.LinearSum:
    return mathopt.fast_sum(list(terms))


@dataclass
class _Ledger:
    """Per world: accelerators used per quota pool and dollars per hour, as linear terms."""

    pools: list[dict[tuple, list]]
    hourly: list[list]


def build_robust(
    base: World, worlds: Sequence[World], candidates: dict[str, tuple[Candidate, ...]]
) -> RobustBuilt:
    """The robust MIP over `worlds`, choosing among `candidates`, priced at `base`'s prices."""
    rb = RobustBuilt(Built(mathopt.Model(name="robust-placement")), candidates)
    ledger = _Ledger([defaultdict(list) for _ in worlds], [[] for _ in worlds])
    cost: list = []
    for w in base.spec.workloads:
        cands = candidates[w.name]
        if isinstance(w, ServingWorkload):
            _serving(rb, base, worlds, w, cands, cost, ledger)
        elif isinstance(w, BatchWorkload):
            _batch(rb, base, worlds, w, cands, cost, ledger)
        else:
            _training(rb, base, worlds, w, cands, cost, ledger)
    m = rb.built.model
    for s, world in enumerate(worlds):
        for q, quota in enumerate(world.spec.constraints.quotas):
            name = quota_accelerator(quota)
            terms = [
                t for pool, ts in ledger.pools[s].items() if quota_covers(quota, pool, name)
                for t in ts
            ]  # fmt: skip
            if terms:
                m.add_linear_constraint(
                    _sum(terms) <= quota.max_accelerators, name=f"quota[{s},{q}]"
                )
        budget = world.spec.constraints.budget_per_hour
        if budget is not None and ledger.hourly[s]:
            m.add_linear_constraint(_sum(ledger.hourly[s]) <= budget, name=f"budget[{s}]")
    m.minimize(_sum(cost))
    return rb


def _base_price(base: World, c: Candidate) -> float:
    price = base.price(c)
    return c.price if price is None else price


def _serving(rb, base, worlds, w: ServingWorkload, cands, cost, ledger) -> None:
    m, built = rb.built.model, rb.built
    for i, c in enumerate(cands):
        bound = max(
            instance_bound(world.workload(w.name), world.problem.demand(world.workload(w.name)), c)
            for world in (base, *worlds)
        )
        n = m.add_integer_variable(lb=0, ub=bound, name=f"n[{w.name},{i}]")
        built.n[(w.name, i)] = n
        cost.append(_base_price(base, c) * n)
    n_of = [built.n[(w.name, i)] for i in range(len(cands))]
    if w.max_replicas is not None:
        replicas = _sum(c.replicas_per_instance * n for c, n in zip(cands, n_of, strict=True))
        m.add_linear_constraint(replicas <= w.max_replicas, name=f"max_replicas[{w.name}]")
    for s, world in enumerate(worlds):
        mine = world.workload(w.name)
        assert isinstance(mine, ServingWorkload)
        demand = world.problem.demand(mine)
        avail = [(i, c, p) for i, c in enumerate(cands) if (p := world.price(c)) is not None]
        for i, c, price in avail:
            ledger.pools[s][c.pool].append(c.accelerators * n_of[i])
            ledger.hourly[s].append(price * n_of[i])
        _route(rb, s, w.name, demand, [(i, c) for i, c, _ in avail], n_of, f"route[{s},{w.name}]")
        floor = instance_floor(mine, demand, tuple(c for _, c, _ in avail))
        if floor > 0:
            m.add_linear_constraint(_sum(n_of[i] for i, _, _ in avail) >= floor)
        if w.min_replicas:
            replicas = _sum(c.replicas_per_instance * n_of[i] for i, c, _ in avail)
            m.add_linear_constraint(replicas >= w.min_replicas, name=f"min_replicas[{s},{w.name}]")
        share = w.placement.max_spot_share
        if share < 1 and any(c.pricing == "spot" for _, c, _ in avail):
            spot = _sum(c.accelerators * n_of[i] for i, c, _ in avail if c.pricing == "spot")
            total = _sum(c.accelerators * n_of[i] for i, c, _ in avail)
            m.add_linear_constraint(spot <= share * total, name=f"spot_share[{s},{w.name}]")
        regions = sorted({c.region for _, c, _ in avail})
        if w.placement.min_regions > 1:
            used = []
            for region in regions:
                y = m.add_binary_variable(name=f"y[{s},{w.name},{region}]")
                here = [n_of[i] for i, c, _ in avail if c.region == region]
                m.add_linear_constraint(y <= _sum(here))
                used.append(y)
            m.add_linear_constraint(_sum(used) >= w.placement.min_regions)
        if w.placement.survive_region_loss:
            for region in regions:
                left = [(i, c) for i, c, _ in avail if c.region != region]
                _route(rb, None, w.name, demand, left, n_of, f"loss[{s},{w.name},{region}]")


def _route(rb, s, name, demand, avail, n_of, label) -> None:
    """Route every bucket of `demand` onto `avail`, within the shared instance counts.

    `s` None: shares not kept (a region-loss check, not read back)."""
    m = rb.built.model
    load: dict[int, list] = defaultdict(list)
    for b, d in enumerate(demand):
        shares = []
        for i, c in avail:
            if c.bucket_rps[b] <= 0:
                continue
            x = m.add_variable(lb=0, ub=1)
            if s is not None:
                rb.x[(s, name, i, b)] = x
            shares.append(x)
            load[i].append((d / c.bucket_rps[b]) * x)
        if not shares:  # nothing left can serve this bucket: the world is infeasible
            shares.append(m.add_variable(lb=0, ub=0))
        m.add_linear_constraint(_sum(shares) == 1, name=f"{label}[{b}]")
    for i, terms in load.items():
        m.add_linear_constraint(_sum(terms) <= n_of[i])


def _batch(rb, base, worlds, w: BatchWorkload, cands, cost, ledger) -> None:
    m, built = rb.built.model, rb.built
    for i, c in enumerate(cands):
        most = max(world.workload(w.name).volume.request_count for world in (base, *worlds))  # type: ignore[union-attr]
        bound = math.ceil(most / c.batch_rps / 3600 / w.deadline_hours) + 1
        n = m.add_integer_variable(lb=0, ub=bound, name=f"n[{w.name},{i}]")
        h = m.add_variable(lb=0, ub=bound * w.deadline_hours, name=f"h[{w.name},{i}]")
        built.n[(w.name, i)], built.h[(w.name, i)] = n, h
        m.add_linear_constraint(h <= w.deadline_hours * n)
        cost.append(_base_price(base, c) * h)
    for s, world in enumerate(worlds):
        mine = world.workload(w.name)
        assert isinstance(mine, BatchWorkload)
        work = []
        for i, c in enumerate(cands):
            price = world.price(c)
            if price is None:
                continue
            n, h = built.n[(w.name, i)], built.h[(w.name, i)]
            work.append(c.batch_rps * 3600 * h)
            ledger.pools[s][c.pool].append(c.accelerators * n)
            ledger.hourly[s].append(price * n)
        m.add_linear_constraint(
            _sum(work) >= mine.volume.request_count, name=f"volume[{s},{w.name}]"
        )


def _training(rb, base, worlds, w: TrainingWorkload, cands, cost, ledger) -> None:
    m, built = rb.built.model, rb.built
    chosen = []
    for i, c in enumerate(cands):
        sold_everywhere = all(world.price(c) is not None for world in worlds)
        z = m.add_integer_variable(lb=0, ub=1 if sold_everywhere else 0, name=f"z[{w.name},{i}]")
        built.z[(w.name, i)] = z
        chosen.append(z)
        cost.append(c.instances * _base_price(base, c) * c.hours * z)
        for s, world in enumerate(worlds):
            price = world.price(c)
            if price is not None:
                ledger.pools[s][c.pool].append(c.instances * c.accelerators * z)
                ledger.hourly[s].append(c.instances * price * z)
    m.add_linear_constraint(_sum(chosen) == 1, name=f"gang[{w.name}]")
