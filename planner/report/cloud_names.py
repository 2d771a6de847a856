"""How FinOps data names the clouds, their services and regions (FOCUS display values)."""

from __future__ import annotations

PROVIDER_NAMES = {"aws": "AWS", "gcp": "Google Cloud", "azure": "Microsoft"}
"""As the clouds' own FOCUS exports write ProviderName/PublisherName/InvoiceIssuerName."""

SERVICE_NAMES = {
    "ec2": "Amazon Elastic Compute Cloud",
    "sagemaker": "Amazon SageMaker",
    "gce": "Compute Engine",
    "vertex": "Vertex AI",
    "azure-vm": "Virtual Machines",
}
MANAGED_ML_SERVICES = {"sagemaker", "vertex"}

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-north-1": "Europe (Stockholm)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "us-central1": "Iowa",
    "us-east1": "South Carolina",
    "us-east4": "Northern Virginia",
    "us-east5": "Columbus",
    "us-west1": "Oregon",
    "us-west4": "Las Vegas",
    "europe-west1": "Belgium",
    "europe-west4": "Netherlands",
    "asia-northeast1": "Tokyo",
    "asia-southeast1": "Singapore",
    "eastus": "East US",
    "eastus2": "East US 2",
    "westus2": "West US 2",
    "westus3": "West US 3",
    "southcentralus": "South Central US",
    "westeurope": "West Europe",
    "northeurope": "North Europe",
    "swedencentral": "Sweden Central",
    "japaneast": "Japan East",
}


def provider_name(provider: str) -> str:
    """`aws` -> `AWS`; unknown codes unchanged."""
    return PROVIDER_NAMES.get(provider, provider)


def service_name(service: str) -> str:
    """`sagemaker` -> `Amazon SageMaker`; unknown codes unchanged."""
    return SERVICE_NAMES.get(service, service)


def region_name(region: str) -> str:
    """`us-east-1` -> `US East (N. Virginia)`; unknown codes unchanged."""
    return REGION_NAMES.get(region, region)


def resource_type(service: str, kind: str) -> str:
    """What the allocation becomes in the cloud: a VM, an endpoint or a job."""
    if service not in MANAGED_ML_SERVICES:
        return "Virtual Machine"
    product = "SageMaker" if service == "sagemaker" else "Vertex AI"
    return {
        "serving": f"{product} Endpoint",
        "batch": f"{product} Batch Job",
        "training": f"{product} Training Job",
    }[kind]
