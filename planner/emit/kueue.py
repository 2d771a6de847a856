"""Kueue: the plan's capacity for batch and training Jobs as quota, so Jobs queue for it.

One ResourceFlavor per planned instance type and pricing (its node labels), one ClusterQueue
whose nominal quota per flavor is what the plan runs there (devices, CPU and memory of every
Job pod), a LocalQueue in the deploy namespace, and a WorkloadPriorityClass per job priority.
Jobs are created suspended with the LocalQueue's label; Kueue admits them in the order of the
chosen policy: fcfs is StrictFIFO (an older job that does not fit blocks newer ones), the others
BestEffortFIFO (a newer job that fits goes first); priority-preemptive also lets a job preempt
lower-priority ones in the queue. The ClusterQueue's cohort lends unused quota between queues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from planner.clouds.names import dns_label
from planner.emit.resource import Resource
from planner.spec.deploy import Deploy, JobPolicy

API_VERSION = "kueue.x-k8s.io/v1beta2"
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
PRIORITY_LABEL = "kueue.x-k8s.io/priority-class"
TARGET = "kubernetes"
FILE_PREFIX = "kueue"
"""Fleet-wide Kueue objects are written as kubernetes/kueue-<n>-<kind>.yaml."""
NAMESPACE_LABEL = "kubernetes.io/metadata.name"


def queueing_strategy(policy: JobPolicy) -> str:
    """Kueue's queueingStrategy for a job scheduling policy: only FCFS keeps strict order."""
    return "StrictFIFO" if policy == "fcfs" else "BestEffortFIFO"


def preemption(policy: JobPolicy) -> dict[str, str]:
    """Whether a queued job may preempt a running one of lower priority."""
    within = "LowerPriority" if policy == "priority-preemptive" else "Never"
    return {"withinClusterQueue": within}


def cluster_queue_name(deploy: Deploy) -> str:
    return dns_label("planner", deploy.namespace, "jobs")


def priority_class_name(priority: int) -> str:
    """A WorkloadPriorityClass per job priority (`m` for minus: names are DNS labels)."""
    return dns_label("planner-priority", str(priority).replace("-", "m"))


@dataclass(frozen=True)
class JobPods:
    """The pods one Job runs at once and what each asks for (from its Kubernetes context)."""

    flavor: str
    node_labels: dict[str, str]
    device: str
    pods: int
    devices: int
    cpu: int
    memory_gib: int
    priority: int
    priority_value: int


def job_pods(ctx: dict[str, Any], priority: int) -> JobPods:
    """What a Job allocation's manifests ask for, read from the context its templates get."""
    capacity = ctx["capacity_type"]
    flavor = dns_label(ctx["instance_type"], capacity)
    return JobPods(
        flavor=flavor,
        node_labels=dict(ctx["flavor_labels"]),
        device=ctx["device"],
        pods=ctx["pods"],
        devices=ctx["devices"],
        cpu=ctx["cpu"] or 0,
        memory_gib=int((ctx["memory"] or "0Gi").removesuffix("Gi")),
        priority=priority,
        priority_value=ctx["priority"],
    )


def job_labels(deploy: Deploy, priority: int) -> dict[str, str]:
    """The labels that send a Job to the LocalQueue with its priority class."""
    return {QUEUE_LABEL: deploy.kueue.queue, PRIORITY_LABEL: priority_class_name(priority)}


def flavors(jobs: Sequence[JobPods]) -> list[dict[str, Any]]:
    """Per flavor (in order of first use): its node labels and the quota the plan gives it."""
    out: dict[str, dict[str, Any]] = {}
    for job in jobs:
        entry = out.setdefault(
            job.flavor, {"name": job.flavor, "labels": job.node_labels, "quota": {}}
        )
        quota = entry["quota"]
        quota["cpu"] = quota.get("cpu", 0) + job.pods * job.cpu
        quota["memory"] = quota.get("memory", 0) + job.pods * job.memory_gib
        quota[job.device] = quota.get(job.device, 0) + job.pods * job.devices
    return list(out.values())


def resource_groups(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One resource group over every flavor (Kueue lets a resource be in one group only), each
    flavor listing every covered resource: zero where its nodes have none of a device."""
    devices = sorted({k for f in found for k in f["quota"]} - {"cpu", "memory"})
    covered = ["cpu", "memory", *devices]
    group_flavors = []
    for f in found:
        quota = f["quota"]
        resources = [
            {"name": "cpu", "nominalQuota": quota["cpu"]},
            {"name": "memory", "nominalQuota": f"{quota['memory']}Gi"},
            *({"name": d, "nominalQuota": quota.get(d, 0)} for d in devices),
        ]
        group_flavors.append({"name": f["name"], "resources": resources})
    return [{"coveredResources": covered, "flavors": group_flavors}]


def resources(deploy: Deploy, jobs: Sequence[JobPods], labels: dict[str, str]) -> list[Resource]:
    """The Kueue objects for the plan's Jobs (none without Jobs or with Kueue turned off)."""
    if not jobs or not deploy.kueue.enabled:
        return []
    found = flavors(jobs)
    queue = cluster_queue_name(deploy)
    spec: dict[str, Any] = {
        "namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: deploy.namespace}},
        "queueingStrategy": queueing_strategy(deploy.kueue.policy),
        "preemption": preemption(deploy.kueue.policy),
        "resourceGroups": resource_groups(found),
    }
    if deploy.kueue.cohort:
        spec["cohortName"] = deploy.kueue.cohort
    out = [
        _resource(i, "resourceflavor", {"name": f["name"], "node_labels": f["labels"]}, labels)
        for i, f in enumerate(found)
    ]
    out.append(_resource(0, "clusterqueue", {"name": queue, "spec": spec}, labels))
    local = {"name": deploy.kueue.queue, "namespace": deploy.namespace, "cluster_queue": queue}
    out.append(_resource(0, "localqueue", local, labels))
    priorities = sorted({(j.priority, j.priority_value) for j in jobs})
    for i, (priority, value) in enumerate(priorities):
        ctx = {"name": priority_class_name(priority), "value": value, "priority": priority}
        out.append(_resource(i, "workloadpriorityclass", ctx, labels))
    return out


def _resource(index: int, kind: str, ctx: dict[str, Any], labels: dict[str, str]) -> Resource:
    context = {**ctx, "labels": labels, "api_version": API_VERSION}
    return Resource(
        TARGET, FILE_PREFIX, index, kind, f"kubernetes/kueue-{kind}.yaml.j2", context, {}
    )
