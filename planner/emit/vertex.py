"""Vertex AI: model upload, endpoint and deploy-model request bodies, and a gcloud script.

One endpoint per workload and region (its id is the workload's name), one uploaded model and one
deployed model per allocation. Deployed-model ids are fixed in advance (digits derived from the
plan), so each deploy call can state the traffic split over those made before it.

Secure by default (deploy.security.gcp): models and endpoints carry a customer-managed key
(encryptionSpec; without one, a placeholder the launcher refuses unless the spec allows
Google-managed keys), the endpoint is private where a VPC network or Private Service Connect is
given, and deployed models run as the dedicated service account.
"""

from __future__ import annotations

from typing import Any

from planner.clouds.gcp import GKE_TPU, TPU_TOPOLOGY, VERTEX, endpoint_id, model_id
from planner.clouds.names import dns_label, numeric_id
from planner.emit.common import (
    bounds,
    health_path,
    labels,
    percentages,
    refusal,
    server_args,
    server_of,
    traffic_weights,
)
from planner.emit.groups import Group, coverage, endpoint_groups
from planner.emit.resource import Built, Resource
from planner.errors import InputError
from planner.facts.engines import platform_of
from planner.plans.model import Plan
from planner.rules.deployment import Placed, settings, weights_source
from planner.spec.deploy import Deploy

TARGET = "vertex"
PROJECT_PLACEHOLDER = "PROJECT_ID"
KMS_PLACEHOLDER = (
    "projects/{project}/locations/{region}/keyRings/SET-deploy-security-gcp-kms_key_name"
    "/cryptoKeys/key"
)
GPU_DUTY_CYCLE = "aiplatform.googleapis.com/prediction/online/accelerator/duty_cycle"
CPU_UTILISATION = "aiplatform.googleapis.com/prediction/online/cpu/utilization"


def machine_spec(instance_type: str, accelerator: str, count: int) -> dict[str, Any]:
    """Vertex MachineSpec: n1 machines with attached GPUs are written `n1-standard-8+T4x1`."""
    spec: dict[str, Any] = {"machineType": instance_type.split("+", 1)[0]}
    platform = platform_of(accelerator)
    if platform is not None and platform.name == "tpu":
        # a TPU machine type carries its chips; Vertex takes the slice topology
        shapes = GKE_TPU[accelerator][1] if accelerator in GKE_TPU else TPU_TOPOLOGY
        spec["tpuTopology"] = shapes.get(count, f"{count}x1")
        return spec
    kind = VERTEX.accelerators.get(accelerator)
    if kind is None:
        return spec
    return {**spec, "acceleratorType": kind, "acceleratorCount": count}


GCLOUD_DELIMITERS = "|~;#@%!,:"
"""Candidate list delimiters for gcloud's `^DELIM^` escape, in order of preference."""


def gcloud_list(values: list[str] | tuple[str, ...]) -> str:
    """A gcloud list flag value (`^D^a D b`) with a delimiter D that no value holds, so no
    value is ever split (see `gcloud topic escaping`)."""
    for delimiter in GCLOUD_DELIMITERS:
        if not any(delimiter in v for v in values):
            return f"^{delimiter}^" + delimiter.join(values)
    raise InputError(
        f"the server arguments use every delimiter gcloud could split them on "
        f"({' '.join(GCLOUD_DELIMITERS)}); remove one of them from deploy.extra_args"
    )


def _deployment(plan: Plan, group: Group, item: Placed, k: int, deploy: Deploy) -> dict:
    a, w = item.allocation, item.workload
    b = bounds(plan, a, w)
    spec = machine_spec(a.instance_type, a.accelerator, a.accelerators_per_instance)
    gpu = "acceleratorType" in spec
    source = weights_source(deploy, w)
    return {
        "k": k,
        "model_id": model_id(plan.plan_id, group.workload, k),
        "deployed_id": numeric_id(f"{plan.plan_id}/{group.workload}/{group.region}/{k}"),
        "display_name": dns_label(group.workload, f"v{k}", a.instance_type.split("+")[0]),
        "image": image_of(deploy, item),
        "command": list(server_of(deploy, w, a, TARGET).command),
        "args": (args := server_args(a, w, deploy)),
        "args_flag": gcloud_list(args),
        "artifact_uri": source if source.startswith("gs://") else "",
        "shm_mb": 16384 if a.tp > 1 else 0,
        "machine": spec,
        "accelerator_flag": spec.get("acceleratorType", "").lower().replace("_", "-"),
        "min": b.min_instances,
        "max": b.max_instances,
        "metric": GPU_DUTY_CYCLE if gpu else CPU_UTILISATION,
        "metric_flag": "gpu-duty-cycle" if gpu else "cpu-usage",
        "target_percent": round(deploy.target_utilisation * 100),
        "spot": a.pricing == "spot",
    }


