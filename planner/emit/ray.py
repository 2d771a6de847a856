"""Ray: per serving allocation on a VM service, a KubeRay RayService and a Ray cluster config.

Each Ray Serve replica holds TP devices through a placement group packed on one node; worker
nodes are whole instances of the plan's type, scaled between the allocation's bounds.
"""

from __future__ import annotations

from typing import Any

from planner.clouds import VM_SERVICES
from planner.clouds.names import dns_label
from planner.emit.common import (
    DTYPE_ARGS,
    bounds,
    labels,
    model_argument,
    refusal,
    target_concurrency,
)
from planner.emit.groups import coverage
from planner.emit.nodes import (
    GKE_ACCELERATOR,
    RAY_RESOURCE,
    device_resource,
    machine_type,
    node_selector,
    pod_size,
    tolerations,
)
from planner.emit.render import dump_yaml
from planner.emit.resource import Built, Resource
from planner.plans.model import Allocation, Plan
from planner.rules.deployment import Placed, image, placed, settings, weights_source
from planner.spec.deploy import Deploy

TARGET = "ray"
DEPLOYMENT = "VLLMServer"
HEAD_MACHINE = {"aws": "m6i.2xlarge", "gcp": "n2-standard-8", "azure": "Standard_D8s_v5"}
GCP_IMAGE = (
    "projects/deeplearning-platform-release/global/images/family/common-cu124-debian-11-py310"
)


def actor_options(alloc: Allocation) -> tuple[dict[str, Any], list[dict[str, float]]]:
    """Resources of a replica's actor, and its placement group when TP spans several devices."""
    custom = RAY_RESOURCE.get(alloc.accelerator)
    if custom:
        return {"num_cpus": 1, "resources": {custom: alloc.tp}}, []
    options = {"num_cpus": 1, "num_gpus": 1}
    if alloc.tp == 1:
        return options, []
    return options, [{"CPU": 1, "GPU": 1}] + [{"GPU": 1}] * (alloc.tp - 1)


def serve_config(plan: Plan, item: Placed, deploy: Deploy) -> dict[str, Any]:
    """The Ray Serve config (serveConfigV2) of one allocation."""
    a, w = item.allocation, item.workload
    b = bounds(plan, a, w)
    options, bundles = actor_options(a)
    deployment: dict[str, Any] = {
        "name": DEPLOYMENT,
        "max_ongoing_requests": a.max_batch or 64,
        "autoscaling_config": {
            "min_replicas": b.min_replicas,
            "initial_replicas": b.replicas,
            "max_replicas": b.max_replicas,
            "target_ongoing_requests": target_concurrency(a, deploy),
        },
        "ray_actor_options": options,
    }
    if bundles:
        deployment["placement_group_bundles"] = bundles
        deployment["placement_group_strategy"] = "STRICT_PACK"
    args: dict[str, Any] = {
        "model": model_argument(weights_source(deploy, w)),
        "served_model_name": w.name,
        "tensor_parallel_size": a.tp,
    }
    flag, value = DTYPE_ARGS.get(w.weights_dtype, ("", ""))
    if flag:
        args[flag.removeprefix("--")] = value
    if a.max_batch:
        args["max_num_seqs"] = a.max_batch
    if a.max_context:
        args["max_model_len"] = a.max_context
    return {
        "applications": [
            {
                "name": w.name,
                "route_prefix": "/",
                "import_path": deploy.ray_serve_app,
                "args": args,
                "deployments": [deployment],
            }
        ]
    }


