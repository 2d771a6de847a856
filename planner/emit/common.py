"""What every target derives from a plan: settings, labels, replica bounds and server arguments."""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass

from planner.clouds import cloud, is_cloud
from planner.emit.resource import Note
from planner.facts.engines import (
    EngineRuntime,
    cores_per_device,
    engine_runtime,
    kv_cache_row,
    why_not,
)
from planner.perf.multinode import spans_slice
from planner.plans.model import Allocation, Plan, WorkloadResult
from planner.rules.deployment import Placed, Server, server, weights_source
from planner.spec.deploy import Deploy, EngineDeploy

MANAGED_BY = "llm-placement-planner"
DTYPE_ARGS = engine_runtime("vllm").dtype_flags
"""vLLM server flags per weights precision (int4/int8 expect a checkpoint quantised that way)."""


def labels(plan: Plan, deploy: Deploy, workload: str) -> dict[str, str]:
    """Labels/tags on every resource: who manages it, which plan and workload it belongs to,
    and the spec's audit labels (cost centre, owner ...)."""
    return {
        **deploy.labels,
        **deploy.security.audit_labels,
        "managed-by": MANAGED_BY,
        "planner-plan-id": plan.plan_id,
        "planner-workload": workload,
    }


def tag_list(values: dict[str, str]) -> list[dict[str, str]]:
    """Labels as AWS tags, sorted by key."""
    return [{"Key": k, "Value": v} for k, v in sorted(values.items())]


def model_argument(source: str) -> str:
    """What the server is told to load: a Hugging Face id for hf://, the location otherwise."""
    return source.removeprefix("hf://")


def nodes(alloc: Allocation) -> int:
    """Instances one replica of the allocation spans (1 but for multi-node replicas)."""
    return alloc.nodes_per_replica or 1


def planned_replicas(alloc: Allocation) -> int:
    """Model replicas the plan runs on this allocation."""
    return alloc.count * alloc.replicas_per_instance // nodes(alloc)


@dataclass(frozen=True)
class Bounds:
    """Autoscaling bounds of one allocation, in replicas and in instances."""

    replicas: int
    min_replicas: int
    max_replicas: int
    instances: int
    min_instances: int
    max_instances: int


def bounds(plan: Plan, alloc: Allocation, workload: WorkloadResult) -> Bounds:
    """The workload's min/max replicas shared out over its allocations by planned replicas.

    An allocation never scales below one replica or above its share of max_replicas; without
    max_replicas it stays at what the plan sized (more would cost more than the plan says).
    """
    mine = planned_replicas(alloc)
    total = sum(planned_replicas(a) for a in plan.allocations_of(alloc.workload))
    share = mine / total if total else 1.0
    low = math.ceil((workload.min_replicas or 0) * share - 1e-9)
    low = max(1, min(low, mine))
    high = mine
    if workload.max_replicas is not None:
        high = max(mine, math.ceil(workload.max_replicas * share - 1e-9))
    per, span = alloc.replicas_per_instance, nodes(alloc)
    return Bounds(
        replicas=mine,
        min_replicas=low,
        max_replicas=high,
        instances=alloc.count,
        min_instances=math.ceil(low / per) * span,
        max_instances=math.ceil(high / per) * span,
    )


def target_concurrency(alloc: Allocation, deploy: Deploy) -> int:
    """In-flight requests per replica at which autoscalers add replicas."""
    return max(1, round((alloc.max_batch or 1) * deploy.target_utilisation))


def target_rps(alloc: Allocation, deploy: Deploy) -> float:
    """Requests/s per replica at which autoscalers add replicas.

    The plan routes `routed_rps` at `utilisation` of what the replicas sustain; the target is
    target_utilisation of that sustainable rate.
    """
    replicas = planned_replicas(alloc)
    routed = alloc.routed_rps or 0.0
    if routed <= 0 or replicas == 0:
        return 1.0
    per_replica = routed / replicas
    if alloc.utilisation:
        per_replica /= alloc.utilisation
    return round(per_replica * deploy.target_utilisation, 4)


def traffic_weights(allocs: list[Allocation]) -> list[float]:
    """Each allocation's share of its group's routed requests (by replicas where none routed)."""
    rates = [a.routed_rps or 0.0 for a in allocs]
    if sum(rates) <= 0:
        rates = [float(planned_replicas(a)) for a in allocs]
    total = sum(rates)
    return [round(r / total, 4) for r in rates]


