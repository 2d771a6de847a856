"""Kubernetes: per allocation on a VM service, the manifests that run it on EKS, GKE or AKS.

Serving: one pod per model replica, holding TP devices; a Deployment, Service, autoscaler and
priority. Batch: an indexed Job, one pod per replica. Training: an indexed Job, one pod per
instance with all its devices, and a headless Service for rendezvous. On EKS, a Karpenter
NodePool limited to the plan's instance type and pricing. Secure defaults throughout.
"""

from __future__ import annotations

import math
import shlex
from typing import Any

from planner.clouds import OWNED_SERVICES, VM_SERVICES, cloud, is_cloud
from planner.clouds.names import dns_label
from planner.emit import kueue
from planner.emit.common import (
    MANAGED_BY,
    batch_args,
    batch_group_script,
    bounds,
    cloud_refusal,
    health_path,
    labels,
    nodes,
    refusal,
    running_metric,
    runtime,
    server_args,
    server_of,
    target_concurrency,
)
from planner.emit.groups import coverage
from planner.emit.nodes import ALLOCATABLE, device_resource, node_selector, pod_size, tolerations
from planner.emit.resource import Built, Resource
from planner.facts.engines import ENTRYPOINTS
from planner.plans.model import Plan
from planner.rules.deployment import Placed, placed, server, settings
from planner.spec.deploy import Deploy

TARGET = "kubernetes"
CACHE_DIR = "/cache"
PROBE_PERIOD_S = 10
PRIORITY_STEP = 1000
PRIORITY_LIMIT = 1_000_000_000
RENDEZVOUS_PORT = 29500
NAMESPACE_LABEL = "kubernetes.io/metadata.name"
RAY_PORT = 6379
LEADER_LABEL = "leaderworkerset.sigs.k8s.io/worker-index"
"""The label LeaderWorkerSet gives each pod of a group: "0" on the leader."""


def workload_name(item: Placed) -> str:
    """The allocation's Kubernetes name: workload and index."""
    return dns_label(item.allocation.workload, str(item.index))


def priority_value(priority: int) -> int:
    """PriorityClass value for a workload priority (higher runs first)."""
    return max(-PRIORITY_LIMIT, min(PRIORITY_LIMIT, priority * PRIORITY_STEP))


def _devices(item: Placed) -> int:
    """Devices one pod requests: a training pod's whole instance, else its replica's TP (a
    replica over several instances: the part on each)."""
    a = item.allocation
    return (
        a.accelerators_per_instance
        if a.kind == "training"
        else min(a.tp, a.accelerators_per_instance)
    )


def _pool(plan: Plan, a) -> Any:
    """The plan's record of the owned capacity pool an allocation runs on, if any."""
    return next((p for p in plan.capacity if p.name == a.capacity_pool), None)


def _container(item: Placed, deploy: Deploy, plan: Plan) -> dict[str, Any]:
    """Image, command and arguments of the allocation's main container."""
    a, w = item.allocation, item.workload
    engine = runtime(w)
    if a.kind == "training":
        trainer = server(deploy, w.engine, a.accelerator, TARGET, a.region, kind="training")
        return {"image": trainer.image, "command": list(deploy.training_command), "args": []}
    served = server_of(deploy, w, a, TARGET)
    if a.kind == "serving":
        pool = _pool(plan, a) if a.provider == "edge" else None
        dtype = pool.weights_dtype if pool is not None else None
        args = server_args(a, w, deploy, dtype, download_dir=f"{CACHE_DIR}/models")
        # An image whose entrypoint is the server (vLLM's CUDA image) gets no command.
        command = list(served.command or ENTRYPOINTS.get(w.engine, ()))
        group = group_commands(item, command, args)
        return {"image": served.image, "command": list(served.command), "args": args, **group}
    if a.kind == "batch":
        launch, args = list(engine.batch_command), batch_args(a, w, deploy)
        if nodes(a) > 1:
            name = workload_name(item)
            host = f'"{name}-${{HEAD}}.{name}"'  # the head pod's name under the Service
            script = batch_group_script("JOB_COMPLETION_INDEX", nodes(a), host, [*launch, *args])
            return {"image": served.image, "command": ["/bin/sh", "-c"], "args": [script]}
        return {"image": served.image, "command": launch, "args": args}
    raise AssertionError(f"unknown allocation kind {a.kind}")


