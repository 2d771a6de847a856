"""The provider registry: each cloud's services, what they can run, and how it names things.

One module per provider (aws, gcp, azure; owned for the spec's own clusters and edge devices).
Everything else asks here instead of spelling out cloud or service names:

    is_cloud("aws")                     # True; "onprem" and "edge" are owned capacity
    catalog_services("gcp")             # ("gce", "vertex"): what a catalog row may name
    service_kind("ec2")                 # "vm": the spec's placement.services name
    allows_service(("kubernetes",), "gce")  # True: Kubernetes runs on the VM services
"""

from __future__ import annotations

from collections.abc import Iterable

from planner.clouds import aws, azure, gcp, owned
from planner.clouds.service import Cloud, ReferencePattern, Service, ServiceKind

CLOUDS: dict[str, Cloud] = {c.name: c for c in (aws.CLOUD, gcp.CLOUD, azure.CLOUD)}
SERVICES: dict[str, Service] = {
    s.name: s for s in (*(s for c in CLOUDS.values() for s in c.services), *owned.SERVICES)
}
VM_SERVICES = frozenset(s.name for s in SERVICES.values() if s.kind == "vm" and s.in_catalog)
"""Cloud VM services: where Kubernetes, Ray and shared (packed) replicas run."""
OWNED_SERVICES = frozenset(s.name for s in owned.SERVICES)
"""Own clusters and edge devices: Kubernetes runs them (the site's or the devices' nodes)."""
SPEC_SERVICE_KINDS = {"kubernetes": "vm"}
"""placement.services names that are not a service kind: Kubernetes runs on VMs."""


def cloud_names() -> tuple[str, ...]:
    """The clouds the planner buys from, in the registry's order."""
    return tuple(CLOUDS)


def is_cloud(provider: str) -> bool:
    """Whether `provider` is a cloud (not the spec's own clusters or edge devices)."""
    return provider in CLOUDS


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
    """Whether a placement's `services` admit service `name` (`kubernetes` admits the VMs)."""
    wanted = {SPEC_SERVICE_KINDS.get(s, s) for s in spec_services}
    return service_kind(name) in wanted


__all__ = [
    "CLOUDS",
    "OWNED_SERVICES",
    "SERVICES",
    "SPEC_SERVICE_KINDS",
    "VM_SERVICES",
    "Cloud",
    "ReferencePattern",
    "Service",
    "ServiceKind",
    "allows_service",
    "catalog_services",
    "cloud_names",
    "is_cloud",
    "service",
    "service_kind",
]
