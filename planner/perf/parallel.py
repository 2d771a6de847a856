"""Tensor-parallel degrees: which are valid for a model on an instance, and how heads split."""

from __future__ import annotations

from planner.facts.llms import LLM


def _is_power_of_two(n: int) -> bool:
    return n >= 1 and n & (n - 1) == 0


def tp_problem(model: LLM, tp: int, count: int | None = None) -> str | None:
    """Why `tp` is not a usable tensor-parallel degree for `model` (on `count` chips), or None.

    Engines such as vLLM split attention heads evenly and either split or replicate KV heads,
    so TP must divide the attention heads and divide, or be a multiple of, the KV heads.
    """
    if not _is_power_of_two(tp):
        return f"TP must be a power of two, got {tp}"
    if count is not None and (tp > count or count % tp):
        return f"TP {tp} does not divide the {count} accelerators of the instance"
    if model.attention_heads % tp:
        return (
            f"TP {tp} does not divide the {model.attention_heads} attention heads of {model.name}"
        )
    if model.kv_heads % tp and tp % model.kv_heads:
        return f"TP {tp} neither divides nor is a multiple of the {model.kv_heads} KV heads"
    return None


def valid_tp_degrees(model: LLM, count: int) -> tuple[int, ...]:
    """Usable tensor-parallel degrees for `model` on an instance with `count` accelerators."""
    if count < 1:
        raise ValueError(f"accelerator count must be at least 1, got {count}")
    degrees = []
    tp = 1
    while tp <= count:
        if tp_problem(model, tp, count) is None:
            degrees.append(tp)
        tp *= 2
    return tuple(degrees)


def kv_heads_per_gpu(model: LLM, tp: int) -> int:
    """KV heads each accelerator stores: split when TP divides them, one replica each beyond."""
    return max(1, model.kv_heads // tp)


def replicas_per_instance(count: int, tp: int) -> int:
    """How many TP-wide replicas an instance with `count` accelerators holds."""
    if count < 1 or tp < 1:
        raise ValueError(f"count and tp must be at least 1, got count={count}, tp={tp}")
    return count // tp
