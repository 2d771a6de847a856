"""The spec's `deploy.security:` section: keys, networks, identities and audit labels.

Every default is the secure one; a setting is loosened only by writing it down. Credentials never
belong in a spec: `credential_fields` finds values that look like one so the spec can be refused
without echoing them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import Field, model_validator

from planner.safe_text import CREDENTIAL_PATTERNS
from planner.spec.base import Strict
from planner.spec.grammars import CloudKmsKey, K8sLabelKey, K8sLabelValue, KmsKeyArn, RoleArn
from planner.spec.grammars import GcpProject as GcpProjectOrNumber

# Label keys and values as GCP labels allow (the same rules as deploy.labels).
LabelKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,62}$")]
LabelValue = Annotated[str, Field(pattern=r"^[a-z0-9_-]{0,63}$")]
Region = Annotated[str, Field(pattern=r"^[a-z]{2,}(-[a-z]+)*(-?\d+)?$")]
SubnetId = Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]
SecurityGroupId = Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]
GcpProject = GcpProjectOrNumber

SERVICE_ACCOUNT = (
    r"^$|^[a-z][a-z0-9-]{4,29}@[a-z0-9.-]+\.iam\.gserviceaccount\.com$"
    r"|^[0-9]{6,20}-compute@developer\.gserviceaccount\.com$"
)
VPC_NETWORK = r"^$|^projects/[a-z0-9-]+/global/networks/[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"
DNS_LABEL_OR_EMPTY = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)?$"


class AwsVpc(Strict):
    """Subnets and security groups a SageMaker endpoint's containers attach to, in one region."""

    subnets: tuple[SubnetId, ...] = Field(min_length=1, description="Private subnet ids.")
    security_groups: tuple[SecurityGroupId, ...] = Field(
        min_length=1, description="Security group ids (allow only what the endpoint needs)."
    )


class AwsSecurity(Strict):
    """SageMaker: the KMS key, the execution role and the VPC per region."""

    kms_key_arn: KmsKeyArn = Field(
        "",
        description="KMS key (or alias) ARN for endpoint storage and S3 weights; {region} is "
        "filled in (use a multi-Region key or the same alias in each region). Empty: the "
        "CloudFormation stack creates one with rotation on; the API launcher refuses.",
    )
    execution_role_arn: RoleArn = Field(
        "",
        description="IAM role SageMaker assumes. Empty: deploy.execution_role_arn; if that is "
        "empty too, the CloudFormation stack creates a least-privilege role.",
    )
    vpc: dict[Region, AwsVpc] = Field(
        default_factory=dict,
        description="VpcConfig per region; once any region is listed, every SageMaker region "
        "of the plan must be.",
    )


class GcpSecurity(Strict):
    """Vertex AI: the CMEK key, the service account and how the endpoint is reached."""

    kms_key_name: CloudKmsKey = Field(
        "",
        description="Cloud KMS key (CMEK) protecting models and endpoints; {region} is filled "
        "in. Empty: the launcher refuses unless allow_provider_managed_keys.",
    )
    service_account: str = Field(
        "",
        pattern=SERVICE_ACCOUNT,
        description="Dedicated service account the deployed models run as. Empty: "
        "deploy.vertex_service_account.",
    )
    network: str = Field(
        "",
        pattern=VPC_NETWORK,
        description="VPC network (projects/NUMBER/global/networks/NAME) for a private endpoint "
        "reached through VPC peering.",
    )
    private_service_connect: tuple[GcpProject, ...] = Field(
        (),
        description="Projects allowed to reach the endpoint through Private Service Connect; "
        "non-empty makes the endpoint private (exclusive with network).",
    )

    @model_validator(mode="after")
    def _one_private_path(self) -> GcpSecurity:
        if self.network and self.private_service_connect:
            raise ValueError("set either network or private_service_connect, not both")
        return self


class KubernetesSecurity(Strict):
    """Who may send traffic to serving pods (NetworkPolicy)."""

    gateway_namespace: str = Field(
        "",
        pattern=DNS_LABEL_OR_EMPTY,
        description="Namespace of the ingress controller or gateway; empty: the workload's own.",
    )
    gateway_labels: dict[K8sLabelKey, K8sLabelValue] = Field(
        default_factory=lambda: {"app.kubernetes.io/component": "gateway"},
        min_length=1,
        description="Labels of the gateway pods admitted to the serving port.",
    )
    metrics_namespace: str = Field(
        "",
        pattern=DNS_LABEL_OR_EMPTY,
        description="Namespace whose pods may scrape the serving port for metrics (e.g. "
        "monitoring); empty: none besides the gateway.",
    )


class Security(Strict):
    """Encryption, network, identity and audit settings; every default is the secure one."""

    network_isolation: bool | None = Field(
        None,
        description="SageMaker EnableNetworkIsolation. Default (null): on for every model "
        "whose weights come from S3; a model that downloads its weights from the internet "
        "(hf://) cannot run isolated and runs without it, with a note. true: such a model is "
        "refused. false: off everywhere.",
    )
    allow_provider_managed_keys: bool = Field(
        False,
        description="Let storage be encrypted with the cloud's own keys where no customer-"
        "managed key is given (otherwise CloudFormation creates one and launchers refuse).",
    )
    audit_labels: dict[LabelKey, LabelValue] = Field(
        default_factory=dict,
        description="Labels/tags for audit (cost-center, owner, data-classification ...) on "
        "every resource, beside the plan id and workload.",
    )
    bucket_regions: dict[str, Region] = Field(
        default_factory=dict,
        description="Region of each S3/GCS bucket the deployment reads (bucket name: region), "
        "for data-residency checks; a residency-bound workload may not read an unlisted bucket.",
    )
    aws: AwsSecurity = AwsSecurity()
    gcp: GcpSecurity = GcpSecurity()
    kubernetes: KubernetesSecurity = KubernetesSecurity()


SECRET_FLAG = re.compile(r"^--?(api-key|hf-token|token|password|secret|access-token)(=.*)?$", re.I)


def credential_kind(value: str) -> str | None:
    """What kind of credential `value` contains, or None."""
    for kind, pattern in CREDENTIAL_PATTERNS.items():
        if pattern.search(value):
            return kind
    return None


def _leaves(data: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            name = "<a key>" if isinstance(key, str) and credential_kind(key) else key
            yield f"{path}.{name}", key
            yield from _leaves(value, f"{path}.{name}")
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            yield from _leaves(value, f"{path}[{i}]")
    else:
        yield path, data


def credential_fields(data: Any, path: str = "deploy") -> list[str]:
    """Where `data` (raw deploy settings) holds a credential, as 'path (kind)'; never the value.

    Server flags such as `--api-key VALUE` in extra_args count too: a flag's value would be
    written into every emitted manifest and request body.
    """
    found = []
    for where, value in _leaves(data, path):
        if isinstance(value, str) and (kind := credential_kind(value)):
            found.append(f"{where} ({kind})")
    args = data.get("extra_args", ()) if isinstance(data, dict) else ()
    if isinstance(args, list | tuple):
        for i, arg in enumerate(args):
            match = isinstance(arg, str) and SECRET_FLAG.match(arg)
            if match and (match.group(2) or i + 1 < len(args)):
                found.append(f"{path}.extra_args[{i}] (the value of {arg.split('=')[0]})")
    return sorted(set(found))
