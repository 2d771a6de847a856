"""SageMaker: the API request bodies and a CloudFormation template for each endpoint group.

One endpoint per workload and region (named after the workload), one production variant per
allocation in it. Endpoint configs and models are immutable in SageMaker, so their names carry
the plan id; the endpoint's name does not, so a new plan updates it in place.

Secure by default (deploy.security): storage encrypted with a customer-managed KMS key where the
instance type takes one (the stack creates a key with rotation when none is given; the request
bodies then carry a placeholder the launcher refuses), models network-isolated wherever their
weights do not have to come from the internet, the VPC per region where given, and an execution
role of least privilege created by the stack when the spec names none.
"""

from __future__ import annotations

from typing import Any

from planner.clouds import aws
from planner.clouds.names import dns_label
from planner.emit import iam
from planner.emit.common import (
    bounds,
    kv_cache_value,
    labels,
    model_argument,
    refusal,
    runtime,
    server_of,
    tag_list,
    target_rps,
    tp_ranks,
    traffic_weights,
)
from planner.emit.groups import Group, coverage, endpoint_groups
from planner.emit.resource import Built, Resource
from planner.errors import InputError
from planner.facts.engines import platform_of
from planner.plans.model import Plan
from planner.rules.deployment import Placed, settings, weights_source
from planner.spec.deploy import Deploy

TARGET = "sagemaker"
ROLE_PLACEHOLDER = "arn:aws:iam::000000000000:role/SET-deploy.execution_role_arn"
KMS_PLACEHOLDER = "arn:aws:kms:{region}:000000000000:alias/SET-deploy_security_aws_kms_key_arn"
INSTANCE_STORE_FAMILIES = frozenset(
    {
        "c5d", "c6id", "m5d", "m6id", "r5d", "r6id", "g4dn", "g5", "g6", "g6e", "gr6",
        "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "trn1", "trn1n", "trn2",
    }
)  # fmt: skip
"""Instance families whose storage is local NVMe, encrypted by the instance's hardware module:
SageMaker refuses a KmsKeyId on an endpoint config that holds any of them."""
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
AUTOSCALING = "application-autoscaling"
LMI_DTYPE = {"bf16": "bf16", "fp16": "fp16", "fp8": "fp8"}
LMI_TRTLLM_DTYPE = {"bf16": ("OPTION_DTYPE", "bf16"), "fp16": ("OPTION_DTYPE", "fp16"),
                    "fp8": ("OPTION_QUANTIZE", "fp8")}  # fmt: skip
"""LMI TensorRT-LLM: weights precision as its dtype, FP8 as its quantisation option."""
LMI_NEURONX_ROLLING_BATCH = "auto"
"""LMI NeuronX (transformers-neuronx backend): its continuous batching is OPTION_ROLLING_BATCH
auto, the longest sequence it compiles for OPTION_N_POSITIONS, and TENSOR_PARALLEL_DEGREE counts
NeuronCores (docs.djl.ai, "Transformers-NeuronX Engine in LMI")."""


def environment(item: Placed, deploy: Deploy) -> dict[str, str]:
    """Settings for AWS's Large Model Inference container running the workload's engine as its
    backend (OPTION_ROLLING_BATCH vllm or trtllm)."""
    a, w = item.allocation, item.workload
    source = weights_source(deploy, w)
    platform = platform_of(a.accelerator)
    neuron = platform is not None and platform.name == "neuron"
    env = {
        "HF_MODEL_ID": "/opt/ml/model" if source.startswith("s3://") else model_argument(source),
        "OPTION_ROLLING_BATCH": (
            LMI_NEURONX_ROLLING_BATCH if neuron else runtime(w).sagemaker_rolling_batch
        ),
        "SERVING_PORT": "8080",
        "TENSOR_PARALLEL_DEGREE": str(tp_ranks(a)),
    }
    if a.max_batch:
        env["OPTION_MAX_ROLLING_BATCH_SIZE"] = str(a.max_batch)
    if neuron:
        if a.max_context:
            env["OPTION_N_POSITIONS"] = str(a.max_context)
        if w.weights_dtype in ("bf16", "fp16"):
            env["OPTION_DTYPE"] = LMI_DTYPE[w.weights_dtype]
        return env
    # LMI passes option.<vLLM engine argument> through to vLLM (djl_python VllmRbProperties
    # allows extra fields); max_rolling_batch_prefill_tokens is its name for the token budget
    given = w.engine_settings
    if given.get("max_num_batched_tokens") is not None:
        key = "OPTION_MAX_NUM_TOKENS" if w.engine == "trt-llm" else (
            "OPTION_MAX_ROLLING_BATCH_PREFILL_TOKENS")  # fmt: skip
        env[key] = str(given["max_num_batched_tokens"])
    if kv_cache_value(w, item.allocation.accelerator):
        env["OPTION_KV_CACHE_DTYPE"] = kv_cache_value(w, item.allocation.accelerator)
    if given.get("prefix_caching") is not None:
        env["OPTION_ENABLE_PREFIX_CACHING"] = "true" if given["prefix_caching"] else "false"
    if w.engine == "trt-llm":
        if w.weights_dtype in LMI_TRTLLM_DTYPE:
            key, value = LMI_TRTLLM_DTYPE[w.weights_dtype]
            env[key] = value
        return env
    if a.max_context:
        env["OPTION_MAX_MODEL_LEN"] = str(a.max_context)
    if w.weights_dtype in LMI_DTYPE:
        env["OPTION_DTYPE"] = LMI_DTYPE[w.weights_dtype]
    return env


