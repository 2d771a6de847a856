"""SkyPilot: per allocation on a cloud's VM service, a SkyServe service or a SkyPilot task.

Serving: a SkyServe service YAML (`sky serve up`); one SkyServe replica is one instance of the
plan's accelerators, scaled between the allocation's bounds on the requests per second the plan
routed to it. Batch: a task (`sky jobs launch`) on `count` nodes, each running the engine's
offline runner over its shard. Training: a task on `count` nodes with all their devices.

SkyPilot chooses the instance from `infra` (cloud/region[/zone]) and `accelerators`; the plan's
instance type is written as a label, since SkyPilot checks an `instance_type` against its own
catalog when it loads the file. A cloud SkyPilot cannot launch on (no SkyPilot name on its
Cloud object) and a serving allocation that packs several replicas on one instance (a SkyServe
replica listens on one port) are left to the kubernetes and ray targets, with a note.
"""

from __future__ import annotations

from typing import Any

from planner.clouds import CLOUDS, VM_SERVICES
from planner.clouds.names import dns_label
from planner.emit.common import (
    batch_args,
    batch_group_script,
    bounds,
    health_path,
    labels,
    nodes,
    refusal,
    runtime,
    server_args,
    server_of,
    shard_word,
    target_rps,
)
from planner.emit.resource import Built, Note, Resource
from planner.plans.model import Allocation, Plan
from planner.rules.deployment import Placed, placed, server, settings
from planner.spec.deploy import Deploy

TARGET = "skypilot"
ACCELERATOR_NAMES = {"H100-NVL": "H100"}
"""Planner accelerator names SkyPilot spells otherwise (its Azure rows call the NC H100 v5's
94 GB H100 NVL an H100); TPUs are named per slice (tpu-v5litepod-N)."""
TPU_SLICE = {"TPU-v5e": "tpu-v5litepod-{count}"}
RENDEZVOUS_PORT = 29500
RENDEZVOUS = (
    'export MASTER_ADDR="$(echo "$SKYPILOT_NODE_IPS" | head -n1)" NODE_RANK="$SKYPILOT_NODE_RANK"\n'
)
"""A training node's rendezvous: the first node's address and this node's rank (SkyPilot's
variables), as the Kubernetes target's training pods get them."""


def skypilot_cloud(provider: str) -> str:
    """SkyPilot's name for the cloud (`infra:` prefix); empty where SkyPilot cannot launch."""
    cloud = CLOUDS.get(provider)
    sky = cloud.skypilot if cloud is not None else None
    return sky.name if sky is not None else ""


def infra(a: Allocation) -> str:
    """`cloud/region[/zone]`, SkyPilot's `infra:` for the allocation."""
    parts = [skypilot_cloud(a.provider), a.region] + ([a.zone] if a.zone else [])
    return "/".join(parts)


def accelerators(a: Allocation) -> dict[str, int]:
    """`accelerators:` of one instance: SkyPilot's name for the chip and the instance's count."""
    slice_name = TPU_SLICE.get(a.accelerator)
    if slice_name:
        return {slice_name.format(count=a.accelerators_per_instance): 1}
    return {ACCELERATOR_NAMES.get(a.accelerator, a.accelerator): a.accelerators_per_instance}


def command_line(words: list[str]) -> str:
    """A shell command line of `words` (each quoted; shard placeholders become the node rank)."""
    return " ".join(shard_word(w, "SKYPILOT_NODE_RANK") for w in words) + "\n"


def run_command(item: Placed, deploy: Deploy) -> str:
    """The `run:` of an allocation: the engine's server, its batch runner, or the training
    command (empty: the image's own, which a SkyPilot task does not start)."""
    a, w = item.allocation, item.workload
    if a.kind == "serving":
        command = server_of(deploy, w, a, TARGET).command
        return command_line([*command, *server_args(a, w, deploy)])
    if a.kind == "batch":
        words = [*runtime(w).batch_command, *batch_args(a, w, deploy)]
        if nodes(a) > 1:  # groups of nodes, one per replica: the head's address is its IP
            host = '"$(echo "$SKYPILOT_NODE_IPS" | sed -n "$((HEAD + 1))p")"'
            return batch_group_script("SKYPILOT_NODE_RANK", nodes(a), host, words)
        return command_line(words)
    if not deploy.training_command:
        return ""
    return RENDEZVOUS + command_line(list(deploy.training_command))


