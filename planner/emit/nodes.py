"""Where Kubernetes and Ray pods land: device resources, node selectors and tolerations by cloud."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from planner.catalog import load_catalog
from planner.clouds import cloud, is_cloud
from planner.errors import InputError
from planner.facts.engines import Platform, cores_per_device, platform_of
from planner.perf.multinode import spans_slice
from planner.plans.model import Allocation

ALLOCATABLE = 0.85
"""Share of an instance's CPU and memory that pods may ask for (the rest is the node's own)."""


def platform(accelerator: str) -> Platform:
    """The accelerator's platform (planner/facts/engines.py); an InputError for a chip whose
    vendor has none (the solver never plans one)."""
    found = platform_of(accelerator)
    if found is None:
        raise InputError(f"no device plugin resource is known for accelerator {accelerator}")
    return found


def device_resource(accelerator: str) -> str:
    """The extended resource a pod requests for `accelerator` (nvidia.com/gpu, amd.com/gpu,
    aws.amazon.com/neuron, google.com/tpu)."""
    return platform(accelerator).device_resource


def ray_resources(accelerator: str, chips: int) -> dict[str, int]:
    """Ray custom resources for `chips` chips (NeuronCores on Neuron, TPU chips); empty where
    Ray counts them as GPUs."""
    found = platform(accelerator)
    if not found.ray_resource:
        return {}
    return {found.ray_resource: chips * cores_per_device(accelerator)}


def machine_type(instance_type: str) -> str:
    """The VM's machine type (GCP n1 with attached GPUs is written `n1-standard-8+T4x1`)."""
    return instance_type.split("+", 1)[0]


EDGE_POOL_LABEL = "planner.dev/edge-pool"
SITE_LABEL = "planner.dev/site"


def node_selector(alloc: Allocation, site: dict[str, str] | None = None) -> dict[str, str]:
    """Node labels that pin pods to the plan's instance type and pricing on the cloud's managed
    Kubernetes (as its Cloud object labels nodes), to an own cluster's GPU nodes (its
    `node_selector`, else a site label), or to the devices of an edge pool."""
    if alloc.provider == "edge":
        return {EDGE_POOL_LABEL: alloc.capacity_pool or alloc.instance_type}
    if alloc.provider == "onprem":
        return dict(site) if site else {SITE_LABEL: alloc.capacity_pool or alloc.region}
    selector = {"node.kubernetes.io/instance-type": machine_type(alloc.instance_type)}
    k8s = cloud(alloc.provider).need_kubernetes(f"{alloc.workload} on {alloc.instance_type}")
    chips = alloc.accelerators_per_instance
    if spans_slice(alloc.tp, chips, alloc.nodes_per_replica or 1):
        chips = alloc.tp  # a multi-host slice's node pool is labelled with the slice's topology
    selector |= k8s.selector(alloc.accelerator, chips, alloc.pricing == "spot")
    return selector


def tolerations(alloc: Allocation) -> list[dict[str, str]]:
    """Taints the pods tolerate: the device's, and the spot taint where the cloud sets one."""
    out = [
        {"key": device_resource(alloc.accelerator), "operator": "Exists", "effect": "NoSchedule"}
    ]
    if is_cloud(alloc.provider):
        k8s = cloud(alloc.provider).need_kubernetes(f"{alloc.workload} on {alloc.instance_type}")
        out += k8s.taints(alloc.pricing == "spot")
    return out


@dataclass(frozen=True)
class PodSize:
    """CPU cores and memory (GiB) a pod asks for, equal to its limits."""

    cpu: int
    memory_gib: int


@cache
def _machines() -> dict[tuple[str, str], tuple[float, float]]:
    return {(o.provider, o.instance_type): (o.vcpus, o.memory_gib) for o in load_catalog()}


OWNED_POD_SIZE = {
    "edge": lambda devices: PodSize(cpu=4, memory_gib=8),
    "onprem": lambda devices: PodSize(cpu=8 * devices, memory_gib=64 * devices),
}
"""Requests for pods on capacity the catalog does not describe: an edge module's share (Jetson
modules have 6-12 cores and 8-64 GB), and a typical GPU server's cores and memory per GPU."""


def pod_size(alloc: Allocation, devices: int) -> PodSize | None:
    """The pod's share of its instance's CPU and memory, by devices; None if unknown."""
    machine = _machines().get((alloc.provider, alloc.instance_type))
    if machine is None or not all(machine):
        return OWNED_POD_SIZE.get(alloc.provider, lambda n: None)(devices)
    share = devices / alloc.accelerators_per_instance * ALLOCATABLE
    return PodSize(
        cpu=max(1, math.floor(machine[0] * share)),
        memory_gib=max(1, math.floor(machine[1] * share)),
    )
