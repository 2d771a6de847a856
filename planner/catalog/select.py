"""Choosing offerings from a catalog: filters users give on the command line or in Python."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from planner.catalog.offering import Offering
from planner.clouds import SPEC_SERVICE_KINDS, service_kind
from planner.errors import names_argument
from planner.facts import find_accelerator

SORT_KEYS = {
    "price": lambda o: (o.price_on_demand, o.key),
    "price-per-accelerator": lambda o: (o.price_per_accelerator, o.key),
    "spot": lambda o: (o.price_spot is None, o.price_spot or 0.0, o.key),
    "region": lambda o: (o.provider, o.region, o.price_on_demand, o.key),
}


def _fold(values: Iterable[str]) -> set[str]:
    return {v.strip().lower() for v in values if v.strip()}


def _accelerator_names(values: Iterable[str]) -> set[str]:
    names = set()
    for value in values:
        acc = find_accelerator(value)
        names.add((acc.name if acc else value).lower())
    return names


def select_offerings(
    offerings: Iterable[Offering],
    *,
    providers: Sequence[str] = (),
    regions: Sequence[str] = (),
    accelerators: Sequence[str] = (),
    services: Sequence[str] = (),
    max_price: float | None = None,
    spot_only: bool = False,
    sort: str = "price",
) -> list[Offering]:
    """Offerings matching every given filter (a filter with several values matches any of them).

    Each filter is one name or a list of names. Accelerators match by canonical name or alias;
    services match catalog names (ec2, gce, ...)
    or the spec's kinds (vm, kubernetes = any VM service, sagemaker, vertex).
    """

    def names(value, name):
        return names_argument(value, "select_offerings", name)

    wanted_providers = _fold(names(providers, "providers"))
    wanted_regions = _fold(names(regions, "regions"))
    wanted_accs = _accelerator_names(names(accelerators, "accelerators"))
    wanted_services = _fold(names(services, "services"))
    wanted_services |= {SPEC_SERVICE_KINDS[s] for s in wanted_services if s in SPEC_SERVICE_KINDS}
    chosen = [
        o
        for o in offerings
        if (not wanted_providers or o.provider in wanted_providers)
        and (not wanted_regions or o.region.lower() in wanted_regions)
        and (not wanted_accs or o.accelerator.lower() in wanted_accs)
        and (
            not wanted_services
            or o.service in wanted_services
            or service_kind(o.service) in wanted_services
        )
        and (max_price is None or o.price_on_demand <= max_price)
        and (not spot_only or o.price_spot is not None)
    ]
    return sorted(chosen, key=SORT_KEYS[sort])