def _image(item: Placed, deploy: Deploy) -> str:
    a, w = item.allocation, item.workload
    if a.kind == "training":
        return server(deploy, w.engine, a.accelerator, TARGET, a.region, kind="training").image
    return server_of(deploy, w, a, TARGET).image


def replica_policy(plan: Plan, item: Placed, deploy: Deploy) -> dict[str, Any]:
    """SkyServe's replica_policy: the allocation's bounds (a replica is one instance here),
    scaled on the requests per second each replica was planned for (x target_utilisation)."""
    a = item.allocation
    b = bounds(plan, a, item.workload)
    policy: dict[str, Any] = {"min_replicas": b.min_replicas}
    if b.max_replicas > b.min_replicas:
        policy["max_replicas"] = b.max_replicas
        policy["target_qps_per_replica"] = target_rps(a, deploy)
    return policy


def context(plan: Plan, item: Placed, deploy: Deploy) -> dict[str, Any]:
    """Everything the SkyPilot templates need for one allocation."""
    a, w = item.allocation, item.workload
    resources: dict[str, Any] = {
        "infra": infra(a),
        "accelerators": accelerators(a),
        "use_spot": a.pricing == "spot",
        "image_id": f"docker:{_image(item, deploy)}",
        "labels": {
            **labels(plan, deploy, w.name),
            "planner-instance-type": dns_label(a.instance_type),
        },
    }
    if a.kind == "serving":
        resources["ports"] = deploy.port
    envs = {"HF_HUB_ENABLE_HF_TRANSFER": "1"}
    if a.kind == "training":
        envs = {
            "NNODES": str(a.count),
            "NPROC_PER_NODE": str(a.accelerators_per_instance),
            "MASTER_PORT": str(RENDEZVOUS_PORT),
        }
    return {
        "name": dns_label(w.name, str(item.index)),
        "kind": a.kind,
        "resources": resources,
        "num_nodes": 1 if a.kind == "serving" else a.count,
        "envs": envs,
        "secrets": ["HF_TOKEN"] if deploy.hf_token_secret else [],
        "run": run_command(item, deploy),
        "readiness_path": health_path(deploy, w),
        "initial_delay": deploy.startup_timeout_s,
        "replica_policy": replica_policy(plan, item, deploy) if a.kind == "serving" else {},
    }


def _why_not(item: Placed) -> str:
    a = item.allocation
    if not skypilot_cloud(a.provider):
        return f"SkyPilot cannot launch on {a.provider}"
    if a.kind == "serving" and nodes(a) > 1:
        return f"a replica spans {nodes(a)} instances and a SkyServe replica is one instance"
    if a.kind == "serving" and a.replicas_per_instance > 1:
        return (
            f"the plan packs {a.replicas_per_instance} replicas on each {a.instance_type} and a "
            "SkyServe replica is one instance serving one port"
        )
    return ""


def build(plan: Plan) -> Built:
    """SkyServe services and SkyPilot tasks for every allocation on a cloud's VM service."""
    deploy = settings(plan)
    resources, notes, refused, advisories, covered = [], [], [], [], set()
    for item in placed(plan):
        a = item.allocation
        where = f"{a.workload} allocation {item.index} ({a.kind} on {a.service} {a.instance_type})"
        if a.service not in VM_SERVICES:
            notes.append(
                Note(TARGET, a.workload, item.index, f"{TARGET}: skipped {where}: not a VM")
            )
            continue
        why = _why_not(item)
        if why:
            text = f"{TARGET}: skipped {where}: {why}; use --target kubernetes or ray"
            notes.append(Note(TARGET, a.workload, item.index, text))
            continue
        note = refusal(TARGET, item)
        if note is not None:
            refused.append(note)
            continue
        if a.kind == "training" and not deploy.training_command:
            advisories.append(
                f"{TARGET}: {where} runs no command: a SkyPilot task does not start the image's "
                "entrypoint; set deploy.training_command"
            )
        kind = "service" if a.kind == "serving" else "task"
        meta = {"provider": a.provider, "region": a.region}
        ctx = context(plan, item, deploy)
        template = f"skypilot/{kind}.yaml.j2"
        resources.append(Resource(TARGET, a.workload, item.index, kind, template, ctx, meta))
        covered.add((a.workload, item.index))
    return Built(
        tuple(resources), tuple(notes), frozenset(covered), tuple(advisories), tuple(refused)
    )
