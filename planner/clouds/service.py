"""What the registry says about one cloud: everything the planner knows of it, in one object.

A Cloud holds its spec name, services, regions (with their countries, for residency), how its
managed Kubernetes labels and taints GPU nodes, how the Ray cluster launcher names its machines,
its FOCUS names, its instance-family rule, how its SkyPilot catalog file is read, and what it
lacks (no spot, no managed Kubernetes, no managed endpoint). Code elsewhere asks the Cloud; a
capability it lacks is a `Missing` error naming the cloud and the capability.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from planner.errors import InputError

ServiceKind = Literal["vm", "sagemaker", "vertex", "edge"]
Json = dict[str, Any]


@dataclass(frozen=True)
class Service:
    """One way to buy accelerators: a VM service, a managed endpoint service, or own capacity.

    `kind` is the spec's name for how it runs (placement.services; `kubernetes` runs on `vm`).
    `accelerators` maps the accelerators the service can run to its own API names; empty means
    whatever the catalog sells through it.
    """

    name: str
    provider: str
    kind: ServiceKind
    accelerators: dict[str, str] = field(default_factory=dict)
    in_catalog: bool = True
    """Sold in price catalogs (own clusters and edge devices come from the spec's capacity:)."""
    title: str = ""
    """Its name in the cloud's own billing data (FOCUS ServiceName)."""
    product: str = ""
    """A managed service's short product name ("SageMaker"), for FOCUS resource types."""
    kms_key: Callable[[Any], str] | None = None
    """A managed service: the customer-managed key its endpoints use, read from the spec's
    deploy.security settings ("" when none is set; `{region}` in it stands for the region)."""

    @property
    def is_managed(self) -> bool:
        """A managed ML service (endpoints and jobs), whose name is its `planner emit` target."""
        return self.kind not in ("vm", "edge")


@dataclass(frozen=True)
class ReferencePattern:
    """A resource name that carries its region: a registry, key or bucket address."""

    pattern: re.Pattern[str]
    default_region: str = ""
    """The region when the name leaves it out (gcr.io is in the `us` multi-region)."""

    def region(self, ref: str) -> str | None:
        """The region `ref` names, or None when `ref` is not this kind of name."""
        match = self.pattern.match(ref)
        if match is None:
            return None
        return match["region"] or self.default_region


@dataclass(frozen=True)
class Region:
    """A region of a cloud: its id, the ISO 3166-1 alpha-2 country it is in, and its title."""

    name: str
    country: str
    title: str = ""


def _no_labels(accelerator: str, per_instance: int) -> Mapping[str, str]:
    return {}


def _no_slices(accelerator: str, per_instance: int) -> tuple[tuple[int, int], ...]:
    return ()


@dataclass(frozen=True)
class Kubernetes:
    """The cloud's managed Kubernetes and how it labels and taints GPU nodes."""

    service: str
    """Its name ("EKS", "GKE")."""
    capacity_label: str = ""
    """The node label whose value says spot or on-demand ("" when its nodes carry none)."""
    spot_value: str = "spot"
    on_demand_value: str = ""
    """The label's value on on-demand nodes ("": on-demand nodes carry no such label)."""
    spot_taint: bool = False
    """Spot nodes carry capacity_label=spot_value as a NoSchedule taint."""
    karpenter: bool = False
    """Nodes come from Karpenter NodePools the plan writes (one per allocation)."""
    accelerator_labels: Callable[[str, int], Mapping[str, str]] = _no_labels
    """Node labels for (accelerator, accelerators per instance), where the cloud sets them; for
    a multi-host slice, the accelerators of the whole slice."""
    slices: Callable[[str, int], tuple[tuple[int, int], ...]] = _no_slices
    """Multi-host slices it sells of (accelerator, accelerators per host): (chips, hosts) of
    each, smallest first; one slice is one node pool whose hosts share the chips' own
    interconnect (a TPU slice's ICI torus)."""

    def selector(self, accelerator: str, per_instance: int, spot: bool) -> dict[str, str]:
        """Labels (beyond the instance type) that pin pods to such nodes."""
        out = dict(self.accelerator_labels(accelerator, per_instance))
        if self.capacity_label:
            value = self.spot_value if spot else self.on_demand_value
            if value:
                out[self.capacity_label] = value
        return out

    def taints(self, spot: bool) -> list[dict[str, str]]:
        """The taints such nodes carry beyond the device's."""
        if not (spot and self.spot_taint):
            return []
        return [
            {
                "key": self.capacity_label,
                "operator": "Equal",
                "value": self.spot_value,
                "effect": "NoSchedule",
            }
        ]


@dataclass(frozen=True)
class RayNode:
    """What the Ray cluster launcher's node_config is made from."""

    instance_type: str
    accelerator: str
    accelerators: int
    spot: bool


@dataclass(frozen=True)
class RayLauncher:
    """The Ray cluster launcher on this cloud: its provider block, head and worker machines."""

    head_machine: str
    provider: Callable[[str, str, str, str], Json]
    """(region, zone, cluster name, project) -> the cluster config's provider block."""
    head: Callable[[str], Json]
    """head machine -> the head node's node_config."""
    worker: Callable[[RayNode], Json]
    """-> a worker's node_config."""


@dataclass(frozen=True)
class BuiltIn:
    """A machine family with its accelerators built in: name pattern -> accelerator, count."""

    pattern: re.Pattern[str]
    accelerator: str
    counts: Mapping[int, int] | None = None
    """Accelerators by the number in the name, where they differ from it."""

    def match(self, instance_type: str) -> tuple[str, int] | None:
        found = self.pattern.match(instance_type)
        if not found or len(found.group(1)) > 4:  # a4-highgpu-<400 digits>g: not a real type
            return None
        n = int(found.group(1))
        count = self.counts.get(n) if self.counts else n
        return (self.accelerator, count) if count else None


@dataclass(frozen=True)
class SkyPilot:
    """How SkyPilot names the cloud and how its catalog file (`<name>/vms.csv`) is read."""

    name: str
    """SkyPilot's name for the cloud: its catalog folder and `infra:` prefix."""
    header: Callable[[Sequence[str]], bool] | None = None
    """Tells this cloud's file from its columns when the folder does not say (None: cannot)."""
    accelerators_apart: bool = False
    """Accelerators priced in rows of their own, added to the host VM's (GCP)."""
    built_in: tuple[BuiltIn, ...] = ()
    """Machine families whose accelerators are built in (with accelerators_apart)."""
    tpu: re.Pattern[str] | None = None
    """TPU rows (AcceleratorName), with the chips as group 1."""
    corrections: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    """Known errors in SkyPilot's rows: instance type -> (accelerator, count) as sold."""
    gpu_info_memory: bool = True
    """GpuInfo's MemoryInfo.SizeInMiB holds MiB, so it gives the memory of accelerators the
    planner's facts do not know (RunPod's holds GB: such rows are skipped instead)."""


CommitmentUnit = Literal["usd", "instances", "accelerators"]
SCOPE_FIELDS = ("region", "family", "instance_type", "accelerator", "count")


@dataclass(frozen=True)
class CommitmentProduct:
    """A way the cloud sells capacity below list price for a term (a Savings Plan, reserved
    instances, a committed use discount, a reservation or savings plan).

    Its discount levels per term are data (catalog/data/commitment_discounts.csv, by name)."""

    name: str
    """The spec's `product:` value (`aws-compute-savings-plan`)."""
    title: str
    """Its name in words ("Compute Savings Plan")."""
    services: tuple[str, ...]
    """The cloud's services whose usage it covers."""
    unit: CommitmentUnit
    """usd: committed dollars of discounted usage each hour; instances or accelerators: a count
    of one type."""
    scope: tuple[str, ...] = ()
    """The scope fields a commitment of it must give (of SCOPE_FIELDS); none: any region."""

    @property
    def spend_based(self) -> bool:
        return self.unit == "usd"


@dataclass(frozen=True)
class SpotRiskSource:
    """What the cloud publishes about how often it reclaims spot capacity."""

    name: str
    """The `source` of spot-risk rows from it (spot_interruptions.csv)."""
    title: str
    url: str
    per_type: bool
    """Published per region and instance type (else: no per-type figure is published, and the
    bundled rows are estimates)."""


def whole_name(instance_type: str) -> str:
    """An instance-family rule for clouds whose type names are not families: the name itself."""
    return instance_type


class Missing(InputError):
    """A cloud lacks a capability the request needs (exit 2)."""


@dataclass(frozen=True)
class Cloud:
    """A provider the planner buys from: everything the planner knows of it."""

    name: str
    title: str
    services: tuple[Service, ...]
    references: tuple[ReferencePattern, ...] = ()
    regions: tuple[Region, ...] = ()
    """Regions the planner knows by country and title (a catalog may name others)."""
    focus_name: str = ""
    """ProviderName/PublisherName/InvoiceIssuerName in FOCUS data (default: title)."""
    kubernetes: Kubernetes | None = None
    """Its managed Kubernetes (None: it has none)."""
    ray: RayLauncher | None = None
    """The Ray cluster launcher's support (None: Ray runs only on its Kubernetes, if any)."""
    family: Callable[[str], str] = whole_name
    """Instance type -> family (`p5.4xlarge` -> `p5`), to match moved allocations."""
    skypilot: SkyPilot | None = None
    has_spot: bool = True
    """Sells interruptible capacity at a lower price."""
    country_of: Callable[[str], str | None] | None = None
    """Country of a region the `regions` table does not list (RunPod's regions are countries)."""
    commitments: tuple[CommitmentProduct, ...] = ()
    """The commitment products it sells (none: list prices and negotiated discounts only)."""
    spot_risk: SpotRiskSource | None = None
    """Where its spot interruption figures come from (None: it publishes none)."""

    @property
    def has_kubernetes(self) -> bool:
        return self.kubernetes is not None

    @property
    def has_managed_endpoint(self) -> bool:
        """Sells managed inference endpoints (SageMaker, Vertex AI), not only machines."""
        return any(s.is_managed for s in self.services)

    @property
    def vm_service(self) -> Service:
        """The service its machines are sold under."""
        for s in self.services:
            if s.kind == "vm":
                return s
        raise self.missing("a VM service")

    @property
    def billing_name(self) -> str:
        return self.focus_name or self.title

    def region(self, name: str) -> Region | None:
        return next((r for r in self.regions if r.name == name), None)

    def country(self, region: str) -> str | None:
        """The ISO country code of `region`, or None when the planner does not know it."""
        known = self.region(region)
        if known is not None:
            return known.country
        return self.country_of(region) if self.country_of else None

    def missing(self, capability: str, needed_for: str = "") -> Missing:
        """The error for a capability this cloud lacks (`needed_for`: what asked for it)."""
        why = f" ({needed_for})" if needed_for else ""
        return Missing(f"{self.title} ({self.name}) has no {capability}{why}")

    def commitment(self, product: str) -> CommitmentProduct | None:
        return next((p for p in self.commitments if p.name == product), None)

    def need_kubernetes(self, needed_for: str = "") -> Kubernetes:
        if self.kubernetes is None:
            raise self.missing("managed Kubernetes", needed_for)
        return self.kubernetes

    def need_ray(self, needed_for: str = "") -> RayLauncher:
        if self.ray is None:
            raise self.missing("Ray cluster launcher support", needed_for)
        return self.ray
