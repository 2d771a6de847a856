"""Timing of one engine step: the slower of compute and memory traffic, plus a fixed step
overhead and tensor-parallel communication.

Every time is in seconds for one TP-wide replica. Efficiencies (MFU, MBU, overhead, all-reduce
latency, link utilisation) come from planner.perf.efficiency: fitted per accelerator family,
overridable in PerfSettings; the engine's factor (planner.perf.engines) scales MFU and MBU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from planner.facts.accelerators import Accelerator
from planner.facts.llms import LLM
from planner.perf.admission import admission
from planner.perf.comm import ring_bandwidth_gbps
from planner.perf.dtypes import Dtype, as_dtype, as_kv_dtype
from planner.perf.efficiency import Efficiency, efficiency
from planner.perf.engines import engine_factor
from planner.perf.memory import kv_bytes_per_token_per_gpu, weight_bytes
from planner.perf.settings import DEFAULT_SETTINGS, PerfSettings

ACTIVATION_BYTES = 2.0


def peak_flops(accelerator: Accelerator, weights_dtype: str | Dtype = Dtype.bf16) -> float:
    """Dense peak FLOP/s of one chip: FP8 for fp8 weights where the chip has FP8, FP4 for fp4
    weights where it has FP4 (NVFP4/MXFP4 tensor cores), else BF16.

    int8/int4 checkpoints, and fp4 ones on chips without FP4 (weight-only kernels such as
    Marlin), are treated as weight-only: 16-bit compute.
    """
    dtype = as_dtype(weights_dtype)
    if dtype is Dtype.fp8 and accelerator.fp8_tflops:
        return accelerator.fp8_tflops * 1e12
    if dtype is Dtype.fp4 and accelerator.fp4_tflops:
        return accelerator.fp4_tflops * 1e12
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
    """Tensor-parallel communication for one forward pass over `tokens` tokens (see
    StepModel.allreduce)."""
    return step_model(model, accelerator, tp, settings=settings).allreduce(tokens)


def prefill_flops_per_token(model: LLM, input_tokens: float) -> float:
    """FLOPs of one prompt token: the linear layers and its share of causal attention."""
    width = model.attention_heads * model.head_dim
    return 2 * model.active_params_b * 1e9 + 2 * model.layers * input_tokens * width


def decode_flops_per_token(model: LLM, context_tokens: float) -> float:
    """FLOPs of one generated token at `context_tokens` of context."""
    width = model.attention_heads * model.head_dim
    return 2 * model.active_params_b * 1e9 + 4 * model.layers * context_tokens * width


@dataclass(frozen=True)
class StepModel:
    """The step time of one TP-wide replica of `model` (its dtypes and settings fixed), with
    every constant of the formula worked out once: the performance model asks for thousands
    of steps of the same replica while it searches for a batch."""

    model: LLM
    accelerator: Accelerator
    tp: int
    weights_dtype: Dtype
    kv_dtype: Dtype
    settings: PerfSettings

    # worked out once in __post_init__ from the fields above
    _bandwidth: float = field(init=False, repr=False, compare=False)
    _flops_per_s: float = field(init=False, repr=False, compare=False)
    _layers_width: int = field(init=False, repr=False, compare=False)
    _weights: float = field(init=False, repr=False, compare=False)
    _dense: bool = field(init=False, repr=False, compare=False)
    _kv_per_token: int = field(init=False, repr=False, compare=False)
    _kv_bandwidth: float = field(init=False, repr=False, compare=False)
    _overhead: float = field(init=False, repr=False, compare=False)
    _per_sequence_us: float = field(init=False, repr=False, compare=False)
    _ring: float = field(init=False, repr=False, compare=False)
    _link: float = field(init=False, repr=False, compare=False)
    _latency: float = field(init=False, repr=False, compare=False)
    _stage_per_token: float = field(init=False, repr=False, compare=False)
    _stage_latency: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        eff, factor = _efficiency(self.accelerator, self.settings)
        model, tp, accelerator = self.model, self.tp, self.accelerator
        ring = link = latency = stage_per_token = stage_latency = 0.0
        hops = accelerator.pipeline_stages - 1
        if hops > 0 and accelerator.stage_link_gbps > 0:
            # each step hands the batch's activations from stage to stage
            bytes_per_token = model.hidden_size * ACTIVATION_BYTES
            stage_per_token = hops * bytes_per_token / (accelerator.stage_link_gbps * 1e9)
            stage_latency = hops * eff.allreduce_latency_us * 1e-6
        if tp > 1:
            count = 2 * model.layers
            ring = count * 2 * (tp - 1) / tp
            link = ring_bandwidth_gbps(accelerator, tp) / 2 * 1e9 * eff.link_utilization
            latency = count * eff.allreduce_latency_us * 1e-6
        constants = {
            "_bandwidth": eff.mbu * factor * accelerator.bandwidth_gbps * 1e9,
            "_flops_per_s": tp * eff.mfu * factor * peak_flops(accelerator, self.weights_dtype),
            "_layers_width": model.layers * (model.attention_heads * model.head_dim),
            "_weights": weight_bytes(model, self.weights_dtype),
            "_dense": model.active_params_b >= model.params_b,
            "_kv_per_token": kv_bytes_per_token_per_gpu(model, tp, self.kv_dtype),
            "_kv_bandwidth": eff.kv_mbu * factor * accelerator.bandwidth_gbps * 1e9,
            "_overhead": eff.step_overhead_ms * 1e-3,
            "_per_sequence_us": eff.sequence_overhead_us,
            "_ring": ring,
            "_link": link,
            "_latency": latency,
            "_stage_per_token": stage_per_token,
            "_stage_latency": stage_latency,
        }
        for name, value in constants.items():
            object.__setattr__(self, name, value)

    def seconds(
        self,
        batch: float,
        context_tokens: float,
        prefill_tokens: float = 0.0,
        input_tokens: float = 0.0,
    ) -> float:
        """One step: a token for each of `batch` sequences of `context_tokens` context and,
        in the same pass, `prefill_tokens` prompt tokens of prompts `input_tokens` long."""
        model = self.model
        tokens = batch + prefill_tokens
        read = 1.0 if self._dense else weights_read_fraction(model, tokens)
        weights = self._weights * read / self.tp
        linear = max(
            weights / self._bandwidth,
            tokens * 2 * model.active_params_b * 1e9 / self._flops_per_s,
        )
        kv = batch * context_tokens * self._kv_per_token
        # layers x width, as one integer: the same product the attention FLOPs always had
        attention_flops = self._layers_width * (
            4 * batch * context_tokens + 2 * prefill_tokens * input_tokens
        )
        attention = max(kv / self._kv_bandwidth, attention_flops / self._flops_per_s)
        comm = self.allreduce(tokens)
        overhead = self._overhead + batch * self._per_sequence_us * 1e-6
        stages = tokens * self._stage_per_token + self._stage_latency  # 0 on one instance
        return overhead + linear + attention + comm + stages

    def allreduce(self, tokens: float) -> float:
        """Tensor-parallel communication for one forward pass over `tokens` tokens: two ring
        all-reduces per layer of tokens x hidden activations, each moving 2(TP-1)/TP of the
        message over the one-way link bandwidth (half the both-ways figure the instance's
        link graph gives at this TP: planner.perf.comm) at the fitted utilisation, plus a
        fixed latency each; zero at TP 1."""
        if self.tp == 1:
            return 0.0
        message = tokens * self.model.hidden_size * ACTIVATION_BYTES
        return self._ring * message / self._link + self._latency


@lru_cache(maxsize=4096)
def _step_model(model, accelerator, tp, weights_dtype, kv_dtype, settings) -> StepModel:
    return StepModel(model, accelerator, tp, weights_dtype, kv_dtype, settings)


def step_model(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    weights_dtype: str | Dtype = Dtype.bf16,
    kv_dtype: str | Dtype = Dtype.bf16,
    settings: PerfSettings = DEFAULT_SETTINGS,
) -> StepModel:
    """The (cached) step model of one replica."""
    return _step_model(model, accelerator, tp, as_dtype(weights_dtype), as_kv_dtype(kv_dtype),
                       settings)  # fmt: skip


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
    steps = step_model(model, accelerator, tp, weights_dtype, kv_dtype, settings)
    return steps.seconds(batch, context_tokens, prefill_tokens, input_tokens)


def prefill_seconds(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    tokens: float,
    weights_dtype: str | Dtype = Dtype.bf16,
    settings: PerfSettings = DEFAULT_SETTINGS,
    context_tokens: float | None = None,
) -> float:
    """Time to prefill `tokens` prompt tokens of one prompt `context_tokens` long (default:
    the whole prompt; longer when a cached prefix precedes them) on an idle replica: with
    chunked prefill, chunks of at most max_batched_tokens, each a step of its own."""
    rules = admission(accelerator, settings)
    chunks = 1
    if rules.chunked_prefill:
        chunks = max(1, math.ceil(tokens / rules.max_batched_tokens))
    chunk = tokens / chunks
    context = tokens if context_tokens is None else context_tokens
    one = step_seconds(
        model, accelerator, tp, 0.0, 0.0, chunk, context, weights_dtype, Dtype.bf16, settings
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
