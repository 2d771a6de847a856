"""How much to commit: Savings Plan / CUD / savings plan levels from a plan's hourly spend.

A spend-based commitment of L list dollars per hour costs (1 - d) L each hour, used or not, and
covers usage up to L; the rest is billed at list. Over the hours (and scenarios) the fleet's
eligible on-demand spend S takes, the expected hourly cost is

    cost(L) = (1 - d) L + E[max(S - L, 0)]

which is convex and piecewise linear in L, so its minimum is at one of the spend levels seen
(the d-quantile of S: committing one more dollar pays while P(S > L) > 1 - d). A commitment
pays for itself when its utilisation E[min(S, L)] / L is at least 1 - d: the break-even
utilisation. Spend per hour comes from the plan's hourly replica schedule where it has one
(each workload's on-demand allocations scaled by replicas that hour over its peak), flat at the
planned rate otherwise; each scenario of a sweep scales the whole spend by its serving cost over
the base's, and every (scenario, hour) pair is equally likely. Jobs are left out: their spend
comes in bursts a steady hourly commitment would mostly not cover.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from planner.catalog.commitments import product_levels
from planner.plans import Plan

HOURS_PER_MONTH = 730.0


@dataclass(frozen=True)
class Advice:
    """The commitment level to buy for one product and term, and what it is expected to do."""

    product: str
    provider: str
    services: tuple[str, ...]
    term_years: int
    discount: float
    discount_kind: str
    source: str
    on_demand_per_hour: float
    """Expected eligible on-demand spend per hour, at list."""
    covered_per_hour: float
    """L: list dollars per hour the commitment covers."""
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


def hourly_spend(plan: Plan, services: Sequence[str], provider: str) -> list[float]:
    """List $/h of the plan's on-demand serving usage in `services` of `provider`, per UTC hour
    0-23 (the hourly schedule where the plan has one)."""
    schedules = {s.workload: s for s in plan.schedule}
    per_workload: dict[str, float] = defaultdict(float)
    for a in plan.allocations:
        if (
            a.kind == "serving"
            and a.pricing == "on_demand"
            and a.provider == provider
            and a.service in services
            and not a.capacity_pool
        ):
            per_workload[a.workload] += a.count * a.price_per_hour
    hours = [0.0] * 24
    for name, spend in per_workload.items():
        s = schedules.get(name)
        for h in range(24):
            share = s.replicas[h] / s.static_replicas if s and s.static_replicas else 1.0
            hours[h] += spend * share
    return hours


def _cost(level: float, discount: float, samples: Sequence[float]) -> float:
    over = sum(max(s - level, 0.0) for s in samples) / len(samples)
    return (1 - discount) * level + over


def best_level(samples: Sequence[float], discount: float) -> float:
    """The L that minimises cost(L) over the samples (the smallest where several tie)."""
    candidates = sorted({0.0, *samples})
    return min(candidates, key=lambda level: (round(_cost(level, discount, samples), 9), level))


def advise(plan: Plan, scales: Sequence[float] = (1.0,)) -> list[Advice]:
    """Advice for every spend-based product and term whose services the plan uses on demand."""
    out = []
    for level in product_levels():
        if level.unit != "usd" or level.scope:
            continue  # count-based and region-bound products: sized per type, not from spend
        hours = hourly_spend(plan, level.services, level.provider)
        samples = [h * k for k in scales for h in hours]
        expected = sum(samples) / len(samples)
        if expected <= 0:
            continue
        covered = best_level(samples, level.discount)
        cost = _cost(covered, level.discount, samples)
        used = sum(min(s, covered) for s in samples) / len(samples)
        out.append(
            Advice(
                product=level.product,
                provider=level.provider,
                services=level.services,
                term_years=level.term_years,
                discount=level.discount,
                discount_kind=level.kind,
                source=level.source,
                on_demand_per_hour=round(expected, 6),
                covered_per_hour=round(covered, 6),
                committed_per_hour=round((1 - level.discount) * covered, 6),
                expected_cost_per_hour=round(cost, 6),
                utilisation=round(used / covered, 6) if covered else 0.0,
                break_even_utilisation=round(1 - level.discount, 6),
                saving_per_hour=round(expected - cost, 6),
            )
        )
    return out