def _node_config(a: Allocation) -> dict[str, Any]:
    """The cluster launcher's node_config for a worker of the plan's instance type."""
    spot = a.pricing == "spot"
    if a.provider == "aws":
        config: dict[str, Any] = {"InstanceType": a.instance_type}
        if spot:
            config["InstanceMarketOptions"] = {"MarketType": "spot"}
        return config
    if a.provider == "gcp":
        config = {
            "machineType": machine_type(a.instance_type),
            "disks": [
                {
                    "boot": True,
                    "autoDelete": True,
                    "type": "PERSISTENT",
                    "initializeParams": {"diskSizeGb": 200, "sourceImage": GCP_IMAGE},
                }
            ],
            "scheduling": [{"onHostMaintenance": "TERMINATE", "preemptible": spot}],
        }
        if "+" in a.instance_type and a.accelerator in GKE_ACCELERATOR:
            config["guestAccelerators"] = [
                {
                    "acceleratorType": GKE_ACCELERATOR[a.accelerator],
                    "acceleratorCount": a.accelerators_per_instance,
                }
            ]
        return config
    params: dict[str, Any] = {"vmSize": a.instance_type}
    if spot:
        params |= {
            "priority": "Spot",
            "evictionPolicy": "Delete",
            "billingProfile": {"maxPrice": -1},
        }
    return {"azure_arm_parameters": params}


def _head_config(provider: str) -> dict[str, Any]:
    machine = HEAD_MACHINE[provider]
    if provider == "aws":
        return {"InstanceType": machine}
    if provider == "gcp":
        return {
            "machineType": machine,
            "disks": [
                {
                    "boot": True,
                    "autoDelete": True,
                    "type": "PERSISTENT",
                    "initializeParams": {"diskSizeGb": 100, "sourceImage": GCP_IMAGE},
                }
            ],
        }
    return {"azure_arm_parameters": {"vmSize": machine}}


def _provider(a: Allocation, name: str, deploy: Deploy) -> dict[str, Any]:
    if a.provider == "aws":
        return {"type": "aws", "region": a.region, "cache_stopped_nodes": False}
    if a.provider == "gcp":
        return {
            "type": "gcp",
            "region": a.region,
            "availability_zone": a.zone or f"{a.region}-a",
            "project_id": deploy.gcp_project or "PROJECT_ID",
        }
    return {"type": "azure", "location": a.region, "resource_group": dns_label(name, "rg")}


def context(plan: Plan, item: Placed, deploy: Deploy) -> dict[str, Any]:
    """Everything the Ray templates need for one allocation."""
    a, w = item.allocation, item.workload
    name = dns_label(w.name, str(item.index))
    b = bounds(plan, a, w)
    size = pod_size(a, a.accelerators_per_instance)
    custom = RAY_RESOURCE.get(a.accelerator)
    return {
        "name": name,
        "namespace": deploy.namespace,
        "labels": {**labels(plan, deploy, w.name), "planner-region": a.region},
        "serve_config": dump_yaml(serve_config(plan, item, deploy)),
        "image": image(deploy, a.accelerator),
        "port": deploy.port,
        "device": device_resource(a.accelerator),
        "devices": a.accelerators_per_instance,
        "worker_resources": {custom: a.accelerators_per_instance} if custom else {},
        "cpu": size.cpu if size else None,
        "memory": f"{size.memory_gib}Gi" if size else None,
        "node_selector": node_selector(a),
        "tolerations": tolerations(a),
        "workers": b.instances,
        "min_workers": b.min_instances,
        "max_workers": b.max_instances,
        "provider": _provider(a, name, deploy),
        "head_config": _head_config(a.provider),
        "worker_config": _node_config(a),
        "gpu_docker": a.accelerator not in RAY_RESOURCE,
        "hf_token_secret": deploy.hf_token_secret,
    }


def build(plan: Plan) -> Built:
    """Ray resources for every serving allocation on a VM service."""
    deploy = settings(plan)
    resources, refused = [], []
    for item in placed(plan):
        a = item.allocation
        if a.service not in VM_SERVICES or a.kind != "serving":
            continue
        note = refusal(TARGET, item)
        if note is not None:
            refused.append(note)
            continue
        ctx = context(plan, item, deploy)
        meta = {"provider": a.provider, "region": a.region}
        for kind, template in (
            ("rayservice", "rayservice.yaml.j2"),
            ("cluster", "cluster.yaml.j2"),
        ):
            resources.append(
                Resource(TARGET, a.workload, item.index, kind, f"ray/{template}", ctx, meta)
            )
    notes, covered = coverage(plan, TARGET, VM_SERVICES, frozenset({"serving"}))
    covered -= {(n.workload, n.index) for n in refused}
    return Built(tuple(resources), notes, covered, (), tuple(refused))
