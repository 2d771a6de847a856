"""Nebius AI Cloud: GPU VMs (preemptible ones too) and Managed Service for Kubernetes (mk8s);
no managed endpoint. Ray's cluster launcher has no Nebius provider (Ray runs on its Kubernetes).
Regions and countries as Nebius's regions page lists them."""

from __future__ import annotations

from planner.clouds.service import Cloud, Kubernetes, Region, Service, SkyPilot

VM = Service("nebius-vm", "nebius", "vm", title="Nebius Compute")
REGIONS = (
    Region("eu-north1", "FI", "Finland"),
    Region("eu-north2", "IS", "Iceland"),
    Region("eu-west1", "FR", "Paris, France"),
    Region("uk-south1", "GB", "United Kingdom"),
    Region("us-central1", "US", "Kansas City, USA"),
    Region("me-west1", "IL", "Israel"),
)

CLOUD = Cloud(
    name="nebius",
    title="Nebius",
    services=(VM,),
    regions=REGIONS,
    focus_name="Nebius",
    kubernetes=Kubernetes(service="Nebius Managed Service for Kubernetes"),
    skypilot=SkyPilot(name="nebius"),
)
