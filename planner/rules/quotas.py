"""The shared-resource families: quotas, owned capacity pools and the budget.

Which pool a quota covers, and how much of each resource a plan's allocations take, is written
here once. The MIP's rows (`rows` here, planner.rules.owned and planner.rules.budget), the
decomposition's coupling rows (`coupling`), the plan's binding notes, `planner verify` and
`planner report` all ask these functions, so they cannot disagree about a usage figure.

A candidate or allocation draws on one pool: (provider, region, accelerator, pricing) for cloud
offerings, ("owned", pool name, accelerator, pricing) for capacity the team has. A quota covers
the cloud pools of its provider, region and accelerator (canonical name), at its pricing or at
any pricing when it names none; an owned pool's size is the limit of its own pool. Usage is at
peak: every instance of the plan running at once (batch and training instances included).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from planner.facts import find_accelerator
from planner.plans.model import Allocation
from planner.rules.rows import SharedRow, Slot
from planner.spec.models import Quota

Pool = tuple[str, str, str, str]
FIELD = "constraints.quotas"
KINDS = ("serving", "batch", "training")
GROUP = "quota"
"""Constraint group `quota:<index>` in the MIP."""
GROUPS = (GROUP,)


def quota_accelerator(quota: Quota) -> str:
    """The quota's accelerator by its canonical name."""
    acc = find_accelerator(quota.accelerator)
    return acc.name if acc else quota.accelerator


def quota_covers(quota: Quota, pool: Pool, accelerator: str | None = None) -> bool:
    """Whether `quota` limits `pool` (`accelerator`: the quota's canonical name, if known)."""
    name = accelerator if accelerator is not None else quota_accelerator(quota)
    return pool[:3] == (quota.provider, quota.region, name) and (
        quota.pricing is None or pool[3] == quota.pricing
    )


def rows(m: Any, s: int, world: Any, ledger: Any) -> None:
    """quota: accelerators in the pools a quota covers stay within it (`ledger.pools`: world
    s's accelerator terms per pool, from every workload of every kind)."""
    pools = ledger.pools
    for i, quota in enumerate(world.quotas):
        name = quota_accelerator(quota)
        terms = [t for pool, ts in pools.items() if quota_covers(quota, pool, name) for t in ts]
        if terms and m.group(f"{GROUP}:{i}"):
            label = f"quota_{i}" if m.tag(s) == "" else f"quota[{s},{i}]"
            m.add(m.sum(terms) <= quota.max_accelerators, label)


def coupling(spec: Any, owned_pools: Any) -> list[SharedRow]:
    """The spec's quotas as the decomposition's shared rows."""
    quotas: Sequence[Quota] = spec.constraints.quotas
    return [
        SharedRow(f"{GROUP}:{i}", float(q.max_accelerators),
                  partial(quota_covers, q, accelerator=quota_accelerator(q)))
        for i, q in enumerate(quotas)
    ]  # fmt: skip


def diagnosis(quota: Quota) -> str:
    """The quota in words, for an infeasibility message."""
    pricing = f" ({quota.pricing.replace('_', '-')})" if quota.pricing else ""
    return (
        f"the quota allows at most {quota.max_accelerators} {quota_accelerator(quota)}"
        f"{pricing} in {quota.provider} {quota.region}"
    )


def describe(spec: Any, kind: str, arg: str) -> str:
    """Constraint group `quota:<index>` in words."""
    return diagnosis(spec.constraints.quotas[int(arg)])


def fleet_check(spec: Any, owned_pools: Any, allocations: Sequence[Allocation]) -> list[str]:
    """verify's check: each quota the plan's allocations exceed, in words."""
    return quota_breaches(spec.constraints.quotas, allocations)


SLOTS = (
    Slot("shared", 20, rows),
    Slot("coupling", 10, coupling),
    Slot("fleet_check", 20, fleet_check),
)
"""After the owned pools' rows in the MIP, first of the decomposition's shared rows."""


def owned_covers(name: str, pool: Pool) -> bool:
    """Whether `pool` is the owned capacity pool `name`."""
    return pool[:2] == ("owned", name)


def gpus(a: Allocation) -> int:
    """Accelerators an allocation occupies: whole instances, or its shared replicas' GPUs."""
    return a.count * (a.tp if a.shared_group else a.accelerators_per_instance)


def _canonical(name: str) -> str:
    acc = find_accelerator(name)
    return acc.name if acc else name


