"""GCP: Compute Engine and Vertex AI, its regions, GKE node labels, the Ray launcher's GCP provider,
how SkyPilot's GCP file prices VMs, the accelerators Vertex runs, and Vertex AI's ids."""

from __future__ import annotations

import re
from collections.abc import Mapping

from planner.clouds.names import dns_label, letter_first
from planner.clouds.service import (
    BuiltIn,
    Cloud,
    CommitmentProduct,
    Json,
    Kubernetes,
    RayLauncher,
    RayNode,
    ReferencePattern,
    Region,
    Service,
    SkyPilot,
    SpotRiskSource,
)

GCE = Service("gce", "gcp", "vm", title="Compute Engine")
VERTEX = Service(
    "vertex",
    "gcp",
    "vertex",
    kms_key=lambda security: security.gcp.kms_key_name,
    accelerators={
        "T4": "NVIDIA_TESLA_T4",
        "V100": "NVIDIA_TESLA_V100",
        "A100": "NVIDIA_TESLA_A100",
        "A100-80GB": "NVIDIA_A100_80GB",
        "L4": "NVIDIA_L4",
        "H100": "NVIDIA_H100_80GB",
        "H200": "NVIDIA_H200_141GB",
        "TPU-v5e": "TPU_V5_LITEPOD",
    },
    title="Vertex AI",
    product="Vertex AI",
)
"""Vertex AI's accelerator types (MachineSpec.acceleratorType) for the accelerators it serves."""
TPU_TOPOLOGY = {1: "1x1", 4: "2x2", 8: "2x4"}
"""TPU v5e slice topology by chips per machine."""
GKE_ACCELERATOR = {
    "T4": "nvidia-tesla-t4",
    "V100": "nvidia-tesla-v100",
    "A100": "nvidia-tesla-a100",
    "A100-80GB": "nvidia-a100-80gb",
    "L4": "nvidia-l4",
    "H100": "nvidia-h100-80gb",
    "H200": "nvidia-h200-141gb",
    "B200": "nvidia-b200",
    "GB200": "nvidia-gb200",
}
"""GKE's cloud.google.com/gke-accelerator values (also Compute Engine's accelerator types)."""
GKE_TPU = {
    "TPU-v5e": ("tpu-v5-lite-podslice", TPU_TOPOLOGY),
    "TPU-v5p": ("tpu-v5p-slice", {4: "2x2x1", 8: "2x2x2"}),
    "TPU-v6e": ("tpu-v6e-slice", TPU_TOPOLOGY),
}
"""GKE's cloud.google.com/gke-tpu-accelerator value per TPU and its single-host topologies by
chips per machine (v5e and v6e 2D, v5p a 3D torus; GKE documentation, "Plan TPUs in GKE")."""
TPU_SLICES = {
    "TPU-v5e": {16: (4, "4x4"), 32: (8, "4x8")},
    "TPU-v6e": {16: (4, "4x4"), 32: (8, "4x8")},
    "TPU-v5p": {8: (2, "2x2x2"), 16: (4, "2x2x4"), 32: (8, "2x4x4")},
}
"""Multi-host TPU slices by chips: (hosts, topology), each host a 4-chip machine
(ct5lp-hightpu-4t, ct6e-standard-4t, ct5p-hightpu-4t) whose chips join the slice's ICI torus;
up to 8 hosts (planner.perf.multinode.MAX_NODES). Sources, checked 2026-12-07: GKE "Plan TPUs
in GKE" (topology, chips and VMs per multi-host node pool: v5e and v6e 4x4 = 16 chips on 4
VMs, 4x8 = 32 on 8; v5p 2x2x2 = 8 chips on 2 VMs, 2x2x4 = 16 on 4, 2x4x4 = 32 on 8) and Cloud
TPU "TPU v5e", "TPU v5p", "TPU v6e" (4 chips per host in multi-host slices). Priced as hosts x
the host machine's price: Cloud TPU prices are per chip-hour, whatever the slice."""


