"""Ray: per serving allocation on a VM service, a KubeRay RayService and a Ray cluster config;
per batch allocation whose replicas span several instances, a KubeRay RayJob.

Each Ray Serve replica holds TP devices through a placement group packed on one node; worker
nodes are whole instances of the plan's type, scaled between the allocation's bounds. A batch
RayJob's cluster has every instance of the allocation as a worker; its head runs one batch
runner per replica and shard, each over TP x pipeline-stage devices of its workers.
"""

from __future__ import annotations

from typing import Any

from planner.clouds import VM_SERVICES, RayLauncher, RayNode, cloud
from planner.clouds.names import dns_label
from planner.emit.common import (
    DTYPE_ARGS,
    batch_args,
    batch_replicas_script,
    bounds,
    cloud_refusal,
    kv_cache_value,
    labels,
    model_argument,
    nodes,
    refusal,
    runtime,
    server_of,
    target_concurrency,
    tp_ranks,
)
from planner.emit.groups import coverage
from planner.emit.nodes import (
    device_resource,
    node_selector,
    platform,
    pod_size,
    ray_resources,
    tolerations,
)
from planner.emit.render import dump_yaml
from planner.emit.resource import Built, Resource
from planner.plans.model import Allocation, Plan
from planner.rules.deployment import Placed, placed, settings, weights_source
from planner.spec.deploy import Deploy

TARGET = "ray"
BATCH_SCRIPT = "/scripts/run-batch.sh"
"""Where a batch RayJob's head finds its script (the ConfigMap's run-batch.sh)."""
DEPLOYMENT = "VLLMServer"
DOCKER_DEVICES = {
    "cuda": ["--gpus all"],
    "rocm": ["--device=/dev/kfd", "--device=/dev/dri", "--group-add=video"],
}
"""`docker run` options that hand a worker's devices to its container, per platform (NVIDIA
Container Toolkit; ROCm's "Running ROCm Docker containers")."""


def actor_options(alloc: Allocation) -> tuple[dict[str, Any], list[dict[str, float]]]:
    """Resources of a replica's actor, and its placement group when TP spans several devices."""
    custom = ray_resources(alloc.accelerator, alloc.tp)
    if custom:
        return {"num_cpus": 1, "resources": custom}, []
    options = {"num_cpus": 1, "num_gpus": 1}
    devices = alloc.tp * nodes(alloc)  # a multi-node replica: tp devices on each of its nodes
    if devices == 1:
        return options, []
    return options, [{"CPU": 1, "GPU": 1}] + [{"GPU": 1}] * (devices - 1)


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
        # one node holds a replica, or (multi-node) its bundles fill as few nodes as they can
        deployment["placement_group_strategy"] = "STRICT_PACK" if nodes(a) == 1 else "PACK"
    args: dict[str, Any] = {
        "model": model_argument(weights_source(deploy, w)),
        "served_model_name": w.name,
        "tensor_parallel_size": tp_ranks(a),
    }
    if nodes(a) > 1:
        args["pipeline_parallel_size"] = nodes(a)
        args["distributed_executor_backend"] = "ray"
    flag, value = DTYPE_ARGS.get(w.weights_dtype, ("", ""))
    if flag:
        args[flag.removeprefix("--")] = value
    if a.max_batch:
        args["max_num_seqs"] = a.max_batch
    if a.max_context:
        args["max_model_len"] = a.max_context
    given = w.engine_settings
    for key, name in (("max_num_batched_tokens", "max_num_batched_tokens"),
                      ("prefix_caching", "enable_prefix_caching")):  # fmt: skip
        if given.get(key) is not None:
            args[name] = given[key]
    if kv_cache_value(w, a.accelerator):
        args["kv_cache_dtype"] = kv_cache_value(w, a.accelerator)
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


def _launcher(a: Allocation) -> RayLauncher:
    return cloud(a.provider).need_ray(f"the Ray cluster config of {a.workload}")


def _node_config(a: Allocation) -> dict[str, Any]:
    """The cluster launcher's node_config for a worker of the plan's instance type."""
    node = RayNode(a.instance_type, a.accelerator, a.accelerators_per_instance, a.pricing == "spot")
    return _launcher(a).worker(node)


def _head_config(a: Allocation) -> dict[str, Any]:
    launcher = _launcher(a)
    return launcher.head(launcher.head_machine)


def _provider(a: Allocation, name: str, deploy: Deploy) -> dict[str, Any]:
    return _launcher(a).provider(a.region, a.zone, name, deploy.gcp_project or "")


def _launcher_context(a: Allocation, name: str, deploy: Deploy) -> dict[str, Any]:
    """The cluster launcher's provider block and node configs (clouds it supports)."""
    return {
        "provider": _provider(a, name, deploy),
        "head_config": _head_config(a),
        "worker_config": _node_config(a),
    }


