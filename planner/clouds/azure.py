"""Azure: virtual machines (Kubernetes and Ray run on them), its regions, AKS node labels, the Ray
launcher's Azure provider, FOCUS names, and known errors in SkyPilot's Azure rows."""

from __future__ import annotations

import re

from planner.clouds.names import dns_label
from planner.clouds.service import (
    Cloud,
    CommitmentProduct,
    Json,
    Kubernetes,
    RayLauncher,
    RayNode,
    Region,
    Service,
    SkyPilot,
    SpotRiskSource,
)

VM = Service("azure-vm", "azure", "vm", title="Virtual Machines")
REGIONS = (
    Region("eastus", "US", "East US"),
    Region("eastus2", "US", "East US 2"),
    Region("centralus", "US", "Central US"),
    Region("northcentralus", "US", "North Central US"),
    Region("southcentralus", "US", "South Central US"),
    Region("westus", "US", "West US"),
    Region("westus2", "US", "West US 2"),
    Region("westus3", "US", "West US 3"),
    Region("canadacentral", "CA", "Canada Central"),
    Region("westeurope", "NL", "West Europe"),
    Region("northeurope", "IE", "North Europe"),
    Region("uksouth", "GB", "UK South"),
    Region("francecentral", "FR", "France Central"),
    Region("germanywestcentral", "DE", "Germany West Central"),
    Region("swedencentral", "SE", "Sweden Central"),
    Region("japaneast", "JP", "Japan East"),
    Region("australiaeast", "AU", "Australia East"),
)
"""Region ids, countries and titles as in Azure's region list (West Europe is the Netherlands,
North Europe Ireland)."""
HEAD_MACHINE = "Standard_D8s_v5"
SPOT_LABEL = "kubernetes.azure.com/scalesetpriority"
_FAMILY = re.compile(r"^(?:Standard_)?([A-Z]+)\d+(.*)$")


def family(instance_type: str) -> str:
    """`Standard_NC24ads_A100_v4` -> `NCads_A100_v4`."""
    found = _FAMILY.match(instance_type)
    if instance_type.startswith("Standard_") and found:
        return found.group(1) + found.group(2)
    return instance_type


def _ray_worker(node: RayNode) -> Json:
    params: Json = {"vmSize": node.instance_type}
    if node.spot:
        params |= {
            "priority": "Spot",
            "evictionPolicy": "Delete",
            "billingProfile": {"maxPrice": -1},
        }
    return {"azure_arm_parameters": params}


COMMITMENTS = (
    CommitmentProduct(
        "azure-reservation",
        "Azure Reserved VM Instances",
        ("azure-vm",),
        "instances",
        ("region", "instance_type", "count"),
    ),
    CommitmentProduct("azure-savings-plan", "Azure savings plan for compute", ("azure-vm",), "usd"),
)
"""Reservations (https://azure.microsoft.com/pricing/reserved-vm-instances/) and savings plans
(https://azure.microsoft.com/pricing/offers/savings-plan-compute/)."""

SPOT_RISK = SpotRiskSource(
    "azure-eviction-rates",
    "Azure Spot eviction rates (Azure Resource Graph SpotResources table)",
    "https://learn.microsoft.com/azure/virtual-machines/spot-vms",
    per_type=True,
)


CLOUD = Cloud(
    name="azure",
    title="Azure",
    services=(VM,),
    regions=REGIONS,
    focus_name="Microsoft",
    kubernetes=Kubernetes(
        service="AKS", capacity_label=SPOT_LABEL, spot_value="spot", spot_taint=True
    ),
    ray=RayLauncher(
        head_machine=HEAD_MACHINE,
        provider=lambda region, zone, name, project: {
            "type": "azure",
            "location": region,
            "resource_group": dns_label(name, "rg"),
        },
        head=lambda machine: {"azure_arm_parameters": {"vmSize": machine}},
        worker=_ray_worker,
    ),
    family=family,
    skypilot=SkyPilot(
        name="azure",
        header=lambda columns: "Generation" in columns,
        corrections={
            # SkyPilot's Azure file lists 12 accelerators for this 8 x H100 SXM size.
            "Standard_ND96isr_H100_v5": ("H100", 8),
            # The NC H100 v5 sizes carry the 94 GB H100 NVL, not the 80 GB SXM part.
            "Standard_NC40ads_H100_v5": ("H100-NVL", 1),
            "Standard_NC80adis_H100_v5": ("H100-NVL", 2),
        },
    ),
    commitments=COMMITMENTS,
    spot_risk=SPOT_RISK,
)
