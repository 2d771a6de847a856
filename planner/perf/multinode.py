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

from dataclasses import replace

from planner.facts.accelerators import Accelerator
from planner.facts.llms import LLM
from planner.perf.dtypes import Dtype
from planner.perf.memory import GIB, usable_bytes_per_gpu, weight_bytes
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
