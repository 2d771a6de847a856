"""GCP: Compute Engine and Vertex AI, the accelerators Vertex runs, and Vertex AI's ids."""

from __future__ import annotations

import re

from planner.clouds.names import dns_label, letter_first
from planner.clouds.service import Cloud, ReferencePattern, Service

GCE = Service("gce", "gcp", "vm")
VERTEX = Service(
    "vertex",
    "gcp",
    "vertex",
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
)
"""Vertex AI's accelerator types (MachineSpec.acceleratorType) for the accelerators it serves."""
TPU_TOPOLOGY = {1: "1x1", 4: "2x2", 8: "2x4"}
"""TPU v5e slice topology by chips per machine."""
CLOUD = Cloud(
    name="gcp",
    title="GCP",
    services=(GCE, VERTEX),
    references=(
        ReferencePattern(re.compile(r"^((?P<region>us|eu|asia)\.)?gcr\.io/"), default_region="us"),
        ReferencePattern(re.compile(r"^(?P<region>[a-z0-9-]+)-docker\.pkg\.dev/")),
        ReferencePattern(re.compile(r"^projects/[^/]+/locations/(?P<region>[a-z0-9-]+)/keyRings/")),
    ),
)


def endpoint_id(workload: str) -> str:
    """A Vertex AI endpoint's id: the workload's name, starting with a letter."""
    return letter_first(dns_label(workload), "ep")


def model_id(plan_id: str, workload: str, variant: int) -> str:
    """The uploaded model of one deployed model of a plan."""
    return letter_first(dns_label(workload, plan_id, f"v{variant}"), "m")
