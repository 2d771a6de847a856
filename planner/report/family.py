"""Instance-type families by each cloud's own rule (its Cloud object), for moved allocations."""

from __future__ import annotations

from planner.clouds import CLOUDS


def instance_family(provider: str, instance_type: str) -> str:
    """`aws`, `p5.4xlarge` -> `p5`; `gcp`, `a2-highgpu-1g` -> `a2-highgpu`;
    `azure`, `Standard_NC24ads_A100_v4` -> `NCads_A100_v4`; own capacity: the name unchanged."""
    found = CLOUDS.get(provider)
    return found.family(instance_type) if found else instance_type