def group_commands(item: Placed, launch: list[str], args: list[str]) -> dict[str, Any]:
    """A multi-node replica's pods (a LeaderWorkerSet group): the leader starts a Ray head and
    the server over it; the others join the leader's Ray cluster (vLLM's multi-node serving).
    Every argument is shell-quoted."""
    if nodes(item.allocation) == 1:
        return {}
    serve = shlex.join([*launch, *args])
    return {
        "leader_command": ["/bin/sh", "-c"],
        "leader_args": [f"ray start --head --port={RAY_PORT} && exec {serve}"],
        "worker_command": ["/bin/sh", "-c"],
        "worker_args": [f'exec ray start --address="${{LWS_LEADER_ADDRESS}}:{RAY_PORT}" --block'],
    }


def ingress_from(deploy: Deploy) -> list[dict[str, Any]]:
    """NetworkPolicy peers admitted to the serving port: the gateway's pods and, where set,
    the metrics namespace's."""
    k8s = deploy.security.kubernetes
    gateway: dict[str, Any] = {"podSelector": {"matchLabels": dict(k8s.gateway_labels)}}
    if k8s.gateway_namespace:
        gateway["namespaceSelector"] = {"matchLabels": {NAMESPACE_LABEL: k8s.gateway_namespace}}
    peers = [gateway]
    if k8s.metrics_namespace:
        peers.append(
            {"namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: k8s.metrics_namespace}}}
        )
    return peers


def context(plan: Plan, item: Placed, deploy: Deploy) -> dict[str, Any]:
    """Everything the Kubernetes templates need for one allocation."""
    a, w = item.allocation, item.workload
    name = workload_name(item)
    b = bounds(plan, a, w)
    devices = _devices(item)
    size = pod_size(a, devices)
    pods = {"training": a.count, "batch": b.replicas * nodes(a)}.get(a.kind, b.replicas)
    types = nodepool_instance_types(a, size, devices, deploy.karpenter_price_tolerance)
    selector_nodes = node_selector(a, _site(plan, a))
    if _karpenter(a) and len(types) > 1:
        # Pods follow the NodePool (which lists the types), not one instance type.
        del selector_nodes["node.kubernetes.io/instance-type"]
        selector_nodes["karpenter.sh/nodepool"] = name
    selector = {"app.kubernetes.io/instance": name, "app.kubernetes.io/name": w.name}
    service_selector = dict(selector)
    if nodes(a) > 1:
        service_selector[LEADER_LABEL] = "0"  # requests go to each group's leader
    all_labels = {
        **labels(plan, deploy, w.name),
        **selector,
        "app.kubernetes.io/component": a.kind,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "planner-provider": a.provider,
        "planner-region": a.region,
    }
    queued = a.kind != "serving" and a.provider != "edge" and deploy.kueue.enabled
    return {
        "name": name,
        "namespace": deploy.namespace,
        "kind": a.kind,
        "labels": all_labels,
        "queued": queued,
        "job_labels": {**all_labels, **kueue.job_labels(deploy, w.priority)}
        if queued
        else all_labels,
        "flavor_labels": node_selector(a, _site(plan, a)),
        "pod_labels": {k: v for k, v in all_labels.items() if k != "planner-plan-id"},
        "selector": selector,
        "service_selector": service_selector,
        "group_size": nodes(a),
        "group_heads": ",".join(str(i) for i in range(0, pods, nodes(a))),
        "pods": pods,
        "min_replicas": b.min_replicas,
        "max_replicas": b.max_replicas,
        "metric": running_metric(deploy, w),
        "metric_target": target_concurrency(a, deploy),
        **_container(item, deploy, plan),
        "port": deploy.port,
        "ingress_from": ingress_from(deploy),
        "health_path": health_path(deploy, w),
        "startup_failures": math.ceil(deploy.startup_timeout_s / PROBE_PERIOD_S),
        "probe_period": PROBE_PERIOD_S,
        "device": device_resource(a.accelerator),
        "devices": devices,
        "cpu": size.cpu if size else None,
        "memory": f"{size.memory_gib}Gi" if size else None,
        "shm": f"{max(1, size.memory_gib // 4) if size else 8}Gi",
        "node_selector": selector_nodes,
        "tolerations": tolerations(a),
        "service_account": deploy.service_account or name,
        "own_service_account": not deploy.service_account,
        "hf_token_secret": deploy.hf_token_secret,
        "priority_class": dns_label(deploy.namespace, name),
        "priority": priority_value(w.priority),
        "spot": a.pricing == "spot",
        "data_claim": deploy.data_volume_claim,
        "nnodes": a.count,
        "nproc": a.accelerators_per_instance,
        "rendezvous_port": RENDEZVOUS_PORT,
        "ray_port": RAY_PORT,
        "instance_type": a.instance_type,
        "instance_types": types,
        "capacity_type": "spot" if a.pricing == "spot" else "on-demand",
        "node_class": deploy.karpenter_node_class,
        "device_limit": b.max_instances * a.accelerators_per_instance,
        "plan_id": plan.plan_id,
    }


def nodepool_instance_types(a, size, devices: int, tolerance: float) -> list[str]:
    """The chosen instance type first, then the plan's compatible types (cheapest per replica
    first) at most `tolerance` dearer per replica whose share of CPU and memory still fits the
    pod's requests."""
    own = a.price_per_hour / max(1, a.replicas_per_instance)
    out = [a.instance_type]
    for option in a.compatible_instances:
        if option.price_per_replica_hour > own * (1 + tolerance) + 1e-9:
            continue
        if size is not None:
            share = devices / option.accelerators_per_instance * ALLOCATABLE
            if option.vcpus * share < size.cpu or option.memory_gib * share < size.memory_gib:
                continue
        out.append(option.instance_type)
    return out


def _karpenter(a) -> bool:
    """Whether the allocation's nodes come from a Karpenter NodePool the plan writes."""
    k8s = cloud(a.provider).kubernetes if is_cloud(a.provider) else None
    return k8s is not None and k8s.karpenter


def _site(plan: Plan, a) -> dict[str, str] | None:
    pool = _pool(plan, a) if a.provider == "onprem" else None
    return pool.node_selector if pool is not None else None


def kinds(item: Placed, deploy: Deploy) -> list[str]:
    """The manifests one allocation needs, in the order to apply them."""
    a = item.allocation
    out = ["priorityclass"]
    if not deploy.service_account:
        out.append("serviceaccount")
    out.append("networkpolicy")
    if _karpenter(a):
        out.append("nodepool")
    if a.provider == "edge":
        out.append("daemonset")
    elif a.kind == "serving":
        out += ["leaderworkerset" if nodes(a) > 1 else "deployment", "service"]
        if running_metric(deploy, item.workload):
            out.append("hpa")
    else:
        gang = a.kind == "training" or nodes(a) > 1
        out += ["service", "job"] if gang else ["job"]
    return out


def build(plan: Plan) -> Built:
    """Kubernetes manifests for every allocation on a VM service (EC2, Compute Engine, Azure)."""
    deploy = settings(plan)
    resources, refused, advisories, jobs = [], [], [], []
    services = VM_SERVICES | OWNED_SERVICES
    for item in (p for p in placed(plan) if p.allocation.service in services):
        note = refusal(TARGET, item) or cloud_refusal(TARGET, item)
        if note is not None:
            refused.append(note)
            continue
        if item.allocation.kind == "serving" and not running_metric(deploy, item.workload):
            advisories.append(
                f"{TARGET}: {item.workload.name} allocation {item.index} runs "
                f"{runtime(item.workload).title}, whose server exports no Prometheus metric of "
                "running requests: no HorizontalPodAutoscaler is emitted, the Deployment keeps "
                "the plan's replicas"
            )
        ctx = context(plan, item, deploy)
        if ctx["queued"]:
            jobs.append(kueue.job_pods(ctx, item.workload.priority))
        for kind in kinds(item, deploy):
            template = f"kubernetes/{kind}.yaml.j2"
            if kind == "service" and item.allocation.kind != "serving":
                template = "kubernetes/headless-service.yaml.j2"
            meta = {"provider": item.allocation.provider, "region": item.allocation.region}
            resources.append(
                Resource(TARGET, item.allocation.workload, item.index, kind, template, ctx, meta)
            )
    fleet = {
        **deploy.labels,
        **deploy.security.audit_labels,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "planner-plan-id": plan.plan_id,
    }
    resources += kueue.resources(deploy, jobs, fleet)
    notes, covered = coverage(plan, TARGET, services, frozenset({"serving", "batch", "training"}))
    covered -= {(n.workload, n.index) for n in refused}
    return Built(tuple(resources), notes, covered, tuple(advisories), tuple(refused))
