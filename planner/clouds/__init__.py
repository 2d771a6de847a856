"""The provider registry: each cloud's one object (planner/clouds/<cloud>.py) and what asks it.

One module per cloud (aws, gcp, azure and the GPU clouds; owned for the spec's own clusters and
edge devices). Everything else asks here instead of spelling out cloud or service names:

    is_cloud("aws")                     # True; "onprem" and "edge" are owned capacity
    cloud("lambda").has_kubernetes      # what a cloud has, and lacks
    catalog_services("gcp")             # ("gce", "vertex"): what a catalog row may name
    service_kind("ec2")                 # "vm": the spec's placement.services name
    allows_service(("kubernetes",), "gce")  # True: Kubernetes runs on the VM services
    register(CLOUD)                     # a cloud of one's own, known everywhere from then on
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet

from planner.clouds import owned
from planner.clouds.service import (
    SCOPE_FIELDS,
    Cloud,
    CommitmentProduct,
    Kubernetes,
    Missing,
    RayLauncher,
    RayNode,
    ReferencePattern,
    Region,
    Service,
    ServiceKind,
    SkyPilot,
    SpotRiskSource,
)
from planner.errors import InputError

CLOUDS: dict[str, Cloud] = {}
"""The registered clouds by spec name, in registration order (register() adds to it)."""
SERVICES: dict[str, Service] = {s.name: s for s in owned.SERVICES}
SPEC_SERVICE_KINDS = {"kubernetes": "vm"}
"""placement.services names that are not a service kind: Kubernetes runs on VMs."""


class _Names(AbstractSet[str]):
    """A live set of service names: asks the registry on every use, so a cloud registered
    later is in it too."""

    def __init__(self, keep: Callable[[Service], bool]):
        self._keep = keep

    def _names(self) -> frozenset[str]:
        return frozenset(s.name for s in SERVICES.values() if self._keep(s))

    def __contains__(self, name: object) -> bool:
        found = SERVICES.get(name) if isinstance(name, str) else None
        return found is not None and self._keep(found)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._names()))

    def __len__(self) -> int:
        return len(self._names())

    @classmethod
    def _from_iterable(cls, it: Iterable[str]) -> frozenset[str]:
        return frozenset(it)

    def __repr__(self) -> str:
        return repr(self._names())


VM_SERVICES: AbstractSet[str] = _Names(lambda s: s.kind == "vm" and s.in_catalog)
"""Cloud VM services: where Kubernetes, Ray and shared (packed) replicas run."""
OWNED_SERVICES: AbstractSet[str] = _Names(lambda s: not s.in_catalog)
"""Own clusters and edge devices: Kubernetes runs them (the site's or the devices' nodes)."""


def register(new: Cloud) -> Cloud:
    """Make `new` known to the planner: specs, catalogs, planning, emit, report and export.

    A cloud is one object; registering it is all that adding a cloud needs here (its Provider,
    for refresh and launch, registers in providers/). Re-registering a name replaces it."""
    taken = {s.name: s.provider for s in SERVICES.values() if s.provider != new.name}
    for s in new.services:
        if s.provider != new.name:
            raise ValueError(f"cloud {new.name}: service {s.name} names provider {s.provider}")
        if s.name in taken:
            raise ValueError(f"cloud {new.name}: service {s.name} is {taken[s.name]}'s")
    unregister(new.name)
    CLOUDS[new.name] = new
    SERVICES.update({s.name: s for s in new.services})
    return new


def unregister(name: str) -> None:
    """Forget cloud `name` (and its services); nothing happens when it is not registered."""
    old = CLOUDS.pop(name, None)
    if old is not None:
        for s in old.services:
            SERVICES.pop(s.name, None)


def _discover() -> None:
    """Register the CLOUD of every module in this package (a new cloud is one new module)."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found = getattr(importlib.import_module(f"{__name__}.{info.name}"), "CLOUD", None)
        if isinstance(found, Cloud):
            register(found)


_discover()


def cloud_names() -> tuple[str, ...]:
    """The clouds the planner buys from, in the registry's order."""
    return tuple(CLOUDS)


