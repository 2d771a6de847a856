"""Memory fit of one replica: weights, runtime overhead and KV cache per accelerator.

Accelerator memory is read as GiB (vendors size HBM in binary units: an "80 GB" H100 holds
80 GiB); the usable fraction and a fixed overhead then leave room for the runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from planner.facts.accelerators import Accelerator
from planner.facts.llms import LLM
from planner.perf.dtypes import Dtype, as_dtype, as_kv_dtype
from planner.perf.parallel import kv_heads_per_gpu, tp_problem, valid_tp_degrees
from planner.perf.settings import DEFAULT_SETTINGS, PerfSettings

GIB = 2**30


@cache
def weight_bytes(model: LLM, dtype: str | Dtype = Dtype.bf16) -> float:
    """Bytes of all weights in `dtype`.

    Quantized checkpoints keep the embedding and output layers in 16 bits; both are counted
    (as if untied), which slightly overstates tied models.
    """
    dtype = as_dtype(dtype)
    total = model.params_b * 1e9
    if not dtype.is_quantized:
        return total * dtype.bytes_per_value
    embed = min(total, 2.0 * model.vocab_size * model.hidden_size)
    return (total - embed) * dtype.bytes_per_value + embed * 2.0


def kv_bytes_per_token(model: LLM, kv_dtype: str | Dtype = Dtype.bf16) -> int:
    """KV-cache bytes one token takes in a whole replica (K and V, all layers and KV heads)."""
    return int(model.kv_bytes_per_token(as_kv_dtype(kv_dtype).bytes_per_value))


def kv_bytes_per_token_per_gpu(model: LLM, tp: int, kv_dtype: str | Dtype = Dtype.bf16) -> int:
    """KV-cache bytes one token takes on each accelerator of a TP-wide replica."""
    per_value = as_kv_dtype(kv_dtype).bytes_per_value
    return int(2 * model.layers * kv_heads_per_gpu(model, tp) * model.head_dim * per_value)


def usable_bytes_per_gpu(accelerator: Accelerator, settings: PerfSettings) -> float:
    """Bytes of one accelerator left for weights and KV cache after the runtime's share."""
    total = accelerator.memory_gb * GIB
    return total * settings.memory_utilization - settings.overhead_gib * GIB


@dataclass(frozen=True)
class MemoryFit:
    """How a TP-wide replica's memory divides up for a given context length and batch."""

    tp: int
    context_tokens: int
    batch: int
    usable_gib_per_gpu: float
    weights_gib_per_gpu: float
    free_kv_gib_per_gpu: float
    kv_bytes_per_token: int
    kv_bytes_per_token_per_gpu: int
    kv_capacity_tokens: int
    max_batch: int
    fits: bool
    reason: str = ""


def memory_fit(
    model: LLM,
    accelerator: Accelerator,
    tp: int = 1,
    context_tokens: int = 1,
    batch: int = 1,
    weights_dtype: str | Dtype = Dtype.bf16,
    kv_dtype: str | Dtype = Dtype.bf16,
    settings: PerfSettings = DEFAULT_SETTINGS,
) -> MemoryFit:
    """Whether `batch` sequences of `context_tokens` fit on a replica of `tp` accelerators.

    max_batch is the most sequences of that context whose KV cache fits (memory only).
    """
    problem = tp_problem(model, tp, accelerator=accelerator)
    if problem:
        raise ValueError(problem)
    if context_tokens < 1 or batch < 1:
        raise ValueError(
            f"context_tokens and batch must be at least 1, got {context_tokens}, {batch}"
        )
    usable = usable_bytes_per_gpu(accelerator, settings)
    weights = weight_bytes(model, weights_dtype) / tp
    free = usable - weights
    per_token = kv_bytes_per_token_per_gpu(model, tp, kv_dtype)
    capacity = max(0, int(free // per_token))
    too_long = bool(model.max_context) and context_tokens > model.max_context
    max_batch = 0 if too_long else capacity // context_tokens
    reason = ""
    if free <= 0:
        reason = (
            f"weights need {weights / GIB:.1f} GiB per accelerator at TP {tp} but only "
            f"{usable / GIB:.1f} GiB of {accelerator.name}'s {accelerator.memory_gb:g} GB "
            "are usable"
        )
    elif too_long:
        reason = f"context {context_tokens} exceeds {model.name}'s maximum of {model.max_context}"
    elif max_batch < batch:
        reason = (
            f"KV cache holds {capacity} tokens per replica, fewer than {batch} x {context_tokens}"
        )
    return MemoryFit(
        tp=tp,
        context_tokens=context_tokens,
        batch=batch,
        usable_gib_per_gpu=usable / GIB,
        weights_gib_per_gpu=weights / GIB,
        free_kv_gib_per_gpu=max(0.0, free) / GIB,
        kv_bytes_per_token=kv_bytes_per_token(model, kv_dtype),
        kv_bytes_per_token_per_gpu=per_token,
        kv_capacity_tokens=capacity,
        max_batch=max_batch,
        fits=not reason,
        reason=reason,
    )


def smallest_fitting_tp(
    model: LLM,
    accelerator: Accelerator,
    count: int,
    context_tokens: int,
    weights_dtype: str | Dtype = Dtype.bf16,
    kv_dtype: str | Dtype = Dtype.bf16,
    settings: PerfSettings = DEFAULT_SETTINGS,
) -> int | None:
    """The smallest valid TP on `count` accelerators that fits one sequence, or None."""
    for tp in valid_tp_degrees(model, count, accelerator):
        fit = memory_fit(
            model, accelerator, tp, context_tokens, 1, weights_dtype, kv_dtype, settings
        )
        if fit.fits:
            return tp
    return None
