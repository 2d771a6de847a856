"""A fixed fleet in a what-if: which of its instances the scenario takes away, what the rest
costs, whether it still keeps every promise (`planner.verify.verify`), and the demand it
leaves unserved where it does not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from planner import clock
from planner.catalog import Catalog
from planner.catalog.offering import Offering
from planner.perf import DEFAULT_SETTINGS, PerfSettings, Profiles
from planner.perf.owned import owned_capacity
from planner.plans.identity import allocation_key
from planner.plans.model import Allocation, Plan
from planner.spec.models import (
    BatchWorkload,
    Constraints,
    Placement,
    ServingWorkload,
    Spec,
    Workload,
)
from planner.sweep.outcome import Unmet
from planner.verify import Capacity, verify

BISECTION_STEPS = 10
"""Served fractions are found to within 2^-10 (0.1%)."""


@dataclass(frozen=True)
class Check:
    """What a fixed plan does in one scenario."""

    plan: Plan
    """The plan as the scenario leaves it: lost allocations dropped, the rest re-priced."""
    lost: tuple[str, ...]
    violations: tuple[str, ...]
    unmet: tuple[Unmet, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


def _describe(a: Allocation) -> str:
    spot = " spot" if a.pricing == "spot" else ""
    return f"{a.workload}: {a.count} x {a.instance_type}{spot} in {a.provider} {a.region}"


def _repriced(a: Allocation, price: float) -> Allocation:
    factor = price / a.price_per_hour if a.price_per_hour else 1.0
    cost = a.cost_per_hour * factor if a.shared_group else a.count * price
    changes: dict[str, float] = {"price_per_hour": price, "cost_per_hour": cost}
    if a.job_cost is not None and a.hours is not None:
        changes["job_cost"] = a.count * a.hours * price
    return a.model_copy(update=changes)


def in_scenario(
    plan: Plan, catalog: Catalog, spec: Spec | None = None
) -> tuple[Plan, tuple[str, ...]]:
    """The plan with allocations the catalog no longer sells removed and the rest re-priced.

    Owned capacity (an allocation with a capacity pool) is not sold by the catalog: it stays,
    unless `spec` (the scenario's) no longer has that pool there (a region outage).
    A shared group goes, or is re-priced, with its instance type.
    """
    offerings = {o.key: o for o in catalog.offerings}
    pools = None
    if spec is not None:
        extra, _, _ = owned_capacity(spec, catalog, plan.plan_date or clock.today())
        pools = {o.key for o in extra}
    kept: list[Allocation] = []
    lost: list[str] = []
    prices: dict[str, float] = {}
    for a in plan.allocations:
        if a.capacity_pool:
            if pools is None or allocation_key(a) in pools:
                kept.append(a)
            else:
                lost.append(_describe(a))
            continue
        o = offerings.get((a.provider, a.region, a.zone, a.service, a.instance_type))
        price = o.price(a.pricing) if o is not None else None
        if price is None:
            lost.append(_describe(a))
            continue
        kept.append(_repriced(a, price))
        if a.shared_group:
            prices[a.shared_group] = price
    groups = [
        g.model_copy(update={"cost_per_hour": g.instances * prices[g.name]})
        for g in plan.shared_groups
        if g.name in prices
    ]
    serving = sum(a.cost_per_hour for a in kept if a.kind == "serving")
    jobs = sum(a.job_cost or 0.0 for a in kept)
    updated = plan.model_copy(
        update={
            "allocations": kept,
            "shared_groups": groups,
            "cost_per_hour": serving,
            "job_cost": jobs,
            "objective_value": serving + jobs,
            "peak_cost_per_hour": sum(a.cost_per_hour for a in kept),
        }
    )
    return updated, tuple(lost)


def _scaled(w: Workload, share: float) -> Workload:
    """The workload with its demand scaled by `share` and every rule but capacity lifted."""
    placement = Placement(spot=True)
    if isinstance(w, ServingWorkload):
        traffic = w.traffic.model_copy(
            update={"requests_per_second": w.traffic.requests_per_second * share}
        )
        update = {"traffic": traffic, "min_replicas": 0, "max_replicas": None}
        return w.model_copy(update={**update, "placement": placement})
    if isinstance(w, BatchWorkload):
        v = w.volume
        tokens = v.request_count * share * (v.input_tokens + v.output_tokens)
        volume = v.model_copy(update={"requests": None, "total_tokens": tokens})
        return w.model_copy(
            update={"volume": volume, "deadline_hours": math.inf, "placement": placement}
        )
    return w.model_copy(update={"placement": placement})


class _Alone:
    """A plan's workloads one at a time, each with only what verifying it alone reads: its
    allocations and result, and the catalog's offerings of those instances (and of the spec's
    reservations). Indexed once per scenario, so the bisections of many broken workloads do
    not each walk the whole plan and catalog again (quadratic on a large fleet)."""

    def __init__(self, plan: Plan, spec: Spec, catalog: Catalog) -> None:
        self.plan = plan
        self.catalog = catalog
        self.results = {r.name: r for r in plan.workloads}
        self.offerings: dict[tuple[str, ...], list[Offering]] = {}
        for o in catalog.offerings:
            self.offerings.setdefault(o.key[:5], []).append(o)
        pools = {
            (p.provider, p.region, getattr(p, "vm_service", None), p.instance_type)
            for p in spec.capacity
            if getattr(p, "instance_type", None)
        }
        self.reserved = tuple(
            o
            for o in catalog.offerings
            if (o.provider, o.region, o.service, o.instance_type) in pools
        )

    def of(self, name: str) -> tuple[Plan, Catalog]:
        return self.some((name,))

    def some(self, names: Sequence[str]) -> tuple[Plan, Catalog]:
        """The plan with only the allocations and results of `names`, and the catalog with only
        the offerings they (and the spec's reservations) use."""
        mine = [a for name in names for a in self.plan.allocations_of(name)]
        results = [self.results[name] for name in names if name in self.results]
        plan = self.plan.model_copy(update={"allocations": mine, "workloads": results})
        keys = {(a.provider, a.region, a.zone, a.service, a.instance_type) for a in mine}
        found = {o.key: o for k in sorted(keys) for o in self.offerings.get(k, ())}
        found.update((o.key, o) for o in self.reserved)
        offerings = tuple(found[k] for k in sorted(found))
        return plan, replace(self.catalog, offerings=offerings)


def served_share(
    plan: Plan,
    spec: Spec,
    catalog: Catalog,
    w: Workload,
    alone: _Alone | None = None,
    near: float | None = None,
    **perf,
) -> float:
    """The largest share of `w`'s demand the plan's instances carry, by bisection over verify
    on the workload alone with its other rules lifted (capacity is all that is left to break).
    `near` (for a workload the check fails on all of its demand): where the share is known to
    be close to; the steps of bisection's grid around it are checked instead, from there up or
    down (the same answer: the check is monotone in the share)."""
    mine, narrow = (alone or _Alone(plan, spec, catalog)).of(w.name)

    def carries(share: float) -> bool:
        single = spec.model_copy(
            update={"workloads": (_scaled(w, share),), "constraints": Constraints()}
        )
        return not any(
            v.subject == w.name for v in verify(mine, single, narrow, figures=False, **perf)
        )

    steps = 2**BISECTION_STEPS
    if near is not None and isinstance(w, ServingWorkload | BatchWorkload):
        k = min(max(math.floor(near * steps), 1), steps - 1)
        if carries(k / steps):
            while k + 1 < steps and carries((k + 1) / steps):
                k += 1
            return k / steps
        k -= 1
        while k >= 1 and not carries(k / steps):
            k -= 1
        return k / steps
    if carries(1.0):
        return 1.0
    if not isinstance(w, ServingWorkload | BatchWorkload):
        return 0.0
    low, high = 0.0, 1.0
    for _ in range(BISECTION_STEPS):
        mid = (low + high) / 2
        low, high = (mid, high) if carries(mid) else (low, mid)
    return low


def _on_grid(share: float, within: float) -> float | None:
    """What bisection over a check that passes exactly up to `share` ends on (the largest step
    of the grid at or below it, 0 at least, below 1), or None when `share` is within `within`
    (relative) of a step, too near to tell which side of it the check itself puts that step."""
    steps = 2**BISECTION_STEPS
    scaled = share * steps
    if scaled >= steps or math.isinf(within):
        return None
    k = math.floor(scaled)
    near = within * steps
    if (k >= 1 and scaled - k < near) or k + 1 - scaled < near:
        return None  # (step 0 is never checked: below step 1, bisection ends on 0)
    return k / steps


def served_shares(
    plan: Plan, spec: Spec, catalog: Catalog, broken: Sequence[Workload], alone: _Alone, **perf
) -> dict[str, float]:
    """`served_share` of each of `broken`, what bisection would find, from one verify of them
    all together (each alone with its other rules lifted, as bisection checks them): a workload
    that passes carries all its demand; one broken by more than capacity, none; one short of
    capacity only, the largest share its capacity carries (computed, not bisected: verify
    records what its check weighed), put on bisection's grid. Where that share lies too near a
    step of the grid, and for edge devices, the workload is bisected."""
    names = [w.name for w in broken]
    mine, narrow = alone.some(names)
    lifted = spec.model_copy(
        update={"workloads": tuple(_scaled(w, 1.0) for w in broken), "constraints": Constraints()}
    )
    capacity: dict[str, Capacity] = {}
    messages: dict[str, set[str]] = {}
    for v in verify(mine, lifted, narrow, figures=False, capacity=capacity, **perf):
        messages.setdefault(v.subject, set()).add(v.message)
    out: dict[str, float] = {}
    for w in broken:
        found = messages.get(w.name)
        if not found:
            out[w.name] = 1.0
            continue
        if not isinstance(w, ServingWorkload | BatchWorkload):
            out[w.name] = 0.0
            continue
        c = capacity.get(w.name)
        if c is None or c.problem is None or found != {c.problem}:
            out[w.name] = 0.0  # broken whatever its demand: bisection finds 0
            continue
        largest = c.largest_share()
        share = None if largest is None else _on_grid(*largest)
        if share is None:
            near = largest[0] if largest is not None and largest[0] < 1 else None
            share = served_share(plan, spec, catalog, w, alone, near, **perf)
        out[w.name] = share
    return out


def _unmet(w: Workload, share: float) -> Unmet:
    if isinstance(w, ServingWorkload):
        demand = w.traffic.requests_per_second
        return Unmet(workload=w.name, unit="requests/s", demand=demand, served=demand * share)
    if isinstance(w, BatchWorkload):
        demand = w.volume.request_count
        return Unmet(workload=w.name, unit="requests", demand=demand, served=demand * share)
    return Unmet(workload=w.name, unit="jobs", demand=1.0, served=share)


def check_plan(
    plan: Plan,
    spec: Spec,
    catalog: Catalog,
    *,
    unmet: bool = True,
    settings: PerfSettings = DEFAULT_SETTINGS,
    profiles: Profiles | None = None,
) -> Check:
    """Whether `plan`, unchanged, still serves `spec` on `catalog` (one scenario's view)."""
    reduced, lost = in_scenario(plan, catalog, spec)
    perf = {"settings": settings, "profiles": profiles}
    violations = verify(reduced, spec, catalog, figures=False, **perf)
    found: list[Unmet] = []
    if unmet and violations:
        subjects = {v.subject for v in violations}
        broken = [w for w in spec.workloads if w.name in subjects]
        alone = _Alone(reduced, spec, catalog)
        if reduced.shared_groups:  # a shared group is checked on all its members at once
            shares = {w.name: served_share(reduced, spec, catalog, w, alone, **perf)
                      for w in broken}  # fmt: skip
        else:
            shares = served_shares(reduced, spec, catalog, broken, alone, **perf)
        found = [_unmet(w, shares[w.name]) for w in broken if shares[w.name] < 1.0]
    return Check(
        plan=reduced,
        lost=lost,
        violations=tuple(str(v) for v in violations),
        unmet=tuple(found),
    )