def is_cloud(provider: str) -> bool:
    """Whether `provider` is a cloud (not the spec's own clusters or edge devices)."""
    return provider in CLOUDS


def cloud(name: str) -> Cloud:
    """The registered cloud `name`; InputError (exit 2) listing the known clouds otherwise."""
    found = CLOUDS.get(name)
    if found is None:
        raise InputError(f"unknown cloud {name!r}; known clouds: {', '.join(CLOUDS)}")
    return found


def check_cloud(name: str) -> str:
    """`name` when it is a registered cloud; ValueError listing the known ones (spec fields)."""
    if name not in CLOUDS:
        raise ValueError(f"{name!r} is not a known cloud; use one of {', '.join(CLOUDS)}")
    return name


def catalog_services(provider: str | None = None) -> tuple[str, ...]:
    """The services a catalog row may name: `provider`'s, or every cloud's."""
    clouds = [CLOUDS[provider]] if provider in CLOUDS else list(CLOUDS.values())
    return tuple(s.name for c in clouds for s in c.services)


def service(name: str) -> Service:
    """The registry's entry for a service name (KeyError for an unknown one)."""
    return SERVICES[name]


def service_kind(name: str) -> ServiceKind:
    """The spec's name for how a service runs: vm, sagemaker, vertex or edge."""
    return SERVICES[name].kind


def allows_service(spec_services: Iterable[str], name: str) -> bool:
    """Whether a placement's `services` admit service `name` (`kubernetes` admits the VMs of
    clouds with a managed Kubernetes, and owned capacity; `vm` admits every VM service)."""
    listed = set(spec_services)
    found = SERVICES[name]
    if found.kind == "vm" and "vm" not in listed and "kubernetes" in listed:
        owner = CLOUDS.get(found.provider)
        return owner is None or owner.has_kubernetes
    wanted = {SPEC_SERVICE_KINDS.get(s, s) for s in listed}
    return found.kind in wanted


def region_country(provider: str, region: str) -> str | None:
    """The ISO country code of a cloud's region, or None when unknown."""
    found = CLOUDS.get(provider)
    return found.country(region) if found else None


def in_countries(provider: str, region: str, countries: Iterable[str]) -> bool:
    """Whether a region is in one of `countries` (False where its country is unknown)."""
    return region_country(provider, region) in set(countries)


def commitment_products() -> dict[str, tuple[str, CommitmentProduct]]:
    """Every registered cloud's commitment products: name -> (cloud, product)."""
    return {p.name: (c.name, p) for c in CLOUDS.values() for p in c.commitments}


def commitment_product(name: str) -> tuple[str, CommitmentProduct]:
    """The cloud selling product `name`, and the product; ValueError listing the known ones."""
    found = commitment_products().get(name)
    if found is None:
        known = ", ".join(sorted(commitment_products()))
        raise ValueError(f"{name!r} is not a commitment product; use one of {known}")
    return found


def by_skypilot_name(name: str) -> Cloud | None:
    """The cloud SkyPilot calls `name` (its catalog folder), if registered."""
    key = name.lower()
    return next(
        (c for c in CLOUDS.values() if c.skypilot and c.skypilot.name == key),
        None,
    )


__all__ = [
    "CLOUDS",
    "OWNED_SERVICES",
    "SCOPE_FIELDS",
    "SERVICES",
    "SPEC_SERVICE_KINDS",
    "VM_SERVICES",
    "Cloud",
    "CommitmentProduct",
    "Kubernetes",
    "Missing",
    "RayLauncher",
    "RayNode",
    "ReferencePattern",
    "Region",
    "Service",
    "ServiceKind",
    "SkyPilot",
    "SpotRiskSource",
    "allows_service",
    "by_skypilot_name",
    "catalog_services",
    "check_cloud",
    "cloud",
    "cloud_names",
    "commitment_product",
    "commitment_products",
    "in_countries",
    "is_cloud",
    "region_country",
    "register",
    "service",
    "service_kind",
    "unregister",
]