def lmi_image(deploy: Deploy, item: Placed) -> str:
    """The LMI container for the workload's engine and chip (planner/facts/data/
    serving_images.csv: LMI with vLLM or TensorRT-LLM on NVIDIA GPUs, where the spec's
    sagemaker_image fields apply, and LMI NeuronX on Inferentia2 and Trainium)."""
    return server_of(deploy, item.workload, item.allocation, TARGET).image


def has_instance_store(instance_type: str) -> bool:
    """Whether the instance type's storage is local NVMe (no KmsKeyId allowed)."""
    return instance_type.removeprefix("ml.").split(".")[0] in INSTANCE_STORE_FAMILIES


def isolated(deploy: Deploy, workload: str, source: str) -> bool:
    """Whether the model runs with network isolation: on unless its weights need the internet
    (not in S3) and the spec left the choice open, or the spec turned it off."""
    wanted = deploy.security.network_isolation
    if wanted is False:
        return False
    if source.startswith("s3://"):
        return True
    if wanted:
        raise InputError(
            f"{workload}: deploy.security.network_isolation is true but the weights ({source}) "
            "are downloaded from the internet at start-up, which an isolated SageMaker model "
            "cannot do; stage them in S3 (deploy.weights: s3://...) or set it to false"
        )
    return False


def _variants(plan: Plan, group: Group, deploy: Deploy) -> list[dict[str, Any]]:
    weights = traffic_weights([m.allocation for m in group.members])
    variants = []
    for k, (item, weight) in enumerate(zip(group.members, weights, strict=True)):
        a = item.allocation
        b = bounds(plan, a, item.workload)
        source = weights_source(deploy, item.workload)
        name = aws.variant_name(k, a.instance_type)
        variants.append(
            {
                "k": k,
                "variant": name,
                "model": aws.model_name(plan.plan_id, group.workload, k),
                "image": lmi_image(deploy, item),
                "environment": environment(item, deploy),
                "s3_source": source if source.startswith("s3://") else None,
                "source": source,
                "isolated": isolated(deploy, group.workload, source),
                "instance_type": a.instance_type,
                "count": a.count,
                "weight": weight,
                "min": b.min_instances,
                "max": b.max_instances,
                "resource_id": f"endpoint/{aws.endpoint_name(group.workload)}/variant/{name}",
                "target": round(target_rps(a, deploy) * a.replicas_per_instance * 60, 2),
                "policy": dns_label(group.workload, name, "invocations"),
            }
        )
    return variants


def vpc_config(group: Group, deploy: Deploy) -> dict[str, list[str]] | None:
    """The group's VpcConfig; every region needs one once any region has one."""
    vpcs = deploy.security.aws.vpc
    if not vpcs:
        return None
    if group.region not in vpcs:
        raise InputError(
            f"{group.workload}: deploy.security.aws.vpc has no entry for {group.region}, where "
            f"the plan puts a SageMaker endpoint; add its subnets and security groups"
        )
    vpc = vpcs[group.region]
    return {"SecurityGroupIds": list(vpc.security_groups), "Subnets": list(vpc.subnets)}