def image_of(deploy: Deploy, item: Placed) -> str:
    """The serving image (on NVIDIA GPUs deploy.vertex_image for vLLM where set)."""
    return server_of(deploy, item.workload, item.allocation, TARGET).image


def _splits(deployments: list[dict], weights: list[float]) -> None:
    """Give each deploy call the split over itself ("0") and the deployed models before it."""
    for k, d in enumerate(deployments):
        shares = percentages(weights[: k + 1])
        split = {deployments[j]["deployed_id"]: shares[j] for j in range(k)}
        split["0"] = shares[k]
        d["split"] = dict(sorted(split.items()))
        d["split_flag"] = ",".join(f"{key}={value}" for key, value in d["split"].items())


def kms_key(deploy: Deploy, project: str, region: str) -> str | None:
    """The CMEK key for the region: the spec's, a placeholder, or None where Google-managed keys
    are allowed."""
    given = deploy.security.gcp.kms_key_name.format(region=region)
    if given or deploy.security.allow_provider_managed_keys:
        return given or None
    return KMS_PLACEHOLDER.format(project=project, region=region)


def private_endpoint(deploy: Deploy) -> dict[str, Any]:
    """Endpoint fields that make it private: a peered VPC network or Private Service Connect."""
    gcp = deploy.security.gcp
    if gcp.network:
        return {"network": gcp.network}
    if gcp.private_service_connect:
        return {
            "privateServiceConnectConfig": {
                "enablePrivateServiceConnect": True,
                "projectAllowlist": list(gcp.private_service_connect),
            }
        }
    return {}


def group_context(plan: Plan, group: Group, deploy: Deploy, project: str) -> dict[str, Any]:
    """Everything the Vertex AI templates need for one endpoint group (one workload, so one
    engine)."""
    workload = group.members[0].workload
    parent = f"projects/{project}/locations/{group.region}"
    deployments = [
        _deployment(plan, group, item, k, deploy) for k, item in enumerate(group.members)
    ]
    _splits(deployments, traffic_weights([m.allocation for m in group.members]))
    return {
        "plan_id": plan.plan_id,
        "workload": group.workload,
        "project": project,
        "region": group.region,
        "parent": parent,
        "endpoint_id": endpoint_id(group.workload),
        "endpoint": f"{parent}/endpoints/{endpoint_id(group.workload)}",
        "labels": labels(plan, deploy, group.workload),
        "port": deploy.port,
        "health_path": health_path(deploy, workload),
        "predict_path": deploy.predict_path,
        "startup_timeout": f"{deploy.startup_timeout_s}s",
        "service_account": deploy.vertex_identity,
        "kms_key": kms_key(deploy, project, group.region),
        "private": private_endpoint(deploy),
        "deployments": deployments,
    }


def group_resources(group: Group, ctx: dict[str, Any]) -> list[Resource]:
    """The group's files, in the order a launcher makes the calls."""

    def make(kind: str, template: str, operation: str, context) -> Resource:
        meta = {"region": group.region, "operation": operation}
        return Resource(
            TARGET, group.workload, group.index, kind, f"vertex/{template}", context, meta
        )

    per_model = [{**ctx, "d": d} for d in ctx["deployments"]]
    out = [
        make(f"model-v{c['d']['k']}", "upload-model.json.j2", "UploadModel", c) for c in per_model
    ]
    out.append(make("endpoint", "create-endpoint.json.j2", "CreateEndpoint", ctx))
    out += [
        make(f"deploy-model-v{c['d']['k']}", "deploy-model.json.j2", "DeployModel", c)
        for c in per_model
    ]
    out.append(make("gcloud", "gcloud.sh.j2", "", ctx))
    return out


def build(plan: Plan, project: str | None = None) -> Built:
    """Vertex AI resources for every serving allocation on Vertex AI in the plan."""
    deploy = settings(plan)
    project = project or deploy.gcp_project or PROJECT_PLACEHOLDER
    resources, refused = [], []
    for group in endpoint_groups(plan, "vertex"):
        mine = [n for n in (refusal(TARGET, m) for m in group.members) if n is not None]
        refused += mine
        if not mine:
            resources += group_resources(group, group_context(plan, group, deploy, project))
    notes, covered = coverage(plan, TARGET, frozenset({"vertex"}), frozenset({"serving"}))
    covered -= {(n.workload, n.index) for n in refused}
    return Built(tuple(resources), notes, covered, (), tuple(refused))
