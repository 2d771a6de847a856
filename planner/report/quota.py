"""Accelerators the plan uses in each quota pool of the spec, against the pool's limit: the
one usage rule (planner.rules.quotas) that the solver and `planner verify` use too."""

from __future__ import annotations

from planner.plans import Plan
from planner.rules.quotas import QuotaUse
from planner.rules.quotas import quota_usage as _usage

__all__ = ["QuotaUse", "quota_usage"]


def quota_usage(plan: Plan, quotas) -> list[QuotaUse]:
    """Usage of every quota (spec.constraints.quotas), counting all instances at once (peak)."""
    return _usage(tuple(quotas), plan.allocations)