def held(allocations: Sequence[Allocation]) -> list[tuple[Pool, int]]:
    """(cloud pool, accelerators bought) of every holder of cloud capacity: each dedicated
    allocation's instances, and each shared group's instances once (its members hold slots on
    them, not instances). Allocations on owned capacity hold none of a cloud quota."""
    out: list[tuple[Pool, int]] = []
    groups: dict[str, Allocation] = {}
    for a in allocations:
        if a.capacity_pool:
            continue
        if a.shared_group:
            groups.setdefault(a.shared_group, a)
            continue
        pool = (a.provider, a.region, _canonical(a.accelerator), a.pricing)
        out.append((pool, a.count * a.accelerators_per_instance))
    for name in sorted(groups):
        a = groups[name]
        pool = (a.provider, a.region, _canonical(a.accelerator), a.pricing)
        out.append((pool, (a.shared_instances or 0) * a.accelerators_per_instance))
    return out


def quota_used(quota: Quota, holdings: Iterable[tuple[Pool, int]]) -> int:
    """Accelerators `holdings` (from `held`) take from `quota`."""
    name = quota_accelerator(quota)
    return sum(n for pool, n in holdings if quota_covers(quota, pool, name))


@dataclass(frozen=True)
class QuotaUse:
    """One quota: its pool, its limit and what a plan takes from it at peak."""

    provider: str
    region: str
    accelerator: str
    pricing: str
    """on_demand, spot, or any (the quota names no pricing)."""
    limit: int
    used: int

    @property
    def label(self) -> str:
        """`aws us-east-1 H100 (spot)`; no pricing suffix when the quota covers both."""
        suffix = f" ({self.pricing.replace('_', '-')})" if self.pricing != "any" else ""
        return f"{self.provider} {self.region} {self.accelerator}{suffix}"

    @property
    def share(self) -> float | None:
        """used / limit, or None for a zero limit."""
        return self.used / self.limit if self.limit else None

    @property
    def over(self) -> bool:
        return self.used > self.limit


def quota_usage(quotas: Sequence[Quota], allocations: Sequence[Allocation]) -> list[QuotaUse]:
    """Usage of every quota (in order) by `allocations`, counting all instances at once."""
    holdings = held(allocations)
    return [
        QuotaUse(
            provider=q.provider,
            region=q.region,
            accelerator=q.accelerator,
            pricing=q.pricing or "any",
            limit=q.max_accelerators,
            used=quota_used(q, holdings),
        )
        for q in quotas
    ]


def quota_breaches(quotas: Sequence[Quota], allocations: Sequence[Allocation]) -> list[str]:
    """Each quota the allocations exceed, in words (empty: every quota kept)."""
    return [
        f"uses {u.used} {quota_accelerator(q)} in {q.provider} {q.region}"
        f"{'' if u.pricing == 'any' else f' ({u.pricing})'}, quota {u.limit}"
        for q, u in zip(quotas, quota_usage(quotas, allocations), strict=True)
        if u.over
    ]


def owned_used(name: str, allocations: Iterable[Allocation]) -> int:
    """Accelerators of the owned pool `name` the allocations occupy."""
    return sum(gpus(a) for a in allocations if a.capacity_pool == name)


def peak_cost(allocations: Iterable[Allocation]) -> float:
    """Dollars per hour with every instance running at once: what the budget limits."""
    return sum(a.cost_per_hour for a in allocations)


def over_budget(budget: float | None, allocations: Iterable[Allocation], tol: float = 1e-6) -> bool:
    """Whether the allocations' peak cost is above `budget` (None: no budget)."""
    return budget is not None and peak_cost(allocations) > budget + tol


def unlimited_pools(
    quotas: Sequence[Quota], allocations: Sequence[Allocation]
) -> list[tuple[Pool, int]]:
    """Cloud pools the allocations draw on that no quota limits, with the accelerators taken
    from each (sorted): where the plan assumed unlimited supply."""
    taken: dict[Pool, int] = {}
    names = [quota_accelerator(q) for q in quotas]
    for pool, n in held(allocations):
        if not any(quota_covers(q, pool, name) for q, name in zip(quotas, names, strict=True)):
            taken[pool] = taken.get(pool, 0) + n
    return sorted(taken.items())


def supply_warning(quotas: Sequence[Quota], allocations: Sequence[Allocation]) -> str | None:
    """Words for the plan (table, report, JSON) when it counted on supply no quota limits."""
    pools = unlimited_pools(quotas, allocations)
    if not pools:
        return None
    shown = [f"{n} {acc} in {provider} {region}" for (provider, region, acc, _), n in pools[:4]]
    more = f" and {len(pools) - 4} more pool(s)" if len(pools) > 4 else ""
    return (
        f"no quota limits {', '.join(shown)}{more}: the plan assumes unlimited supply there, "
        "but a cloud account's GPU quota is often 0 until raised. Give the quotas you have "
        "(planner quotas refresh --provider P -o quotas.yaml, then planner plan SPEC --quotas "
        "quotas.yaml, or constraints.quotas in the spec)"
    )
