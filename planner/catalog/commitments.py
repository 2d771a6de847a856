"""Commitments as the solver prices them: the published discount levels of each product, which
offerings a commitment covers, and negotiated discounts applied to list prices.

A commitment is sunk: its `committed_per_hour` is paid whatever runs. Usage inside its scope is
covered up to its capacity and then costs nothing more; the rest is billed at list.
Capacity is counted in the product's unit:

- usd (spend-based products): committed_per_hour buys committed_per_hour / (1 - discount)
  dollars of list-priced usage each hour;
- instances: `count` instances of one type;
- accelerators: `count` accelerators of one type in a region.

Which products a cloud sells, and in what unit and scope, is the cloud's (planner/clouds).
Spot usage is never covered (no cloud applies these products to spot); owned capacity neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from planner._csvdata import read_csv_lines
from planner._readfile import read_input
from planner.catalog.offering import Offering
from planner.clouds import cloud, commitment_products
from planner.facts import find_accelerator
from planner.spec.commitments import Commitment

DISCOUNTS = Path(__file__).parent / "data" / "commitment_discounts.csv"


@dataclass(frozen=True)
class ProductLevel:
    """One row of commitment_discounts.csv (a product's discount for one term) with what the
    cloud selling the product declares of it (services, unit, scope)."""

    product: str
    provider: str
    services: tuple[str, ...]
    unit: str
    scope: tuple[str, ...]
    """The scope fields a commitment of it gives (none: any region of its services)."""
    term_years: int
    discount: float
    kind: str
    """published, or estimate (not published as one figure)."""
    source: str
    as_of: str


@cache
def _rows() -> tuple[dict[str, str], ...]:
    _, rows = read_csv_lines(read_input(DISCOUNTS, "data file"), str(DISCOUNTS))
    return tuple(r for _, r in rows)


def product_levels() -> tuple[ProductLevel, ...]:
    """The bundled discount levels of the products registered clouds sell, in file order."""
    products = commitment_products()
    out = []
    for r in _rows():
        if r["product"] not in products:
            continue
        seller, product = products[r["product"]]
        out.append(
            ProductLevel(
                product=product.name,
                provider=seller,
                services=product.services,
                unit=product.unit,
                scope=product.scope,
                term_years=int(r["term_years"]),
                discount=float(r["discount"]),
                kind=r["kind"],
                source=r["source"],
                as_of=r["as_of"],
            )
        )
    return tuple(out)


def product_level(product: str, term_years: int) -> ProductLevel:
    """The bundled level of `product` for `term_years` (every product but negotiated ones)."""
    for level in product_levels():
        if (level.product, level.term_years) == (product, term_years):
            return level
    raise KeyError((product, term_years))


def _canonical(accelerator: str | None) -> str | None:
    if accelerator is None:
        return None
    found = find_accelerator(accelerator)
    return found.name if found else accelerator


@dataclass(frozen=True)
class Cover:
    """A commitment as the solver sees it: what it covers, how much, and what it costs."""

    name: str
    product: str
    provider: str
    services: tuple[str, ...]
    unit: str
    term_years: int
    committed_per_hour: float
    discount: float
    discount_kind: str
    """user (given in the spec), published or estimate (the bundled level)."""
    count: int | None = None
    region: str | None = None
    family: str | None = None
    instance_type: str | None = None
    accelerator: str | None = None

    @property
    def capacity(self) -> float:
        """What it covers each hour, in its unit (list dollars, instances or accelerators)."""
        if self.unit == "usd":
            return self.committed_per_hour / (1.0 - self.discount)
        return float(self.count or 0)

    def covers(self, offering: Offering, pricing: str) -> bool:
        """Whether `offering` bought at `pricing` is usage this commitment applies to."""
        o = offering
        return (
            pricing == "on_demand"
            and not o.owned
            and o.provider == self.provider
            and o.service in self.services
            and (self.region is None or o.region == self.region)
            and (self.family is None or cloud(o.provider).family(o.instance_type) == self.family)
            and (self.instance_type is None or o.instance_type == self.instance_type)
            and (self.accelerator is None or o.accelerator == self.accelerator)
        )

    def units_per_dollar(self, offering: Offering, price: float) -> float:
        """Units of capacity one list dollar of `offering` uses up."""
        if self.unit == "usd" or price <= 0:
            return 1.0
        per_instance = 1.0 if self.unit == "instances" else float(offering.accelerator_count)
        return per_instance / price

    @property
    def scope(self) -> str:
        """The scope in words: provider, services, then its scope fields (`aws ec2 us-east-1
        family p5`)."""
        parts = [self.provider, "/".join(self.services)]
        for label, value in (
            ("", self.region), ("family ", self.family), ("", self.instance_type),
            ("", self.accelerator),
        ):  # fmt: skip
            if value:
                parts.append(f"{label}{value}")
        return " ".join(parts)


def covers_of(commitments: Iterable[Commitment]) -> tuple[Cover, ...]:
    """The spec's commitments (negotiated discounts left out: they change prices instead)."""
    out = []
    for c in commitments:
        if c.product == "negotiated-discount":
            continue
        level = product_level(c.product, c.term_years)
        out.append(
            Cover(
                name=c.name,
                product=c.product,
                provider=level.provider,
                services=level.services,
                unit=level.unit,
                term_years=c.term_years,
                committed_per_hour=float(c.committed_per_hour or 0.0),
                discount=c.discount if c.discount is not None else level.discount,
                discount_kind="user" if c.discount is not None else level.kind,
                count=c.count,
                region=c.region,
                family=c.family,
                instance_type=c.instance_type,
                accelerator=_canonical(c.accelerator),
            )
        )
    return tuple(out)


def _negotiated_applies(c: Commitment, o: Offering) -> bool:
    return (
        not o.owned
        and o.provider == c.provider
        and (c.region is None or o.region == c.region)
        and (c.services is None or o.service in c.services or o.service_kind in c.services)
    )


def with_negotiated_discounts(
    offerings: Sequence[Offering], commitments: Iterable[Commitment]
) -> tuple[Offering, ...]:
    """`offerings` with each negotiated discount taken off the list prices it covers (the
    largest where several apply); the source names the agreement."""
    deals = [c for c in commitments if c.product == "negotiated-discount"]
    if not deals:
        return tuple(offerings)
    out = []
    for o in offerings:
        best = max(
            (c for c in deals if _negotiated_applies(c, o)),
            key=lambda c: (c.discount or 0.0, c.name),
            default=None,
        )
        if best is None or not best.discount:
            out.append(o)
            continue
        keep = 1.0 - best.discount
        out.append(
            replace(
                o,
                price_on_demand=round(o.price_on_demand * keep, 6),
                price_spot=None if o.price_spot is None else round(o.price_spot * keep, 6),
                source=f"{o.source}+negotiated:{best.name}",
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class Usage:
    """Covered-usage bookkeeping of one allocation: its list $/h and the offering behind it."""

    offering: Offering
    pricing: str
    list_per_hour: float
    price: float


def apply_covers(covers: Sequence[Cover], usages: Sequence[Usage]) -> list[dict[str, float]]:
    """How much of each usage's list $/h each commitment covers, as billing applies them:
    count-based products first (reservations before spend-based plans, as clouds bill them),
    then spend-based ones by deepest discount; within a commitment, the usage that uses the
    fewest units per list dollar first. Returns, per usage, {commitment name: list $/h}."""
    order = sorted(
        range(len(covers)),
        key=lambda k: (covers[k].unit == "usd", -covers[k].discount, covers[k].name),
    )
    left = [u.list_per_hour for u in usages]
    out: list[dict[str, float]] = [{} for _ in usages]
    for k in order:
        cover = covers[k]
        room = cover.capacity
        eligible = [
            (cover.units_per_dollar(u.offering, u.price), i)
            for i, u in enumerate(usages)
            if cover.covers(u.offering, u.pricing) and left[i] > 0
        ]
        for per_dollar, i in sorted(eligible):
            if room <= 1e-12:
                break
            take = min(left[i], room / per_dollar)
            if take > 0:
                out[i][cover.name] = out[i].get(cover.name, 0.0) + take
                left[i] -= take
                room -= take * per_dollar
    return out
