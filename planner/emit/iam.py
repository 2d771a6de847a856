"""IAM and KMS policy documents for a SageMaker endpoint stack, least privilege, as data.

The execution role may pull the serving image, read the weights' S3 prefix, use the endpoint's
KMS key, attach to the VPC and write the endpoint's logs and metrics; nothing else.
CloudFormation intrinsics (`Fn::Sub`) fill in the partition, account and region at deploy time.
"""

from __future__ import annotations

import re
from typing import Any

VERSION = "2012-10-17"
_KMS_ALIAS = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):kms:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<alias>alias/.+)$"
)
_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
    r"(?P<repo>[^:@]+)"
)


def sub(text: str) -> dict[str, str]:
    """A CloudFormation Fn::Sub."""
    return {"Fn::Sub": text}


def ecr_repository(image: str) -> str | None:
    """The ECR repository ARN (as an Fn::Sub string) of an image, or None outside ECR."""
    match = _ECR_IMAGE.match(image)
    if match is None:
        return None
    return (
        f"arn:${{AWS::Partition}}:ecr:{match['region']}:{match['account']}:"
        f"repository/{match['repo']}"
    )


def s3_prefix(uri: str) -> tuple[str, str]:
    """Bucket and key prefix (without trailing '/') of an s3:// URI."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix.rstrip("/")


def trust_policy() -> dict[str, Any]:
    """Only SageMaker, acting for this account, may assume the role."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": sub("${AWS::AccountId}")}},
            }
        ],
    }


def _ecr(images: list[str]) -> list[dict[str, Any]]:
    repos = sorted({r for r in map(ecr_repository, images) if r})
    if not repos:
        return []
    return [
        {
            "Sid": "PullServingImage",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            "Resource": [sub(r) for r in repos],
        },
        {
            "Sid": "EcrLogin",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*",
        },
    ]


def _s3(uris: list[str]) -> list[dict[str, Any]]:
    prefixes = sorted({s3_prefix(u) for u in uris})
    if not prefixes:
        return []
    s3 = "arn:${AWS::Partition}:s3:::"
    objects = [sub(f"{s3}{b}/{p}/*" if p else f"{s3}{b}/*") for b, p in prefixes]
    out = [{"Sid": "ReadWeights", "Effect": "Allow", "Action": "s3:GetObject", "Resource": objects}]
    for i, bucket in enumerate(sorted({b for b, _ in prefixes})):
        mine = sorted(f"{p}/*" if p else "*" for b, p in prefixes if b == bucket)
        out.append(
            {
                "Sid": f"ListWeights{i}",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": sub(f"{s3}{bucket}"),
                "Condition": {"StringLike": {"s3:prefix": mine}},
            }
        )
    return out


def _logs_and_metrics(endpoint: str) -> list[dict[str, Any]]:
    account = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}"
    group = f"{account}:log-group:/aws/sagemaker/Endpoints/{endpoint}"
    return [
        {
            "Sid": "EndpointLogs",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ],
            "Resource": [sub(group), sub(f"{group}:log-stream:*")],
        },
        {
            "Sid": "EndpointMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*"]}},
        },
    ]


def key_scope(key: Any) -> tuple[Any, dict[str, Any]]:
    """IAM Resource and Condition for a KMS key: an alias ARN does not name the key in IAM, so
    it becomes any key of that account and region that carries the alias."""
    if isinstance(key, str) and (match := _KMS_ALIAS.match(key)):
        keys = f"arn:{match['partition']}:kms:{match['region']}:{match['account']}:key/*"
        return keys, {"ForAnyValue:StringEquals": {"kms:ResourceAliases": match["alias"]}}
    return key, {}


def _kms(key: Any) -> list[dict[str, Any]]:
    if key is None:
        return []
    resource, condition = key_scope(key)
    use: dict[str, Any] = {
        "Sid": "UseEndpointKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
        "Resource": resource,
    }
    grant: dict[str, Any] = {
        "Sid": "GrantKeyToSageMaker",
        "Effect": "Allow",
        "Action": "kms:CreateGrant",
        "Resource": resource,
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    }
    if condition:
        use["Condition"] = condition
        grant["Condition"] = {**grant["Condition"], **condition}
    return [use, grant]


def _vpc(subnets: tuple[str, ...], groups: tuple[str, ...]) -> list[dict[str, Any]]:
    if not subnets:
        return []
    arn = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}"
    return [
        {
            "Sid": "DescribeNetwork",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            "Resource": "*",
        },
        {
            "Sid": "AttachToVpc",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ],
            "Resource": [sub(f"{arn}:network-interface/*")]
            + [sub(f"{arn}:subnet/{s}") for s in subnets]
            + [sub(f"{arn}:security-group/{g}") for g in groups],
        },
    ]


def execution_policy(
    endpoint: str,
    images: list[str],
    s3_uris: list[str],
    key: Any,
    subnets: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
) -> dict[str, Any]:
    """What the endpoint's execution role may do, and nothing more."""
    statements = _ecr(images) + _s3(s3_uris) + _kms(key) + _vpc(subnets, groups)
    return {"Version": VERSION, "Statement": statements + _logs_and_metrics(endpoint)}


def key_policy() -> dict[str, Any]:
    """The account administers the key; use is granted through IAM (the role's policy)."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "AccountAdministersKey",
                "Effect": "Allow",
                "Principal": {"AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
