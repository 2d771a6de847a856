"""Timing of one engine step: the slower of compute and memory traffic, plus a fixed step
overhead and tensor-parallel communication.

Every time is in seconds for one TP-wide replica. Efficiencies (MFU, MBU, overhead, all-reduce
latency, link utilisation) come from planner.perf.efficiency: fitted per accelerator family,
overridable in PerfSettings; the engine's factor (planner.perf.engines) scales MFU and MBU.
"""

from __future__ import annotations

import math

from planner.facts.accelerators import Accelerator
from planner.facts.llms import LLM
from planner.perf.dtypes import Dtype, as_dtype
from planner.perf.efficiency import Efficiency, efficiency
from planner.perf.engines import engine_factor
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


def weights_read_fraction(model: LLM, tokens: float) -> float:
    """Share of the weights one step over `tokens` tokens reads: all for dense models; for
    mixture-of-experts, the expected share of experts the tokens touch when each uses
    active/total of them."""
    share = model.active_params_b / model.params_b
    if share >= 1:
        return 1.0
    return 1.0 - (1.0 - share) ** max(1.0, tokens)


def _efficiency(accelerator: Accelerator, settings: PerfSettings) -> tuple[Efficiency, float]:
    return efficiency(accelerator, settings), engine_factor(settings.engine)


def allreduce_seconds(
    model: LLM, accelerator: Accelerator, tp: int, tokens: float, settings: PerfSettings
) -> float:
    """Tensor-parallel communication for one forward pass over `tokens` tokens.

    Two ring all-reduces per layer of tokens x hidden activations, each moving 2(TP-1)/TP of
    the message over the one-way link bandwidth (half the listed both-ways figure) at the
    fitted utilisation, plus a fixed latency each; zero at TP 1.
    """
    transfer, latency = _allreduce_parts(model, accelerator, tp, tokens, settings)
    return transfer + latency


def _allreduce_parts(
    model: LLM, accelerator: Accelerator, tp: int, tokens: float, settings: PerfSettings
) -> tuple[float, float]:
    """(transfer, fixed latency) seconds of one forward pass's all-reduces."""
    if tp == 1:
        return 0.0, 0.0
    eff = efficiency(accelerator, settings)
    message = tokens * model.hidden_size * ACTIVATION_BYTES
    link = accelerator.interconnect_gbps / 2 * 1e9 * eff.link_utilization
    count = 2 * model.layers
    return count * 2 * (tp - 1) / tp * message / link, count * eff.allreduce_latency_us * 1e-6


def prefill_flops_per_token(model: LLM, input_tokens: float) -> float:
    """FLOPs of one prompt token: the linear layers and its share of causal attention."""
    width = model.attention_heads * model.head_dim
    return 2 * model.active_params_b * 1e9 + 2 * model.layers * input_tokens * width


def decode_flops_per_token(model: LLM, context_tokens: float) -> float:
    """FLOPs of one generated token at `context_tokens` of context."""
    width = model.attention_heads * model.head_dim
    return 2 * model.active_params_b * 1e9 + 4 * model.layers * context_tokens * width


def step_seconds(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    batch: float,
    context_tokens: float,
    prefill_tokens: float = 0.0,
    input_tokens: float = 0.0,
    weights_dtype: str | Dtype = Dtype.bf16,
    kv_dtype: str | Dtype = Dtype.bf16,
    settings: PerfSettings = DEFAULT_SETTINGS,
) -> float:
    """One engine step that decodes a token for each of `batch` sequences of `context_tokens`
    context and, in the same pass, prefills `prefill_tokens` prompt tokens (chunked prefill) of
    prompts `input_tokens` long. The weights are read once for all of them."""
    eff, factor = _efficiency(accelerator, settings)
    tokens = batch + prefill_tokens
    bandwidth = eff.mbu * factor * accelerator.bandwidth_gbps * 1e9
    flops_per_s = tp * eff.mfu * factor * peak_flops(accelerator, weights_dtype)
    width = model.attention_heads * model.head_dim
    weights = weight_bytes(model, weights_dtype) * weights_read_fraction(model, tokens) / tp
    linear = max(weights / bandwidth, tokens * 2 * model.active_params_b * 1e9 / flops_per_s)
    kv = batch * context_tokens * kv_bytes_per_token_per_gpu(model, tp, kv_dtype)
    attention_flops = (
        model.layers * width * (4 * batch * context_tokens + 2 * prefill_tokens * input_tokens)
    )
    kv_bandwidth = eff.kv_mbu * factor * accelerator.bandwidth_gbps * 1e9
    attention = max(kv / kv_bandwidth, attention_flops / flops_per_s)
    comm = allreduce_seconds(model, accelerator, tp, tokens, settings)
    overhead = eff.step_overhead_ms * 1e-3 + batch * eff.sequence_overhead_us * 1e-6
    return overhead + linear + attention + comm


def prefill_seconds(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    tokens: int,
    weights_dtype: str | Dtype = Dtype.bf16,
    settings: PerfSettings = DEFAULT_SETTINGS,
) -> float:
    """Time to prefill one `tokens`-long prompt on an idle replica: chunks of at most
    max_batched_tokens, each a step of its own."""
    chunks = max(1, math.ceil(tokens / settings.max_batched_tokens))
    chunk = tokens / chunks
    one = step_seconds(
        model, accelerator, tp, 0.0, 0.0, chunk, tokens, weights_dtype, Dtype.bf16, settings
    )
    return chunks * one


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
    """One decode step of `batch` sequences of `context_tokens` context, with no prefill."""
    return step_seconds(
        model, accelerator, tp, batch, context_tokens, 0.0, 0.0, weights_dtype, kv_dtype, settings
    )
