"""Oracle Cloud Infrastructure: GPU bare-metal and VM shapes and OKE (Container Engine for
Kubernetes); no managed LLM endpoint the planner deploys to. Ray's cluster launcher has no OCI
provider (Ray runs on OKE). Region ids and countries as on OCI's regions page."""

from __future__ import annotations

import re

from planner.clouds.service import Cloud, Kubernetes, Region, Service, SkyPilot

VM = Service("oci-vm", "oci", "vm", title="Oracle Cloud Infrastructure Compute")
REGIONS = (
    Region("us-ashburn-1", "US", "US East (Ashburn)"),
    Region("us-phoenix-1", "US", "US West (Phoenix)"),
    Region("us-chicago-1", "US", "US Midwest (Chicago)"),
    Region("us-sanjose-1", "US", "US West (San Jose)"),
    Region("ca-toronto-1", "CA", "Canada Southeast (Toronto)"),
    Region("sa-saopaulo-1", "BR", "Brazil East (Sao Paulo)"),
    Region("uk-london-1", "GB", "UK South (London)"),
    Region("eu-frankfurt-1", "DE", "Germany Central (Frankfurt)"),
    Region("eu-amsterdam-1", "NL", "Netherlands Northwest (Amsterdam)"),
    Region("eu-paris-1", "FR", "France Central (Paris)"),
    Region("eu-madrid-1", "ES", "Spain Central (Madrid)"),
    Region("eu-milan-1", "IT", "Italy Northwest (Milan)"),
    Region("eu-stockholm-1", "SE", "Sweden Central (Stockholm)"),
    Region("eu-zurich-1", "CH", "Switzerland North (Zurich)"),
    Region("me-dubai-1", "AE", "UAE East (Dubai)"),
    Region("me-jeddah-1", "SA", "Saudi Arabia West (Jeddah)"),
    Region("ap-tokyo-1", "JP", "Japan East (Tokyo)"),
    Region("ap-osaka-1", "JP", "Japan Central (Osaka)"),
    Region("ap-seoul-1", "KR", "South Korea Central (Seoul)"),
    Region("ap-singapore-1", "SG", "Singapore (Singapore)"),
    Region("ap-mumbai-1", "IN", "India West (Mumbai)"),
    Region("ap-sydney-1", "AU", "Australia East (Sydney)"),
)
_SHAPE = re.compile(r"^((?:BM|VM)\.GPU[^.]*(?:\.[A-Za-z][^.]*)?)\.\d+$")


def family(instance_type: str) -> str:
    """`BM.GPU.H100.8` -> `BM.GPU.H100`; `VM.GPU.A10.2` -> `VM.GPU.A10`."""
    found = _SHAPE.match(instance_type)
    return found.group(1) if found else instance_type


CLOUD = Cloud(
    name="oci",
    title="OCI",
    services=(VM,),
    regions=REGIONS,
    focus_name="Oracle",
    kubernetes=Kubernetes(service="OKE"),
    family=family,
    skypilot=SkyPilot(name="oci"),
)