def storage_key(group: Group, deploy: Deploy) -> tuple[str, str | None]:
    """How the endpoint's storage volume is encrypted, and the key ARN where one is given.

    "local": NVMe instance storage, hardware-encrypted (SageMaker takes no key); "given": the
    spec's key; "provider": AWS-managed, as the spec allows; "create": none given yet.
    """
    given = deploy.security.aws.kms_key_arn.format(region=group.region) or None
    if any(has_instance_store(m.allocation.instance_type) for m in group.members):
        return "local", given
    if given:
        return "given", given
    if deploy.security.allow_provider_managed_keys:
        return "provider", None
    return "create", None


def _stack(ctx: dict[str, Any], deploy: Deploy, mode: str, given: str | None) -> dict[str, Any]:
    """What the CloudFormation stack creates or refers to: the key, the role and its policy."""
    create_key = mode == "create"
    key_ref = {"Fn::GetAtt": ["EndpointKey", "Arn"]} if create_key else given
    create_role = not deploy.role_arn
    vpc = ctx["vpc"] or {}
    policy = iam.execution_policy(
        ctx["endpoint"],
        sorted({v["image"] for v in ctx["variants"]}),
        sorted({v["s3_source"] for v in ctx["variants"] if v["s3_source"]}),
        key_ref,
        tuple(vpc.get("Subnets", ())),
        tuple(vpc.get("SecurityGroupIds", ())),
    )
    return {
        "create_key": create_key,
        "stack_key": key_ref if mode in ("create", "given") else None,
        "key_policy": iam.key_policy(),
        "create_role": create_role,
        "stack_role": {"Fn::GetAtt": ["ExecutionRole", "Arn"]} if create_role else deploy.role_arn,
        "trust_policy": iam.trust_policy(),
        "role_policy": policy,
    }


def group_context(plan: Plan, group: Group, deploy: Deploy) -> dict[str, Any]:
    """Everything the SageMaker templates need for one endpoint group."""
    mode, given = storage_key(group, deploy)
    api_key = {"given": given, "create": KMS_PLACEHOLDER.format(region=group.region)}
    ctx = {
        "plan_id": plan.plan_id,
        "workload": group.workload,
        "region": group.region,
        "role": deploy.role_arn or ROLE_PLACEHOLDER,
        "endpoint": aws.endpoint_name(group.workload),
        "config": aws.endpoint_config_name(plan.plan_id, group.workload),
        "startup_timeout": deploy.startup_timeout_s,
        "download_timeout": deploy.download_timeout_s,
        "dimension": SCALABLE_DIMENSION,
        "tags": tag_list(labels(plan, deploy, group.workload)),
        "tag_map": labels(plan, deploy, group.workload),
        "variants": _variants(plan, group, deploy),
        "vpc": vpc_config(group, deploy),
        "kms_key": api_key.get(mode),
        "key_mode": mode,
        "given_key": given,
    }
    return {**ctx, **_stack(ctx, deploy, mode, given)}


def advisories(group: Group, ctx: dict[str, Any]) -> list[str]:
    """What the endpoint could not have as the secure defaults say, and why."""
    where = f"{TARGET}: {group.workload} endpoint in {group.region}"
    open_ = [v for v in ctx["variants"] if not v["isolated"] and v["s3_source"] is None]
    out = []
    if open_:
        out.append(
            f"{where}: {', '.join(v['variant'] for v in open_)} run(s) without network "
            f"isolation: the container downloads the weights from {open_[0]['source']}; stage "
            "them in S3 (deploy.weights: s3://...) to isolate it"
        )
    if ctx["key_mode"] == "local" and ctx["given_key"]:
        out.append(
            f"{where}: its instance types keep data on local NVMe storage, encrypted by the "
            "instance hardware; SageMaker takes no KMS key for them, so the key is used only "
            "to read the weights"
        )
    return out


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
    resources, notes, refused = [], [], []
    for group in endpoint_groups(plan, "sagemaker"):
        mine = [n for n in (refusal(TARGET, m) for m in group.members) if n is not None]
        refused += mine
        if mine:
            continue
        ctx = group_context(plan, group, deploy)
        resources += _resources(group, ctx)
        notes += advisories(group, ctx)
    skipped, covered = coverage(plan, TARGET, frozenset({"sagemaker"}), frozenset({"serving"}))
    covered -= {(n.workload, n.index) for n in refused}
    return Built(tuple(resources), skipped, covered, tuple(notes), tuple(refused))