def percentages(weights: list[float]) -> list[int]:
    """Whole percentages summing to 100, largest remainders first (Vertex traffic splits)."""
    total = sum(weights) or 1.0
    raw = [w * 100 / total for w in weights]
    whole = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (whole[i] - raw[i], i))
    for i in order[: 100 - sum(whole)]:
        whole[i] += 1
    return whole


def runtime(workload: WorkloadResult) -> EngineRuntime:
    """How the workload's engine is deployed (planner/facts/engines.py)."""
    return engine_runtime(workload.engine)


def engine_deploy(deploy: Deploy, engine: str) -> EngineDeploy:
    """The spec's settings for a non-vLLM engine (defaults where it gave none)."""
    return deploy.engines.get(engine) or EngineDeploy()


def server_of(deploy: Deploy, workload: WorkloadResult, alloc: Allocation, target: str) -> Server:
    """The image and command that serve the workload's engine on the allocation's chip for
    `target` (planner/facts/data/serving_images.csv, or the spec's image where it gives one)."""
    return server(deploy, workload.engine, alloc.accelerator, target, alloc.region)


def tp_ranks(alloc: Allocation) -> int:
    """The engine's tensor-parallel size for one replica: its chips, in NeuronCores on Neuron."""
    return alloc.tp * cores_per_device(alloc.accelerator)


def health_path(deploy: Deploy, workload: WorkloadResult) -> str:
    """The server's health route: deploy.health_path for vLLM, the engine's otherwise."""
    return deploy.health_path if workload.engine == "vllm" else runtime(workload).health_path


def running_metric(deploy: Deploy, workload: WorkloadResult) -> str:
    """The per-pod metric of running requests an autoscaler tracks; empty: the engine exports
    none."""
    if workload.engine == "vllm":
        return deploy.autoscaling_metric
    return runtime(workload).running_metric


def refusal(target: str, item: Placed) -> Note | None:
    """Why `target` cannot deploy the allocation with its workload's engine; None if it can."""
    a, w = item.allocation, item.workload
    why = why_not(w.engine, target, a.accelerator, a.kind, nodes(a), kv_dtype(w))
    if not why:
        return None
    text = (
        f"{target}: cannot deploy workload {w.name} (allocation {item.index}, {a.kind} on "
        f"{a.service} {a.instance_type}) with engine {w.engine}: {why}"
    )
    return Note(target, w.name, item.index, text)


def cloud_refusal(target: str, item: Placed) -> Note | None:
    """Why `target` cannot deploy the allocation on its cloud (no managed Kubernetes); None
    if it can or the allocation is on owned capacity."""
    a = item.allocation
    if not is_cloud(a.provider) or cloud(a.provider).has_kubernetes:
        return None
    lacks = cloud(a.provider).missing("managed Kubernetes")
    text = (
        f"{target}: cannot deploy workload {a.workload} (allocation {item.index}, {a.kind} on "
        f"{a.service} {a.instance_type}): {lacks}"
    )
    return Note(target, a.workload, item.index, text)


def kv_dtype(workload: WorkloadResult) -> str:
    """The KV-cache dtype the workload's engine_settings ask for; empty: the engine's default."""
    return str(workload.engine_settings.get("kv_cache_dtype") or "")


def kv_cache_value(workload: WorkloadResult, accelerator: str) -> str:
    """The engine's own name for the KV-cache dtype asked for on `accelerator` (vLLM fp8,
    SGLang fp8_e5m2, an fp4 row's flag value); empty: none asked for, or none known."""
    asked = kv_dtype(workload)
    if asked == "fp8":
        return runtime(workload).flags["kv_cache_fp8"]
    row = kv_cache_row(workload.engine, asked, accelerator) if asked else None
    return row.flag_value if row is not None else ""


def engine_setting_args(workload: WorkloadResult, accelerator: str = "") -> list[str]:
    """The server flags of the engine settings the plan was sized with (the spec's
    engine_settings; the others are the engine's defaults, which the plan assumed)."""
    flag, given, args = runtime(workload).flags, workload.engine_settings, []
    if given.get("max_num_batched_tokens") is not None:
        args += [flag["max_batched_tokens"], str(given["max_num_batched_tokens"])]
    value = kv_cache_value(workload, accelerator)  # checked deployable by refusal()
    if value and flag["kv_cache_dtype"]:
        args += [flag["kv_cache_dtype"], value]
    caching = given.get("prefix_caching")
    if caching is not None:
        switch = flag["prefix_caching_on" if caching else "prefix_caching_off"]
        args += [switch] if switch else []
    return args


