"""AWS: EC2 and SageMaker, and how SageMaker endpoints and AWS resource names are formed."""

from __future__ import annotations

import re

from planner.clouds.names import dns_label
from planner.clouds.service import Cloud, ReferencePattern, Service

EC2 = Service("ec2", "aws", "vm")
SAGEMAKER = Service("sagemaker", "aws", "sagemaker")
CLOUD = Cloud(
    name="aws",
    title="AWS",
    services=(EC2, SAGEMAKER),
    references=(
        ReferencePattern(
            re.compile(r"^\d{12}\.dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/")
        ),
        ReferencePattern(
            re.compile(r"^arn:aws[a-z-]*:(kms|s3|s3-object-lambda):(?P<region>[a-z0-9-]+):")
        ),
        ReferencePattern(
            re.compile(r"^https://[^/]+\.s3[.-](?P<region>[a-z]{2}(-[a-z]+)+-\d)\.amazonaws\.com")
        ),
    ),
)


def endpoint_name(workload: str) -> str:
    """A SageMaker endpoint's name: the workload's (endpoints are regional, one per region)."""
    return dns_label(workload)


def endpoint_config_name(plan_id: str, workload: str) -> str:
    """The endpoint configuration of one plan's endpoint (a new plan, a new configuration)."""
    return dns_label(workload, plan_id)


def model_name(plan_id: str, workload: str, variant: int) -> str:
    """The SageMaker model behind one production variant."""
    return dns_label(workload, plan_id, f"v{variant}")


def variant_name(variant: int, instance_type: str) -> str:
    """A production variant's name: its number and instance type (without the `ml.` prefix)."""
    return dns_label(f"v{variant}", instance_type.removeprefix("ml."))
