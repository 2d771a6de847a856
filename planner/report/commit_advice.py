"""How much to commit: levels of every commitment product from a plan's hourly usage.

A commitment of L units per hour (list dollars for spend-based products; instances or
accelerators of one type in one region for resource-based ones) costs (1 - d) L p each hour,
used or not, where p is the list price of a unit ($1 for spend-based products), and covers
usage up to L; the rest is billed at list. Over the hours (and scenarios) the usage S in its
scope takes, the expected hourly cost is

    cost(L) = (1 - d) L p + E[max(S - L, 0)] p

which is convex and piecewise linear in L, so its minimum is at one of the usage levels seen
(the d-quantile of S: committing one more unit pays while P(S > L) > 1 - d). A commitment pays
for itself when its utilisation E[min(S, L)] / L is at least 1 - d: the break-even
utilisation. Resource-based products are advised per scope (each region and family, instance
type or accelerator the plan uses on demand), in whole units; p is the usage-weighted list
price of a unit there.

Usage per hour comes from the plan's hourly replica schedule where it has one (each
workload's on-demand allocations scaled by replicas that hour over its peak), flat at the
planned rate otherwise; each scenario of a sweep scales the whole usage by its serving cost
over the base's, and every (scenario, hour) pair is equally likely. Jobs are left out: their
usage comes in bursts a steady hourly commitment would mostly not cover.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from planner.catalog.commitments import ProductLevel, product_levels
from planner.clouds import cloud
from planner.plans import Plan, annotations_of
from planner.plans.model import Allocation

HOURS_PER_MONTH = 730.0


@dataclass(frozen=True)
class Advice:
    """The commitment level to buy for one product and term, and what it is expected to do."""

    product: str
    provider: str
    services: tuple[str, ...]
    scope: str
    """Where it applies: `any region`, or the product's scope (`us-east-1 g6.xlarge`)."""
    unit: str
    """usd, instances or accelerators."""
    term_years: int
    discount: float
    discount_kind: str
    source: str
    on_demand_per_hour: float
    """Expected eligible on-demand spend per hour, at list."""
    covered_per_hour: float
    """L p: list dollars per hour the commitment covers."""
    count: int | None
    """Resource-based products: L, the instances or accelerators to commit."""
    unit_price: float
    """p: list $/h of one unit (1 for spend-based products)."""
    committed_per_hour: float
    """(1 - d) L: what to commit to, dollars per hour."""
    expected_cost_per_hour: float
    utilisation: float
    break_even_utilisation: float
    saving_per_hour: float

    @property
    def saving_per_month(self) -> float:
        return self.saving_per_hour * HOURS_PER_MONTH

    @property
    def saving_over_term(self) -> float:
        return self.saving_per_hour * 8760 * self.term_years


def _eligible(a: Allocation, services: Sequence[str], provider: str) -> bool:
    return (
        a.kind == "serving"
        and a.pricing == "on_demand"
        and a.provider == provider
        and a.service in services
        and not a.capacity_pool
    )


def _shares(plan: Plan) -> dict[str, list[float]]:
    """Per workload with an hourly schedule: replicas each UTC hour over its peak."""
    return {
        s.workload: [r / s.static_replicas if s.static_replicas else 1.0 for r in s.replicas]
        for s in annotations_of(plan).schedule
    }


def hourly_spend(plan: Plan, services: Sequence[str], provider: str) -> list[float]:
    """List $/h of the plan's on-demand serving usage in `services` of `provider`, per UTC hour
    0-23 (the hourly schedule where the plan has one)."""
    per_workload: dict[str, float] = defaultdict(float)
    for a in plan.allocations:
        if _eligible(a, services, provider):
            per_workload[a.workload] += a.count * a.price_per_hour
    shares = _shares(plan)
    hours = [0.0] * 24
    for name, spend in per_workload.items():
        share = shares.get(name, [1.0] * 24)
        for h in range(24):
            hours[h] += spend * share[h]
    return hours


def scope_key(level: ProductLevel, a: Allocation) -> tuple[str, ...]:
    """The scope of `level` that allocation `a` falls in: its value of each scope field."""
    values = {
        "region": a.region,
        "family": cloud(a.provider).family(a.instance_type),
        "instance_type": a.instance_type,
        "accelerator": a.accelerator,
    }
    return tuple(values[f] for f in level.scope if f in values)