def server_args(
    alloc: Allocation,
    workload: WorkloadResult,
    deploy: Deploy,
    dtype: str | None = None,
    download_dir: str = "",
) -> list[str]:
    """The workload's engine server arguments for one replica of this allocation."""
    engine = runtime(workload)
    flag = engine.flags
    model = model_argument(weights_source(deploy, workload))
    args = [flag["model"], model] if flag["model"] else [model]
    if flag["served_name"]:
        args += [flag["served_name"], workload.name]
    args += [flag["port"], str(deploy.port), flag["tp"], str(tp_ranks(alloc))]
    if nodes(alloc) > 1:  # over the replica's instances, on a Ray cluster
        if not spans_slice(alloc.tp, alloc.accelerators_per_instance, nodes(alloc)):
            args += [flag["pp"], str(nodes(alloc))]  # pipeline stages (a slice: TP over all)
        args += ["--distributed-executor-backend", "ray"]
    if alloc.max_batch:
        args += [flag["max_batch"], str(alloc.max_batch)]
    if alloc.max_context:
        args += [flag["max_context"], str(alloc.max_context)]
    args += engine_setting_args(workload, alloc.accelerator)
    args += list(engine.dtype_flags.get(dtype or workload.weights_dtype, ()))
    args += list(engine.extra_args)
    if workload.engine == "vllm":
        args += list(deploy.extra_args)
    else:
        args += list(engine_deploy(deploy, workload.engine).extra_args)
    if download_dir and flag["download_dir"]:
        args += [flag["download_dir"], download_dir]
    return args


def batch_args(alloc: Allocation, workload: WorkloadResult, deploy: Deploy) -> list[str]:
    """Arguments of the offline batch runner (vLLM's run_batch, the only one) for one shard."""
    args = ["-i", deploy.batch_input, "-o", deploy.batch_output]
    args += ["--model", model_argument(weights_source(deploy, workload)), "--tensor-parallel-size"]
    args.append(str(tp_ranks(alloc)))
    if nodes(alloc) > 1:  # pipeline stages over the replica's instances, on a Ray cluster
        flag = runtime(workload).flags["pp"]
        args += [flag, str(nodes(alloc)), "--distributed-executor-backend", "ray"]
    return [*args, *deploy.extra_args]


SHARD_PLACEHOLDER = "$(JOB_COMPLETION_INDEX)"
"""The shard placeholder in deploy.batch_input/batch_output (a Kubernetes indexed Job's)."""
GROUP_RAY_PORT = 6379
"""The port of a batch replica's Ray head (SkyPilot's own Ray runtime uses 6380)."""


def shard_word(word: str, shard: str) -> str:
    """`word` as one shell word, its shard placeholder replaced by the shell variable `shard`."""
    pieces = word.split(SHARD_PLACEHOLDER)
    return f'"${{{shard}}}"'.join(shlex.quote(p) if p else "" for p in pieces) or "''"


def batch_group_script(index: str, size: int, head_host: str, words: list[str]) -> str:
    """The shell script every node of a batch job whose replicas span `size` instances runs.
    The nodes (numbered by the shell variable `index`) form groups of `size` consecutive
    numbers, one per replica and shard. A group's first node starts a Ray head and runs `words`
    (the batch runner) over it, its shard being the group's number; the others join that head
    at `head_host` (a shell expression that may use ${HEAD}, the head's number) and exit once
    it has gone. Every word is shell-quoted."""
    run = " ".join(shard_word(word, "SHARD") for word in words)
    head = f"${{HEAD_HOST}}:{GROUP_RAY_PORT}"
    return (
        f"RANK=$(({index} % {size})); SHARD=$(({index} / {size})); HEAD=$(({index} - RANK))\n"
        f"HEAD_HOST={head_host}\n"
        'if [ "$RANK" -eq 0 ]; then\n'
        f"  ray start --head --port={GROUP_RAY_PORT} || exit 1\n"
        f"  exec {run}\n"
        "fi\n"
        f'until ray start --address="{head}"; do sleep 10; done\n'
        f'while ray health-check --address "{head}" >/dev/null 2>&1; do sleep 30; done\n'
    )


def batch_replicas_script(words: list[str], replicas: int) -> str:
    """A shell script that runs `words` (the batch runner) once per replica at once, each on
    its shard (the placeholder replaced by the replica's number), and fails if any run fails."""
    run = " ".join(shard_word(word, "SHARD") for word in words)
    shards = " ".join(str(i) for i in range(replicas))
    return (
        "status=0\npids=\n"
        f"for SHARD in {shards}; do\n"
        f"  {run} &\n"
        '  pids="$pids $!"\n'
        "done\n"
        'for pid in $pids; do wait "$pid" || status=1; done\n'
        'exit "$status"\n'
    )
