"""CoreWeave: GPU nodes in CoreWeave Kubernetes Service (CKS); no managed endpoint, no spot.
SkyPilot reaches CoreWeave through Kubernetes and publishes no vms.csv for it, so its prices
come from a catalog of one's own (`--catalog FILE` in the planner's format).
Regions: the General Access regions on CoreWeave's regions page (docs.coreweave.com, read
2026-12-07), with the country of each location."""

from __future__ import annotations

from planner.clouds.service import Cloud, Kubernetes, Region, Service, SkyPilot

VM = Service("coreweave-vm", "coreweave", "vm", title="CoreWeave Kubernetes Service")
REGIONS = (
    Region("US-EAST-01", "US", "New York, USA"),
    Region("US-EAST-02", "US", "New Jersey, USA"),
    Region("US-EAST-04", "US", "Virginia, USA"),
    Region("US-EAST-06", "US", "Ohio, USA"),
    Region("US-EAST-08", "US", "Ohio, USA"),
    Region("US-EAST-13", "US", "Michigan, USA"),
    Region("US-EAST-14", "US", "New Jersey, USA"),
    Region("RNO2", "US", "Nevada, USA"),
    Region("US-WEST-01", "US", "Nevada, USA"),
    Region("US-WEST-04", "US", "Arizona, USA"),
    Region("US-WEST-09", "US", "Washington, USA"),
    Region("EU-SOUTH-03", "ES", "Barcelona, Spain"),
    Region("EU-SOUTH-04", "ES", "Alava, Spain"),
)

CLOUD = Cloud(
    name="coreweave",
    title="CoreWeave",
    services=(VM,),
    regions=REGIONS,
    focus_name="CoreWeave",
    kubernetes=Kubernetes(service="CKS"),
    skypilot=SkyPilot(name="coreweave"),
    has_spot=False,
)
