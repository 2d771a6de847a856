"""AWS: EC2 and SageMaker, its regions, EKS/Karpenter node labels, the Ray launcher's AWS provider,
FOCUS names, and how SageMaker endpoints and AWS resource names are formed."""

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
    ReferencePattern,
    Region,
    Service,
    SkyPilot,
    SpotRiskSource,
)

EC2 = Service("ec2", "aws", "vm", title="Amazon Elastic Compute Cloud")
SAGEMAKER = Service(
    "sagemaker",
    "aws",
    "sagemaker",
    title="Amazon SageMaker",
    product="SageMaker",
    kms_key=lambda security: security.aws.kms_key_arn,
)
REGIONS = (
    Region("us-east-1", "US", "US East (N. Virginia)"),
    Region("us-east-2", "US", "US East (Ohio)"),
    Region("us-west-1", "US", "US West (N. California)"),
    Region("us-west-2", "US", "US West (Oregon)"),
    Region("ca-central-1", "CA", "Canada (Central)"),
    Region("eu-west-1", "IE", "Europe (Ireland)"),
    Region("eu-west-2", "GB", "Europe (London)"),
    Region("eu-west-3", "FR", "Europe (Paris)"),
    Region("eu-central-1", "DE", "Europe (Frankfurt)"),
    Region("eu-north-1", "SE", "Europe (Stockholm)"),
    Region("ap-northeast-1", "JP", "Asia Pacific (Tokyo)"),
    Region("ap-northeast-2", "KR", "Asia Pacific (Seoul)"),
    Region("ap-southeast-1", "SG", "Asia Pacific (Singapore)"),
    Region("ap-southeast-2", "AU", "Asia Pacific (Sydney)"),
    Region("ap-south-1", "IN", "Asia Pacific (Mumbai)"),
    Region("sa-east-1", "BR", "South America (Sao Paulo)"),
)
"""Region ids, countries and titles as on AWS's Regions and Availability Zones page."""

HEAD_MACHINE = "m6i.2xlarge"

COMMITMENTS = (
    CommitmentProduct("aws-compute-savings-plan", "Compute Savings Plan", ("ec2",), "usd"),
    CommitmentProduct(
        "aws-ec2-instance-savings-plan",
        "EC2 Instance Savings Plan",
        ("ec2",),
        "usd",
        ("region", "family"),
    ),
    CommitmentProduct(
        "aws-sagemaker-savings-plan", "SageMaker Savings Plan", ("sagemaker",), "usd"
    ),
    CommitmentProduct(
        "aws-reserved-instances",
        "EC2 Reserved Instances",
        ("ec2",),
        "instances",
        ("region", "instance_type", "count"),
    ),
)
"""Savings Plans (https://aws.amazon.com/savingsplans/) and Standard Reserved Instances."""

SPOT_RISK = SpotRiskSource(
    "aws-spot-advisor",
    "Spot Instance Advisor",
    "https://aws.amazon.com/ec2/spot/instance-advisor/",
    per_type=True,
)


def family(instance_type: str) -> str:
    """`p5.4xlarge`, `ml.p5.4xlarge` -> `p5`."""
    return instance_type.removeprefix("ml.").split(".", 1)[0]


def _ray_worker(node: RayNode) -> Json:
    config: Json = {"InstanceType": node.instance_type}
    if node.spot:
        config["InstanceMarketOptions"] = {"MarketType": "spot"}
    return config


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
    regions=REGIONS,
    focus_name="AWS",
    kubernetes=Kubernetes(
        service="EKS",
        capacity_label="karpenter.sh/capacity-type",
        spot_value="spot",
        on_demand_value="on-demand",
        karpenter=True,
    ),
    ray=RayLauncher(
        head_machine=HEAD_MACHINE,
        provider=lambda region, zone, name, project: {
            "type": "aws",
            "region": region,
            "cache_stopped_nodes": False,
        },
        head=lambda machine: {"InstanceType": machine},
        worker=_ray_worker,
    ),
    family=family,
    skypilot=SkyPilot(name="aws", header=lambda columns: "Arch" in columns),
    commitments=COMMITMENTS,
    spot_risk=SPOT_RISK,
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
