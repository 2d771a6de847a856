"""How honest a plan's prices are: how much of its hourly cost rests on prices that were not read
off a price list (derived by a rule, or estimated), and whether its prices are older than the
plan by more than an allowed age.

Everything here is derived from the allocations' own `price_kind`, `as_of` and `cost_per_hour`,
so it is never stored apart from them. The hourly cost is that of every allocation while it runs
(serving fleets and batch/training instances alike), after commitments.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from planner.catalog.offering import PRICE_KINDS, SOFT_KINDS

if TYPE_CHECKING:
    from planner.plans.model import Plan

UNRECORDED = "unrecorded"
"""The kind of a price in a plan written before kinds were recorded."""
DEFAULT_MAX_PRICE_AGE_DAYS = 90
"""How many days a plan's date may be past its prices' as_of before it warns."""


class PriceBasis(BaseModel):
    """The plan's hourly cost by what its prices rest on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cost_per_hour: float = Field(description="Every allocation's $/h while it runs.")
    by_kind: dict[str, float] = Field(
        description="$/h per price kind (list, derived, estimate, user, refreshed, unrecorded)."
    )
    soft_per_hour: float = Field(description="$/h resting on derived or estimated prices.")
    soft_share: float = Field(description="soft_per_hour / cost_per_hour (0 when nothing costs).")
    oldest_as_of: str | None = Field(None, description="The oldest price date the plan uses.")


def price_basis(plan: Plan) -> PriceBasis:
    """The plan's hourly cost split by the kind of price each allocation was costed at."""
    by_kind: dict[str, float] = {}
    for a in plan.allocations:
        kind = a.price_kind or UNRECORDED
        by_kind[kind] = by_kind.get(kind, 0.0) + a.cost_per_hour
    order = {k: i for i, k in enumerate((*PRICE_KINDS, UNRECORDED))}
    by_kind = {k: round(v, 6) for k, v in sorted(by_kind.items(), key=lambda kv: order[kv[0]])}
    total = sum(by_kind.values())
    soft = sum(v for k, v in by_kind.items() if k in SOFT_KINDS)
    dates = sorted(a.as_of for a in plan.allocations if a.as_of)
    return PriceBasis(
        cost_per_hour=round(total, 6),
        by_kind=by_kind,
        soft_per_hour=round(soft, 6),
        soft_share=round(soft / total, 6) if total > 0 else 0.0,
        oldest_as_of=dates[0] if dates else None,
    )


def soft_sentence(basis: PriceBasis) -> str:
    """`38% of the hourly cost ($12.40/h) rests on estimated or derived prices`."""
    return (
        f"{basis.soft_share:.0%} of the hourly cost (${basis.soft_per_hour:,.2f}/h of "
        f"${basis.cost_per_hour:,.2f}/h) rests on estimated or derived prices"
    )


def stale_prices(plan: Plan, max_age_days: int = DEFAULT_MAX_PRICE_AGE_DAYS) -> list[str]:
    """A warning when the plan's date is more than `max_age_days` past the date of a price it
    uses (one line, naming the oldest such date); empty when none is, or the plan is undated."""
    if plan.plan_date is None:
        return []
    old: dict[str, int] = {}
    for a in plan.allocations:
        try:
            day = dt.date.fromisoformat(a.as_of)
        except ValueError:
            continue
        if (plan.plan_date - day).days > max_age_days:
            old[a.as_of] = old.get(a.as_of, 0) + 1
    if not old:
        return []
    oldest = min(old)
    age = (plan.plan_date - dt.date.fromisoformat(oldest)).days
    return [
        f"prices are stale: {sum(old.values())} allocation(s) are priced as of {oldest}, "
        f"{age} days before the plan's date {plan.plan_date.isoformat()} (more than "
        f"{max_age_days}); refresh the catalog (planner catalog refresh) or pass --catalog"
    ]
