"""SageMaker: the API request bodies and a CloudFormation template for each endpoint group.

One endpoint per workload and region (named after the workload), one production variant per
allocation in it. Endpoint configs and models are immutable in SageMaker, so their names carry
the plan id; the endpoint's name does not, so a new plan updates it in place.
"""

from __future__ import annotations

from typing import Any

from planner.emit.common import (
    Placed,
    bounds,
    labels,
    model_argument,
    settings,
    tag_list,
    target_rps,
    traffic_weights,
    weights_source,
)
from planner.emit.groups import Group, coverage, endpoint_groups
from planner.emit.names import dns_label
from planner.emit.resource import Built, Resource
from planner.plan.model import Plan
from planner.spec.deploy import Deploy

TARGET = "sagemaker"
ROLE_PLACEHOLDER = "arn:aws:iam::000000000000:role/SET-deploy.execution_role_arn"
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
AUTOSCALING = "application-autoscaling"
LMI_DTYPE = {"bf16": "bf16", "fp16": "fp16", "fp8": "fp8"}


def endpoint_name(workload: str) -> str:
    """The endpoint's name: the workload's (endpoints are regional, one per region)."""
    return dns_label(workload)


def config_name(plan: Plan, workload: str) -> str:
    return dns_label(workload, plan.plan_id)


def model_name(plan: Plan, workload: str, variant: int) -> str:
    return dns_label(workload, plan.plan_id, f"v{variant}")


def variant_name(variant: int, instance_type: str) -> str:
    return dns_label(f"v{variant}", instance_type.removeprefix("ml."))


def environment(item: Placed, deploy: Deploy) -> dict[str, str]:
    """Settings for AWS's Large Model Inference container running its vLLM backend."""
    a, w = item.allocation, item.workload
    source = weights_source(deploy, w)
    env = {
        "HF_MODEL_ID": "/opt/ml/model" if source.startswith("s3://") else model_argument(source),
        "OPTION_ROLLING_BATCH": "vllm",
        "SERVING_PORT": "8080",
        "TENSOR_PARALLEL_DEGREE": str(a.tp),
    }
    if a.max_batch:
        env["OPTION_MAX_ROLLING_BATCH_SIZE"] = str(a.max_batch)
    if a.max_context:
        env["OPTION_MAX_MODEL_LEN"] = str(a.max_context)
    if w.weights_dtype in LMI_DTYPE:
        env["OPTION_DTYPE"] = LMI_DTYPE[w.weights_dtype]
    return env


def _variants(plan: Plan, group: Group, deploy: Deploy) -> list[dict[str, Any]]:
    weights = traffic_weights([m.allocation for m in group.members])
    variants = []
    for k, (item, weight) in enumerate(zip(group.members, weights, strict=True)):
        a = item.allocation
        b = bounds(plan, a, item.workload)
        source = weights_source(deploy, item.workload)
        name = variant_name(k, a.instance_type)
        variants.append(
            {
                "k": k,
                "variant": name,
                "model": model_name(plan, group.workload, k),
                "image": deploy.sagemaker_image.format(region=group.region),
                "environment": environment(item, deploy),
                "s3_source": source if source.startswith("s3://") else None,
                "instance_type": a.instance_type,
                "count": a.count,
                "weight": weight,
                "min": b.min_instances,
                "max": b.max_instances,
                "resource_id": f"endpoint/{endpoint_name(group.workload)}/variant/{name}",
                "target": round(target_rps(a, deploy) * a.replicas_per_instance * 60, 2),
                "policy": dns_label(group.workload, name, "invocations"),
            }
        )
    return variants


def group_context(plan: Plan, group: Group, deploy: Deploy) -> dict[str, Any]:
    """Everything the SageMaker templates need for one endpoint group."""
    return {
        "plan_id": plan.plan_id,
        "workload": group.workload,
        "region": group.region,
        "role": deploy.execution_role_arn or ROLE_PLACEHOLDER,
        "role_default": deploy.execution_role_arn,
        "endpoint": endpoint_name(group.workload),
        "config": config_name(plan, group.workload),
        "startup_timeout": deploy.startup_timeout_s,
        "download_timeout": deploy.download_timeout_s,
        "dimension": SCALABLE_DIMENSION,
        "tags": tag_list(labels(plan, deploy, group.workload)),
        "tag_map": labels(plan, deploy, group.workload),
        "variants": _variants(plan, group, deploy),
    }


def _resources(group: Group, ctx: dict[str, Any]) -> list[Resource]:
    """The group's files in the order a launcher makes the calls."""

    def make(kind: str, template: str, operation: str, service: str, context) -> Resource:
        meta = {"region": group.region, "operation": operation, "service": service}
        return Resource(
            TARGET, group.workload, group.index, kind, f"sagemaker/{template}", context, meta
        )

    per_variant = [{**ctx, "v": v} for v in ctx["variants"]]
    out = [
        make(f"model-v{c['v']['k']}", "model.json.j2", "CreateModel", "sagemaker", c)
        for c in per_variant
    ]
    out.append(
        make("endpoint-config", "endpoint-config.json.j2", "CreateEndpointConfig", "sagemaker", ctx)
    )
    out.append(make("endpoint", "endpoint.json.j2", "CreateEndpoint", "sagemaker", ctx))
    for c in per_variant:
        k = c["v"]["k"]
        out.append(
            make(
                f"scalable-target-v{k}",
                "scalable-target.json.j2",
                "RegisterScalableTarget",
                AUTOSCALING,
                c,
            )
        )
        out.append(
            make(
                f"scaling-policy-v{k}", "scaling-policy.json.j2", "PutScalingPolicy", AUTOSCALING, c
            )
        )
    out.append(make("cloudformation", "cloudformation.yaml.j2", "", "cloudformation", ctx))
    return out


def build(plan: Plan) -> Built:
    """SageMaker resources for every serving allocation on SageMaker in the plan."""
    deploy = settings(plan)
    resources = []
    for group in endpoint_groups(plan, "sagemaker"):
        resources += _resources(group, group_context(plan, group, deploy))
    notes, covered = coverage(plan, TARGET, frozenset({"sagemaker"}), frozenset({"serving"}))
    return Built(tuple(resources), notes, covered)