def hourly_units(
    plan: Plan, level: ProductLevel
) -> dict[tuple[str, ...], tuple[list[float], list[float]]]:
    """Per scope the plan uses: (units, list $) of its on-demand serving usage per UTC hour;
    units are list dollars, instances or accelerators as the product counts them."""
    shares = _shares(plan)
    out: dict[tuple[str, ...], tuple[list[float], list[float]]] = {}
    for a in plan.allocations:
        if not _eligible(a, level.services, level.provider):
            continue
        units, dollars = out.setdefault(scope_key(level, a), ([0.0] * 24, [0.0] * 24))
        per_unit = {"usd": a.price_per_hour, "instances": 1.0}.get(
            level.unit, float(a.accelerators_per_instance)
        )
        share = shares.get(a.workload, [1.0] * 24)
        for h in range(24):
            units[h] += a.count * per_unit * share[h]
            dollars[h] += a.count * a.price_per_hour * share[h]
    return out


def _cost(level: float, discount: float, samples: Sequence[float]) -> float:
    over = sum(max(s - level, 0.0) for s in samples) / len(samples)
    return (1 - discount) * level + over


def best_level(samples: Sequence[float], discount: float, whole: bool = False) -> float:
    """The L that minimises cost(L) over the samples (the smallest where several tie); with
    `whole`, the best whole number of units.

    cost(L) is convex and piecewise linear with its kinks at the samples, so its smallest
    minimiser is 0 or a sample, found with prefix sums in O(n log n) (never a scan of every
    level, which grew with the size of the demand); the best whole level is the floor or the
    ceiling of a minimiser (a few whole numbers around it are compared)."""
    ordered = sorted(samples)
    n = len(ordered)
    if not n:
        return 0.0
    suffix = [0.0] * (n + 1)
    for i in range(n - 1, -1, -1):
        suffix[i] = suffix[i + 1] + ordered[i]

    def cost(level: float) -> float:
        above = bisect.bisect_right(ordered, level)
        return (1 - discount) * level + (suffix[above] - level * (n - above)) / n

    if whole:
        middle = min(sorted({0.0, *ordered}), key=lambda level: (round(cost(level), 9), level))
        top = math.ceil(ordered[-1])
        low = max(0, math.floor(middle) - 2)
        candidates = [float(k) for k in range(low, min(top, math.ceil(middle) + 2) + 1)]
    else:
        candidates = sorted({0.0, *ordered})
    return min(candidates, key=lambda level: (round(cost(level), 9), level))


def advise(plan: Plan, scales: Sequence[float] = (1.0,)) -> list[Advice]:
    """Advice for every product and term whose scope the plan uses on demand: spend-based
    products over all their usage, resource-based ones per scope (region and family, instance
    type or accelerator), in whole units."""
    out = []
    for level in product_levels():
        for key, (units, dollars) in sorted(hourly_units(plan, level).items()):
            found = _advice(level, key, units, dollars, scales)
            if found is not None:
                out.append(found)
    return out


def _advice(
    level: ProductLevel,
    key: tuple[str, ...],
    units: Sequence[float],
    dollars: Sequence[float],
    scales: Sequence[float],
) -> Advice | None:
    samples = [u * k for k in scales for u in units]
    expected = sum(samples) / len(samples)
    if expected <= 0:
        return None
    whole = level.unit != "usd"
    price = sum(dollars) / sum(units) if whole else 1.0
    d = level.discount
    covered = best_level(samples, d, whole=whole)
    cost = _cost(covered, d, samples)
    used = sum(min(s, covered) for s in samples) / len(samples)
    return Advice(
        product=level.product,
        provider=level.provider,
        services=level.services,
        scope=" ".join(key) if key else "any region",
        unit=level.unit,
        term_years=level.term_years,
        discount=d,
        discount_kind=level.kind,
        source=level.source,
        on_demand_per_hour=round(expected * price, 6),
        covered_per_hour=round(covered * price, 6),
        count=int(covered) if whole else None,
        unit_price=round(price, 6),
        committed_per_hour=round((1 - d) * covered * price, 6),
        expected_cost_per_hour=round(cost * price, 6),
        utilisation=round(used / covered, 6) if covered else 0.0,
        break_even_utilisation=round(1 - d, 6),
        saving_per_hour=round((expected - cost) * price, 6),
    )
