"""Replicas that span several instances: tensor parallel over the chips inside each instance,
pipeline parallel across the instances (as vLLM runs a model too large for one machine).

The performance model sees such a replica as a TP-wide replica on a *pipeline accelerator*:
the same chip with the memory of all its pipeline stages (each stage holds 1/stages of the
layers, so of the weights and of the KV cache), whose every engine step also sends the batch's
activations from stage to stage over the link between the instances (the NVLink of an NVL72
rack inside its scale-up domain, the instance's scale-out network beyond it). A step is not
shortened by the stages: every token still passes all the layers, and the micro-batches that
keep the stages busy are not modelled (conservative for throughput, close for TPOT).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from planner.facts.accelerators import Accelerator
from planner.facts.llms import LLM
from planner.perf.dtypes import Dtype
from planner.perf.memory import GIB, usable_bytes_per_gpu, weight_bytes
from planner.perf.rates import training_hours
from planner.perf.settings import PerfSettings

MAX_NODES = 8
"""Most instances one replica may span."""
KV_HEADROOM = 0.1
"""Share of a replica's usable memory left for the KV cache when choosing how many instances a
replica needs (a replica with room only for its weights serves nothing)."""


def stage_link_gbps(accelerator: Accelerator, chips: int, network_gbps: float | None) -> float:
    """Bytes/s (as GB/s) between pipeline stages: the chip's NVLink while the whole replica
    (`chips`) stays inside its scale-up domain (an NVL72 rack), else the instance's scale-out
    network (Gbit/s, converted); 0 when neither is known."""
    if accelerator.topology == "switch" and chips <= accelerator.scale_up_domain:
        return accelerator.interconnect_gbps
    return (network_gbps or 0.0) / 8


def pipeline_accelerator(
    accelerator: Accelerator, stages: int, settings: PerfSettings, link_gbps: float
) -> Accelerator:
    """The chip as a replica of `stages` pipeline stages sees it: `stages` times the usable
    memory (the runtime's fixed share counted on every stage) and `link_gbps` between stages."""
    if stages <= 1:
        return accelerator
    u = settings.memory_utilization
    usable = usable_bytes_per_gpu(accelerator, settings) / GIB
    memory = (stages * usable + settings.overhead_gib) / u
    return replace(accelerator, memory_gb=memory, pipeline_stages=stages,
                   stage_link_gbps=link_gbps)  # fmt: skip


def nodes_needed(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    weights_dtype: str | Dtype,
    settings: PerfSettings,
    most: int = MAX_NODES,
) -> int | None:
    """The fewest instances (of `tp` chips each) whose memory holds the weights with
    KV_HEADROOM left; None if more than `most` would be needed."""
    per_chip = usable_bytes_per_gpu(accelerator, settings)
    weights = weight_bytes(model, weights_dtype)
    for nodes in range(1, most + 1):
        if weights <= (1 - KV_HEADROOM) * per_chip * tp * nodes:
            return nodes
    return None


def replica_chip(
    accelerator: Accelerator,
    tp: int,
    nodes: int,
    settings: PerfSettings,
    network_gbps: float | None,
) -> Accelerator | None:
    """The chip as a replica of `tp` chips on each of `nodes` instances sees it (itself on one
    instance); None when the replica spans instances joined by no known link."""
    if nodes <= 1:
        return accelerator
    link = stage_link_gbps(accelerator, tp * nodes, network_gbps)
    if link <= 0:
        return None
    return pipeline_accelerator(accelerator, nodes, settings, link)


def spans_slice(tp: int, per_instance: int, nodes: int) -> bool:
    """Whether a replica of `tp` chips over `nodes` instances of `per_instance` chips is one
    tensor-parallel group over all of them (a multi-host TPU slice, its hosts joined by the
    chips' ICI), not a pipeline of instances."""
    return nodes > 1 and tp == per_instance * nodes


def replica_view(
    accelerator: Accelerator,
    tp: int,
    per_instance: int,
    nodes: int,
    settings: PerfSettings,
    network_gbps: float | None,
) -> Accelerator | None:
    """The chip as a replica of `tp` chips over `nodes` instances of `per_instance` sees it:
    itself within one instance or across a multi-host slice (TP over the ICI torus, which the
    chip's facts describe), else a pipeline's view (replica_chip)."""
    if nodes <= 1 or spans_slice(tp, per_instance, nodes):
        return accelerator
    return replica_chip(accelerator, tp, nodes, settings, network_gbps)


TRAINING_TOKENS_PER_STEP = 2**20
"""Tokens in one optimizer step of a training job (its global batch), an assumption: about a
million tokens, between fine-tuning batches (hundreds of thousands) and pre-training's (Llama
3 405B: 4 to 16 million). Sets how often the gang exchanges its parameters over the network."""
FSDP_PASSES = 3
"""Parameter-sized transfers per step of a gang that shards its training state (ZeRO-3 /
FSDP): all-gather of the weights in the forward and the backward pass, reduce-scatter of the
gradients; each in 16 bits."""


def training_chips(
    model: LLM,
    memory_gb: float,
    per_instance: int,
    gang: int,
    bytes_per_param: float,
    settings: PerfSettings,
    most: int = MAX_NODES,
) -> int | None:
    """Chips a training gang of at least `gang` runs on: `gang` itself while their memory
    (`memory_gb` each, the usable share of it) holds the training state (`bytes_per_param` per
    parameter, sharded over the gang), else
    the fewest whole instances of `per_instance` chips (at most `most` of them) that hold it;
    None when even those do not."""
    need = model.params_b * 1e9 * bytes_per_param
    per_chip = memory_gb * 1e9 * settings.memory_utilization
    if need <= per_chip * gang:
        return gang
    nodes = max(math.ceil(gang / per_instance), 1)
    while nodes <= most:
        if need <= per_chip * nodes * per_instance:
            return nodes * per_instance
        nodes += 1
    return None


def training_network_hours(
    model: LLM, instances: int, tokens: float, network_gbps: float | None
) -> float:
    """Hours a gang over `instances` instances spends moving its sharded parameters and
    gradients between them (FSDP_PASSES ring passes of the 16-bit parameters per step of
    TRAINING_TOKENS_PER_STEP, over each instance's scale-out network); 0 on one instance or
    when `network_gbps` is None (not counted: owned clusters declare no network, and an
    instance type missing from planner/catalog/data/networks.csv has no figure to use)."""
    if instances <= 1 or tokens <= 0 or network_gbps is None:
        return 0.0
    if network_gbps <= 0:
        return math.inf
    steps = tokens / TRAINING_TOKENS_PER_STEP
    per_step = FSDP_PASSES * 2 * model.params_b * 1e9 * (instances - 1) / instances
    return steps * per_step / (network_gbps / 8 * 1e9) / 3600


def gang_training_hours(
    model: LLM,
    accelerator: Accelerator,
    chips: int,
    instances: int,
    tokens: float,
    settings: PerfSettings,
    network_gbps: float | None,
) -> float:
    """Wall-clock hours of a training gang of `chips` chips over `instances` instances: the
    compute time (planner.perf.rates.training_hours) or, where it is longer, the time the
    instances' network needs for the parameter exchange (overlapped with compute, as FSDP
    prefetches)."""
    compute = training_hours(model, accelerator, chips, tokens, settings)
    return max(compute, training_network_hours(model, instances, tokens, network_gbps))


@dataclass(frozen=True)
class Gang:
    """How a training job of a given model runs on one instance type."""

    chips: int
    instances: int
    hours: float


def training_gang(
    model: LLM,
    accelerator: Accelerator,
    memory_gb: float,
    per_instance: int,
    gang: int,
    tokens: float,
    bytes_per_param: float,
    settings: PerfSettings,
    network_gbps: float | None,
) -> Gang | None:
    """The gang (training_chips) and its hours (gang_training_hours) of training `model` on
    `tokens` tokens on instances of `per_instance` chips of `memory_gb` each; None when no gang
    of at most MAX_NODES instances holds the training state."""
    chips = training_chips(model, memory_gb, per_instance, gang, bytes_per_param, settings)
    if chips is None:
        return None
    instances = math.ceil(chips / per_instance)
    hours = gang_training_hours(model, accelerator, chips, instances, tokens, settings,
                                network_gbps)  # fmt: skip
    return Gang(chips=chips, instances=instances, hours=hours)
