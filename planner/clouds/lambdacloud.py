"""Lambda (lambda.ai): on-demand GPU instances, no spot, no managed endpoint.

Its on-demand instances come without a managed Kubernetes service (Kubernetes comes with
1-Click Clusters, which are reserved, not sold by the hour), and Ray's cluster launcher has no
Lambda provider: the kubernetes and ray targets refuse its allocations, naming this.
Regions: the ids of SkyPilot's Lambda catalog (`catalogs/v8/lambda/vms.csv`), countries as
Lambda's region names say (us-* in the United States).
"""

from __future__ import annotations

from planner.clouds.service import Cloud, Region, Service, SkyPilot

VM = Service("lambda-vm", "lambda", "vm", title="Lambda On-Demand Cloud")
REGIONS = (
    Region("us-east-1", "US", "Virginia, USA"),
    Region("us-east-2", "US"),
    Region("us-east-3", "US"),
    Region("us-west-1", "US", "California, USA"),
    Region("us-west-2", "US", "Arizona, USA"),
    Region("us-west-3", "US", "Utah, USA"),
    Region("us-south-1", "US", "Texas, USA"),
    Region("us-south-2", "US"),
    Region("us-south-3", "US"),
    Region("us-midwest-1", "US", "Illinois, USA"),
    Region("us-midwest-2", "US"),
    Region("europe-central-1", "DE", "Germany"),
    Region("asia-south-1", "IN", "India"),
    Region("asia-northeast-1", "JP", "Tokyo, Japan"),
    Region("asia-northeast-2", "KR", "Seoul, South Korea"),
    Region("me-west-1", "IL", "Israel"),
    Region("australia-east-1", "AU", "Sydney, Australia"),
)

CLOUD = Cloud(
    name="lambda",
    title="Lambda",
    services=(VM,),
    regions=REGIONS,
    focus_name="Lambda",
    skypilot=SkyPilot(name="lambda"),
    has_spot=False,
)