def tpu_topology(accelerator: str, chips: int) -> str:
    """The GKE/Vertex topology of `chips` chips of a TPU: one host's, or a multi-host slice's."""
    if chips in TPU_SLICES.get(accelerator, {}):
        return TPU_SLICES[accelerator][chips][1]
    topologies = GKE_TPU[accelerator][1] if accelerator in GKE_TPU else TPU_TOPOLOGY
    return topologies.get(chips, "1x1")


def gke_slices(accelerator: str, per_instance: int) -> tuple[tuple[int, int], ...]:
    """(chips, hosts) of the multi-host TPU slices GKE runs on hosts of `per_instance` chips."""
    shapes = TPU_SLICES.get(accelerator, {})
    return tuple(
        (chips, hosts)
        for chips, (hosts, _) in sorted(shapes.items())
        if chips == hosts * per_instance
    )


REGIONS = (
    Region("us-central1", "US", "Iowa"),
    Region("us-east1", "US", "South Carolina"),
    Region("us-east4", "US", "Northern Virginia"),
    Region("us-east5", "US", "Columbus"),
    Region("us-south1", "US", "Dallas"),
    Region("us-west1", "US", "Oregon"),
    Region("us-west4", "US", "Las Vegas"),
    Region("europe-west1", "BE", "Belgium"),
    Region("europe-west2", "GB", "London"),
    Region("europe-west3", "DE", "Frankfurt"),
    Region("europe-west4", "NL", "Netherlands"),
    Region("europe-north1", "FI", "Finland"),
    Region("asia-northeast1", "JP", "Tokyo"),
    Region("asia-southeast1", "SG", "Singapore"),
    Region("asia-south1", "IN", "Mumbai"),
    Region("australia-southeast1", "AU", "Sydney"),
)
"""Region ids, countries and titles as on Google Cloud's locations page."""
IMAGE = "projects/deeplearning-platform-release/global/images/family/common-cu124-debian-11-py310"
"""The Ray nodes' boot image (Deep Learning VM, CUDA 12.4)."""
HEAD_MACHINE = "n2-standard-8"


def family(instance_type: str) -> str:
    """`a2-highgpu-1g` -> `a2-highgpu`; `n1-standard-8+T4x1` -> `n1-standard`."""
    name = instance_type.split("+", 1)[0]
    return name.rsplit("-", 1)[0] if name.count("-") >= 2 else name


def gke_labels(accelerator: str, per_instance: int) -> Mapping[str, str]:
    """GKE's accelerator (and TPU topology) node labels."""
    if accelerator in GKE_ACCELERATOR:
        return {"cloud.google.com/gke-accelerator": GKE_ACCELERATOR[accelerator]}
    if accelerator in GKE_TPU:
        return {
            "cloud.google.com/gke-tpu-accelerator": GKE_TPU[accelerator][0],
            "cloud.google.com/gke-tpu-topology": tpu_topology(accelerator, per_instance),
        }
    return {}


def _boot_disk(size_gb: int) -> list[Json]:
    return [
        {
            "boot": True,
            "autoDelete": True,
            "type": "PERSISTENT",
            "initializeParams": {"diskSizeGb": size_gb, "sourceImage": IMAGE},
        }
    ]


def _ray_worker(node: RayNode) -> Json:
    config: Json = {
        "machineType": node.instance_type.split("+", 1)[0],
        "disks": _boot_disk(200),
        "scheduling": [{"onHostMaintenance": "TERMINATE", "preemptible": node.spot}],
    }
    if "+" in node.instance_type and node.accelerator in GKE_ACCELERATOR:
        config["guestAccelerators"] = [
            {
                "acceleratorType": GKE_ACCELERATOR[node.accelerator],
                "acceleratorCount": node.accelerators,
            }
        ]
    return config


