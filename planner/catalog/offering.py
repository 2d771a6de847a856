"""An Offering: one instance type a cloud sells in one region through one service, with prices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from planner.clouds import service_kind

PricingName = Literal["on_demand", "spot"]
PriceKind = Literal["list", "derived", "estimate", "user", "refreshed"]
PRICE_KINDS: tuple[str, ...] = ("list", "derived", "estimate", "user", "refreshed")
"""What a price rests on: list (read off the provider's price list), derived (computed from a
listed price by a stated rule: a fraction of a larger size, a service's markup), estimate (a
typical ratio applied: regional premium, spot fraction), user (a user's catalog that states no
kind), refreshed (fetched from the provider's price API by `planner catalog refresh`)."""
SOFT_KINDS = frozenset({"derived", "estimate"})
"""Kinds that were not read off a price list or API: a plan says how much of its cost rests on
them."""


@dataclass(frozen=True, slots=True)
class Offering:
    """One purchasable instance type: where, through which service, what it holds, what it costs."""

    provider: str
    region: str
    service: str
    instance_type: str
    accelerator: str
    accelerator_count: int
    accelerator_memory_gb: float
    vcpus: float
    memory_gib: float
    price_on_demand: float
    price_spot: float | None = None
    zone: str = ""
    source: str = ""
    as_of: str = ""
    owned: str = ""
    """The capacity pool (spec `capacity:`) this offering comes from; empty for the catalog's."""
    price_kind: str = ""
    """What price_on_demand rests on (PRICE_KINDS); empty: not recorded."""
    spot_price_kind: str = ""
    """What price_spot rests on; empty where there is no spot price."""
    interruption_rate: float | None = None
    """Spot: share of spot instances interrupted in a month (planner.catalog.spot_risk); None:
    the bundled snapshot's figure applies."""

    @property
    def key(self) -> tuple[str, ...]:
        """Identity of the offering: provider, region, zone, service, instance type (and pool)."""
        base = (self.provider, self.region, self.zone, self.service, self.instance_type)
        return (*base, self.owned) if self.owned else base

    @property
    def service_kind(self) -> str:
        """The spec's name for how it runs: vm, sagemaker, vertex or edge (provider registry)."""
        return service_kind(self.service)

    def price(self, pricing: PricingName) -> float | None:
        """Dollars per instance-hour for `pricing`, or None where that pricing is not sold."""
        return self.price_on_demand if pricing == "on_demand" else self.price_spot

    def kind(self, pricing: PricingName) -> str:
        """What the price for `pricing` rests on (PRICE_KINDS; empty: not recorded)."""
        return self.price_kind if pricing == "on_demand" else self.spot_price_kind

    @property
    def price_per_accelerator(self) -> float:
        """On-demand dollars per accelerator-hour."""
        return self.price_on_demand / self.accelerator_count

    def as_row(self) -> dict[str, object]:
        """The offering as a flat dict in catalog-CSV column order."""
        return {name: getattr(self, name) for name in CATALOG_COLUMNS}


CATALOG_COLUMNS = (
    "provider",
    "region",
    "zone",
    "service",
    "instance_type",
    "accelerator",
    "accelerator_count",
    "accelerator_memory_gb",
    "vcpus",
    "memory_gib",
    "price_on_demand",
    "price_spot",
    "source",
    "as_of",
    "price_kind",
    "spot_price_kind",
)
