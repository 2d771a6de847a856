"""Roofline timing of prefill and decode: the slower of compute and memory traffic, plus TP comms.

Every time is in seconds for one TP-wide replica; efficiencies come from PerfSettings.
"""

from __future__ import annotations

from planner.facts.accelerators import Accelerator
from planner.facts.llms import LLM
from planner.perf.dtypes import Dtype, as_dtype
from planner.perf.memory import kv_bytes_per_token_per_gpu, weight_bytes
from planner.perf.settings import DEFAULT_SETTINGS, PerfSettings

ACTIVATION_BYTES = 2.0


def peak_flops(accelerator: Accelerator, weights_dtype: str | Dtype = Dtype.bf16) -> float:
    """Dense peak FLOP/s of one chip: FP8 for fp8 weights where the chip has FP8, else BF16.

    int8/int4 checkpoints are treated as weight-only (16-bit compute), the common case.
    """
    if as_dtype(weights_dtype) is Dtype.fp8 and accelerator.fp8_tflops:
        return accelerator.fp8_tflops * 1e12
    return accelerator.bf16_tflops * 1e12


def weights_read_fraction(model: LLM, batch: float) -> float:
    """Share of the weights one decode step reads: all for dense models; for mixture-of-experts,
    the expected share of experts `batch` tokens touch when each uses active/total of them."""
    share = model.active_params_b / model.params_b
    if share >= 1:
        return 1.0
    return 1.0 - (1.0 - share) ** batch


def allreduce_seconds(
    model: LLM, accelerator: Accelerator, tp: int, tokens: float, settings: PerfSettings
) -> float:
    """Tensor-parallel communication for one forward pass over `tokens` tokens.

    Two ring all-reduces per layer of tokens x hidden activations, each moving 2(TP-1)/TP of
    the message per chip, plus a fixed latency each; zero at TP 1.
    """
    if tp == 1:
        return 0.0
    message = tokens * model.hidden_size * ACTIVATION_BYTES
    link = accelerator.interconnect_gbps * 1e9 * settings.link_utilization
    per_allreduce = 2 * (tp - 1) / tp * message / link + settings.allreduce_latency_us * 1e-6
    return 2 * model.layers * per_allreduce


def prefill_seconds(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    tokens: int,
    weights_dtype: str | Dtype = Dtype.bf16,
    settings: PerfSettings = DEFAULT_SETTINGS,
) -> float:
    """Time to process a `tokens`-long prompt: linear-layer and causal-attention FLOPs at MFU,
    or one read of the weights at MBU if that is slower, plus TP communication."""
    attention_width = model.attention_heads * model.head_dim
    linear = 2 * model.active_params_b * 1e9 * tokens
    flops = linear + 2 * model.layers * tokens**2 * attention_width
    compute = flops / (tp * settings.mfu * peak_flops(accelerator, weights_dtype))
    memory = weight_bytes(model, weights_dtype) / tp / (settings.mbu * _bandwidth(accelerator))
    return max(compute, memory) + allreduce_seconds(model, accelerator, tp, tokens, settings)


def decode_step_seconds(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    batch: float,
    context_tokens: float,
    weights_dtype: str | Dtype = Dtype.bf16,
    kv_dtype: str | Dtype = Dtype.bf16,
    settings: PerfSettings = DEFAULT_SETTINGS,
) -> float:
    """Time of one decode step producing a token for each of `batch` sequences of
    `context_tokens` context: reading weights and KV cache at MBU, or the step's FLOPs at MFU
    if slower, plus TP communication."""
    weights = weight_bytes(model, weights_dtype) * weights_read_fraction(model, batch) / tp
    kv = batch * context_tokens * kv_bytes_per_token_per_gpu(model, tp, kv_dtype)
    memory = (weights + kv) / (settings.mbu * _bandwidth(accelerator))
    attention_width = model.attention_heads * model.head_dim
    flops = batch * (
        2 * model.active_params_b * 1e9 + 4 * model.layers * context_tokens * attention_width
    )
    compute = flops / (tp * settings.mfu * peak_flops(accelerator, weights_dtype))
    return max(memory, compute) + allreduce_seconds(model, accelerator, tp, batch, settings)


def _bandwidth(accelerator: Accelerator) -> float:
    return accelerator.bandwidth_gbps * 1e9
