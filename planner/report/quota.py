"""Accelerators the plan uses in each quota pool of the spec, against the pool's limit."""

from __future__ import annotations

from dataclasses import dataclass

from planner.facts import find_accelerator
from planner.plans import Plan


@dataclass(frozen=True)
class QuotaUse:
    """One quota of the spec: its pool, its limit and what the plan takes from it at peak."""

    provider: str
    region: str
    accelerator: str
    pricing: str
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


def _canonical(name: str) -> str:
    found = find_accelerator(name)
    return found.name if found else name


def quota_usage(plan: Plan, quotas) -> list[QuotaUse]:
    """Usage of every quota (spec.constraints.quotas), counting all instances at once (peak)."""
    out = []
    for q in quotas:
        name = _canonical(q.accelerator)
        used = sum(
            a.count * a.accelerators_per_instance
            for a in plan.allocations
            if (a.provider, a.region, _canonical(a.accelerator)) == (q.provider, q.region, name)
            and (q.pricing is None or a.pricing == q.pricing)
        )
        out.append(
            QuotaUse(
                q.provider, q.region, q.accelerator, q.pricing or "any", q.max_accelerators, used
            )
        )
    return out