def context(plan: Plan, item: Placed, deploy: Deploy) -> dict[str, Any]:
    """Everything the Ray templates need for one allocation."""
    a, w = item.allocation, item.workload
    name = dns_label(w.name, str(item.index))
    b = bounds(plan, a, w)
    size = pod_size(a, a.accelerators_per_instance)
    return {
        "name": name,
        "namespace": deploy.namespace,
        "labels": {**labels(plan, deploy, w.name), "planner-region": a.region},
        "serve_config": dump_yaml(serve_config(plan, item, deploy)),
        "image": server_of(deploy, w, a, TARGET).image,
        "port": deploy.port,
        "device": device_resource(a.accelerator),
        "devices": a.accelerators_per_instance,
        "worker_resources": ray_resources(a.accelerator, a.accelerators_per_instance),
        "cpu": size.cpu if size else None,
        "memory": f"{size.memory_gib}Gi" if size else None,
        "node_selector": node_selector(a),
        "tolerations": tolerations(a),
        "workers": b.instances,
        "min_workers": b.min_instances,
        "max_workers": b.max_instances,
        **(_launcher_context(a, name, deploy) if cloud(a.provider).ray else {}),
        "docker_devices": DOCKER_DEVICES.get(platform(a.accelerator).name, []),
        "hf_token_secret": deploy.hf_token_secret,
    }


def batch_context(plan: Plan, item: Placed, deploy: Deploy) -> dict[str, Any]:
    """Everything the RayJob and its script's ConfigMap need for a batch allocation whose
    replicas span several instances."""
    a, w = item.allocation, item.workload
    words = [*runtime(w).batch_command, *batch_args(a, w, deploy)]
    size = pod_size(a, a.accelerators_per_instance)
    return {
        "name": dns_label(w.name, str(item.index)),
        "namespace": deploy.namespace,
        "labels": {**labels(plan, deploy, w.name), "planner-region": a.region},
        "script": batch_replicas_script(words, a.count // nodes(a)),
        "entrypoint": f"sh {BATCH_SCRIPT}",
        "image": server_of(deploy, w, a, TARGET).image,
        "device": device_resource(a.accelerator),
        "devices": a.accelerators_per_instance,
        "worker_resources": ray_resources(a.accelerator, a.accelerators_per_instance),
        "cpu": size.cpu if size else None,
        "memory": f"{size.memory_gib}Gi" if size else None,
        "node_selector": node_selector(a),
        "tolerations": tolerations(a),
        "workers": a.count,
        "data_claim": deploy.data_volume_claim,
        "hf_token_secret": deploy.hf_token_secret,
    }


def _batch_job(plan: Plan, item: Placed, deploy: Deploy) -> list[Resource]:
    """A RayJob (and its script's ConfigMap) for a batch allocation over several instances."""
    a = item.allocation
    ctx = batch_context(plan, item, deploy)
    meta = {"provider": a.provider, "region": a.region}
    return [
        Resource(TARGET, a.workload, item.index, kind, f"ray/{template}", ctx, meta)
        for kind, template in (("configmap", "batch-configmap.yaml.j2"),
                               ("rayjob", "rayjob.yaml.j2"))
    ]  # fmt: skip


def build(plan: Plan) -> Built:
    """Ray resources for every serving allocation on a VM service, and a RayJob for every batch
    allocation whose replicas span several instances."""
    deploy = settings(plan)
    resources, refused, advisories, jobs = [], [], [], set()
    for item in placed(plan):
        a = item.allocation
        if a.service in VM_SERVICES and a.kind == "batch" and nodes(a) > 1:
            note = refusal(TARGET, item) or cloud_refusal(TARGET, item)
            if note is not None:
                refused.append(note)
                continue
            resources += _batch_job(plan, item, deploy)
            jobs.add((a.workload, item.index))
            continue
        if a.service not in VM_SERVICES or a.kind != "serving":
            continue
        note = refusal(TARGET, item) or cloud_refusal(TARGET, item)
        if note is not None:
            refused.append(note)
            continue
        ctx = context(plan, item, deploy)
        meta = {"provider": a.provider, "region": a.region}
        kinds = [("rayservice", "rayservice.yaml.j2")]
        if cloud(a.provider).ray is not None:
            kinds.append(("cluster", "cluster.yaml.j2"))
        else:
            advisories.append(
                f"{TARGET}: {a.workload} allocation {item.index}: a RayService only, no "
                f"cluster launcher config: {cloud(a.provider).missing('Ray cluster launcher')}"
            )
        for kind, template in kinds:
            resources.append(
                Resource(TARGET, a.workload, item.index, kind, f"ray/{template}", ctx, meta)
            )
    notes, covered = coverage(plan, TARGET, VM_SERVICES, frozenset({"serving"}))
    notes = tuple(n for n in notes if (n.workload, n.index) not in jobs)
    covered = (covered | jobs) - {(n.workload, n.index) for n in refused}
    return Built(tuple(resources), notes, covered, tuple(advisories), tuple(refused))
