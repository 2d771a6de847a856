"""RunPod: GPU pods by the hour (secure cloud), no managed Kubernetes, no managed endpoint the
planner deploys to. In SkyPilot's RunPod catalog the Region column is the country code of the
data centre (the zone, e.g. US-TX-3), and GpuInfo's SizeInMiB field holds gigabytes."""

from __future__ import annotations

from planner.clouds.service import Cloud, Service, SkyPilot

VM = Service("runpod-vm", "runpod", "vm", title="RunPod Pods")


def country(region: str) -> str | None:
    """RunPod's regions are ISO country codes (`US`, `RO`, `JP`)."""
    return region.upper() if len(region) == 2 and region.isalpha() else None


CLOUD = Cloud(
    name="runpod",
    title="RunPod",
    services=(VM,),
    focus_name="RunPod",
    skypilot=SkyPilot(name="runpod", gpu_info_memory=False),
    country_of=country,
)