def _header(columns) -> bool:
    """GCP's file lists vCPUs before the accelerator columns (host rows and accelerator rows)."""
    names = list(columns)
    return (
        {"vCPUs", "AcceleratorName", "Region", "Price"} <= set(names)
        and names.index("vCPUs") < names.index("AcceleratorName")
        and names.index("Region") < names.index("Price")
    )


COMMITMENTS = (
    CommitmentProduct(
        "gcp-resource-cud",
        "resource-based committed use discount",
        ("gce",),
        "accelerators",
        ("region", "accelerator", "count"),
    ),
    CommitmentProduct("gcp-flexible-cud", "flexible (spend-based) committed use discount",
                      ("gce",), "usd"),
)  # fmt: skip
"""Committed use discounts:
https://cloud.google.com/compute/docs/instances/committed-use-discounts-overview"""

SPOT_RISK = SpotRiskSource(
    "gcp-spot-docs",
    "Compute Engine Spot VMs documentation (no per-region rate is published)",
    "https://cloud.google.com/compute/docs/instances/spot",
    per_type=False,
)


CLOUD = Cloud(
    name="gcp",
    title="GCP",
    services=(GCE, VERTEX),
    references=(
        ReferencePattern(re.compile(r"^((?P<region>us|eu|asia)\.)?gcr\.io/"), default_region="us"),
        ReferencePattern(re.compile(r"^(?P<region>[a-z0-9-]+)-docker\.pkg\.dev/")),
        ReferencePattern(re.compile(r"^projects/[^/]+/locations/(?P<region>[a-z0-9-]+)/keyRings/")),
    ),
    regions=REGIONS,
    focus_name="Google Cloud",
    kubernetes=Kubernetes(
        service="GKE",
        capacity_label="cloud.google.com/gke-spot",
        spot_value="true",
        spot_taint=True,
        accelerator_labels=gke_labels,
        slices=gke_slices,
    ),
    ray=RayLauncher(
        head_machine=HEAD_MACHINE,
        provider=lambda region, zone, name, project: {
            "type": "gcp",
            "region": region,
            "availability_zone": zone or f"{region}-a",
            "project_id": project or "PROJECT_ID",
        },
        head=lambda machine: {"machineType": machine, "disks": _boot_disk(100)},
        worker=_ray_worker,
    ),
    family=family,
    skypilot=SkyPilot(
        name="gcp",
        header=_header,
        accelerators_apart=True,
        built_in=(
            BuiltIn(re.compile(r"^a2-highgpu-(\d+)g$"), "A100"),
            BuiltIn(re.compile(r"^a2-megagpu-(\d+)g$"), "A100"),
            BuiltIn(re.compile(r"^a2-ultragpu-(\d+)g$"), "A100-80GB"),
            BuiltIn(re.compile(r"^a3-highgpu-(\d+)g$"), "H100"),
            BuiltIn(re.compile(r"^a3-edgegpu-(\d+)g$"), "H100"),
            BuiltIn(re.compile(r"^a3-megagpu-(\d+)g$"), "H100-MEGA"),
            BuiltIn(re.compile(r"^a3-ultragpu-(\d+)g$"), "H200"),
            BuiltIn(
                re.compile(r"^g2-standard-(\d+)$"),
                "L4",
                {4: 1, 8: 1, 12: 1, 16: 1, 32: 1, 24: 2, 48: 4, 96: 8},
            ),
        ),
        tpu=re.compile(r"^tpu-v5(?:litepod|e)-(\d+)$", re.IGNORECASE),
    ),
    commitments=COMMITMENTS,
    spot_risk=SPOT_RISK,
)


def endpoint_id(workload: str) -> str:
    """A Vertex AI endpoint's id: the workload's name, starting with a letter."""
    return letter_first(dns_label(workload), "ep")


def model_id(plan_id: str, workload: str, variant: int) -> str:
    """The uploaded model of one deployed model of a plan."""
    return letter_first(dns_label(workload, plan_id, f"v{variant}"), "m")
