"""How FinOps data names the clouds, their services and regions (FOCUS display values).

Each cloud's Cloud object (planner/clouds/<cloud>.py) holds its names; this module asks it.
"""

from __future__ import annotations

from planner.clouds import CLOUDS, SERVICES


def provider_name(provider: str) -> str:
    """`aws` -> `AWS`, `gcp` -> `Google Cloud` (as the clouds' own FOCUS exports write
    ProviderName/PublisherName/InvoiceIssuerName); unknown codes unchanged."""
    found = CLOUDS.get(provider)
    return found.billing_name if found else provider


def service_name(service: str) -> str:
    """`sagemaker` -> `Amazon SageMaker`; unknown codes unchanged."""
    found = SERVICES.get(service)
    return found.title if found and found.title else service


def region_name(provider: str, region: str) -> str:
    """`aws`, `us-east-1` -> `US East (N. Virginia)`; unknown codes unchanged."""
    found = CLOUDS.get(provider)
    known = found.region(region) if found else None
    return known.title if known and known.title else region


def is_managed_ml(service: str) -> bool:
    """Whether `service` is a managed ML service (an endpoint or job, not a machine)."""
    found = SERVICES.get(service)
    return found is not None and found.is_managed


def resource_type(service: str, kind: str) -> str:
    """What the allocation becomes in the cloud: a VM, an endpoint or a job."""
    if not is_managed_ml(service):
        return "Virtual Machine"
    product = SERVICES[service].product or service
    return {
        "serving": f"{product} Endpoint",
        "batch": f"{product} Batch Job",
        "training": f"{product} Training Job",
    }[kind]
