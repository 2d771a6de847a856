"""Batch and training Jobs on Kubernetes queue in Kueue for the capacity the plan sized for them:
flavors per instance type, quota equal to the planned pods' requests, the user's policy as the
queueing strategy, priorities as WorkloadPriorityClasses; every object passes Kueue's CRDs."""

from __future__ import annotations

import pytest
from test_emit_examples import check_kubernetes
from test_emit_units import allocation, make_plan

from planner.emit import emit
from planner.emit.kueue import QUEUE_LABEL, queueing_strategy

AWS = {"provider": "aws", "region": "us-east-1", "service": "ec2", "routed_rps": None}


def _objects(plan) -> dict[str, list[dict]]:
    files, _ = emit(plan, ["kubernetes"])
    out: dict[str, list[dict]] = {}
    for f in files:
        check_kubernetes(f.data)
        out.setdefault(f.data["kind"], []).append(f.data)
    return out


def _jobs_plan(deploy=None, **workload):
    batch = allocation(
        **AWS,
        workload="summaries",
        kind="batch",
        instance_type="g6e.xlarge",
        accelerator="L40S",
        count=3,
        pricing="spot",
    )
    training = allocation(
        **AWS,
        workload="finetune",
        kind="training",
        instance_type="p5.48xlarge",
        accelerator="H100",
        accelerators_per_instance=8,
        tp=8,
        count=2,
    )
    return make_plan([batch, training], deploy, **workload)


def _quota(queue: dict) -> dict[str, dict[str, object]]:
    (group,) = queue["spec"]["resourceGroups"]
    return {
        f["name"]: {r["name"]: r["nominalQuota"] for r in f["resources"]} for f in group["flavors"]
    }


def test_the_cluster_queue_holds_the_planned_devices_per_instance_type():
    objects = _objects(_jobs_plan())
    (queue,) = objects["ClusterQueue"]
    quota = _quota(queue)
    # 3 spot L40S pods of 1 device; 2 training pods with all 8 H100s each
    assert quota["g6e-xlarge-spot"]["nvidia.com/gpu"] == 3
    assert quota["p5-48xlarge-on-demand"]["nvidia.com/gpu"] == 16
    flavors = {f["metadata"]["name"]: f["spec"]["nodeLabels"] for f in objects["ResourceFlavor"]}
    assert set(flavors) == set(quota)
    assert flavors["g6e-xlarge-spot"]["node.kubernetes.io/instance-type"] == "g6e.xlarge"
    assert flavors["g6e-xlarge-spot"]["karpenter.sh/capacity-type"] == "spot"


def test_cpu_and_memory_quota_is_what_the_job_pods_request():
    objects = _objects(_jobs_plan())
    quota = _quota(objects["ClusterQueue"][0])
    for job in objects["Job"]:
        pods = job["spec"]["parallelism"]
        requests = job["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
        flavor = next(
            f for f in quota if quota[f]["nvidia.com/gpu"] == pods * int(requests["nvidia.com/gpu"])
        )
        assert quota[flavor]["cpu"] == pods * int(requests["cpu"])
        assert quota[flavor]["memory"] == f"{pods * int(requests['memory'].removesuffix('Gi'))}Gi"


def test_jobs_are_created_suspended_in_the_local_queue_of_their_cluster_queue():
    objects = _objects(_jobs_plan())
    (local,) = objects["LocalQueue"]
    (queue,) = objects["ClusterQueue"]
    assert local["spec"]["clusterQueue"] == queue["metadata"]["name"]
    ns = local["metadata"]["namespace"]
    assert queue["spec"]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": ns}
    for job in objects["Job"]:
        assert job["spec"]["suspend"] is True
        assert job["metadata"]["labels"][QUEUE_LABEL] == local["metadata"]["name"]


@pytest.mark.parametrize(
    ("policy", "strategy", "preempt"),
    [
        ("fcfs", "StrictFIFO", "Never"),
        ("sjf", "BestEffortFIFO", "Never"),
        ("priority", "BestEffortFIFO", "Never"),
        ("priority-preemptive", "BestEffortFIFO", "LowerPriority"),
        ("rr", "BestEffortFIFO", "Never"),
    ],
)
def test_the_scheduling_policy_becomes_kueues_queueing_strategy(policy, strategy, preempt):
    assert queueing_strategy(policy) == strategy
    (queue,) = _objects(_jobs_plan({"kueue": {"policy": policy}}))["ClusterQueue"]
    assert queue["spec"]["queueingStrategy"] == strategy
    assert queue["spec"]["preemption"]["withinClusterQueue"] == preempt


def test_each_job_priority_is_a_workload_priority_class_in_the_same_order():
    batch = allocation(**AWS, workload="low", kind="batch", count=1)
    urgent = allocation(**AWS, workload="urgent", kind="batch", count=1)
    plan = make_plan([batch, urgent])
    plan = plan.model_copy(
        update={
            "workloads": [
                w.model_copy(update={"priority": {"low": -1, "urgent": 5}[w.name]})
                for w in plan.workloads
            ]
        }
    )
    objects = _objects(plan)
    classes = {c["metadata"]["name"]: c["value"] for c in objects["WorkloadPriorityClass"]}
    by_job = {
        j["metadata"]["labels"]["planner-workload"]: classes[
            j["metadata"]["labels"]["kueue.x-k8s.io/priority-class"]
        ]
        for j in objects["Job"]
    }
    assert by_job["urgent"] > by_job["low"]


def test_queues_share_a_cohort_unless_told_not_to():
    (queue,) = _objects(_jobs_plan())["ClusterQueue"]
    assert queue["spec"]["cohortName"] == "llm-placement-planner"
    (alone,) = _objects(_jobs_plan({"kueue": {"cohort": ""}}))["ClusterQueue"]
    assert "cohortName" not in alone["spec"]


def test_kueue_can_be_turned_off_and_serving_needs_none():
    objects = _objects(_jobs_plan({"kueue": {"enabled": False}}))
    assert not {"ClusterQueue", "LocalQueue", "ResourceFlavor"} & set(objects)
    assert all("suspend" not in j["spec"] for j in objects["Job"])
    serving = _objects(make_plan([allocation(**{**AWS, "routed_rps": 4.0})]))
    assert "ClusterQueue" not in serving and "Deployment" in serving
