"""Tensor-parallel degrees: which are valid for a model on an instance, and how heads split."""

from __future__ import annotations

from functools import lru_cache

from planner.facts.accelerators import Accelerator
from planner.facts.llms import LLM

KV_REPLICATING_FAMILIES = frozenset({"neuron"})
"""Families whose engines shard attention to any TP degree their chips allow: Neuron's libraries
replicate KV heads to the TP degree and pad the attention heads to a multiple of it (AWS's
published Inf2/Trn1 runs serve Llama 3 8B, 32 heads, and Llama 3 70B, 64 heads, on 24 and 32
NeuronCores: planner/facts/data/engine_measurements.csv, sources neuron-2.18-*). The padded
heads' extra attention work is not modelled."""


def _is_power_of_two(n: int) -> bool:
    return n >= 1 and n & (n - 1) == 0


def _degree_allowed(tp: int, accelerator: Accelerator | None) -> str | None:
    if accelerator is not None and accelerator.tp_degrees:
        if tp not in accelerator.tp_degrees:
            shown = ", ".join(map(str, accelerator.tp_degrees))
            return f"TP on {accelerator.name} must be one of {shown}, got {tp}"
        return None
    if not _is_power_of_two(tp):
        return f"TP must be a power of two, got {tp}"
    return None


def tp_problem(
    model: LLM, tp: int, count: int | None = None, accelerator: Accelerator | None = None
) -> str | None:
    """Why `tp` is not a usable tensor-parallel degree for `model` (on `count` chips of
    `accelerator`), or None.

    The degrees a chip allows are its facts' `tp_degrees` (Inferentia2: NeuronCore groups of
    2/4/8/12/24 cores, 1/2/4/6/12 chips), powers of two otherwise. Engines such as vLLM split
    attention heads evenly and either split or replicate KV heads, so TP must divide the
    attention heads and divide, or be a multiple of, the KV heads (Neuron pads attention heads
    and replicates KV heads to any degree its chips allow).
    """
    problem = _degree_allowed(tp, accelerator)
    if problem:
        return problem
    if count is not None and (tp > count or count % tp):
        return f"TP {tp} does not divide the {count} accelerators of the instance"
    replicates = accelerator is not None and accelerator.family in KV_REPLICATING_FAMILIES
    if not replicates and model.attention_heads % tp:
        return (
            f"TP {tp} does not divide the {model.attention_heads} attention heads of {model.name}"
        )
    if not replicates and model.kv_heads % tp and tp % model.kv_heads:
        return f"TP {tp} neither divides nor is a multiple of the {model.kv_heads} KV heads"
    return None


@lru_cache(maxsize=4096)
def valid_tp_degrees(
    model: LLM, count: int, accelerator: Accelerator | None = None
) -> tuple[int, ...]:
    """Usable tensor-parallel degrees for `model` on an instance with `count` accelerators
    (of `accelerator`, whose facts may allow degrees other than powers of two)."""
    if count < 1:
        raise ValueError(f"accelerator count must be at least 1, got {count}")
    if accelerator is not None and accelerator.tp_degrees:
        tried = [tp for tp in accelerator.tp_degrees if tp <= count]
    else:
        tried = [1 << k for k in range(count.bit_length()) if 1 << k <= count]
    return tuple(tp for tp in tried if tp_problem(model, tp, count, accelerator) is None)


def kv_heads_per_gpu(model: LLM, tp: int) -> int:
    """KV heads each accelerator stores: split when TP divides them, one replica each beyond."""
    return max(1, model.kv_heads // tp)


def replicas_per_instance(count: int, tp: int) -> int:
    """How many TP-wide replicas an instance with `count` accelerators holds."""
    if count < 1 or tp < 1:
        raise ValueError(f"count and tp must be at least 1, got count={count}, tp={tp}")
    return count // tp
