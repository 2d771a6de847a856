"""The performance model as it was before the calibrated model (commit 3b8304e), kept frozen so
the accuracy benchmark reports it as the baseline in the same run. Not used by plans."""

from __future__ import annotations

from dataclasses import dataclass

from planner.facts.accelerators import Accelerator
from planner.facts.llms import LLM
from planner.perf.dtypes import Dtype, as_dtype
from planner.perf.memory import kv_bytes_per_token_per_gpu, memory_fit, weight_bytes

MFU, MBU, LINK_UTILIZATION, ALLREDUCE_LATENCY_S, MAX_NUM_SEQS = 0.5, 0.7, 0.5, 10e-6, 256


def _peak(accelerator: Accelerator, dtype: Dtype) -> float:
    if dtype is Dtype.fp8 and accelerator.fp8_tflops:
        return accelerator.fp8_tflops * 1e12
    return accelerator.bf16_tflops * 1e12


def _comm(model: LLM, accelerator: Accelerator, tp: int, tokens: float) -> float:
    if tp == 1:
        return 0.0
    message = tokens * model.hidden_size * 2.0
    link = accelerator.interconnect_gbps * 1e9 * LINK_UTILIZATION
    return 2 * model.layers * (2 * (tp - 1) / tp * message / link + ALLREDUCE_LATENCY_S)


def _prefill(model: LLM, acc: Accelerator, tp: int, tokens: int, dtype: Dtype) -> float:
    width = model.attention_heads * model.head_dim
    flops = 2 * model.active_params_b * 1e9 * tokens + 2 * model.layers * tokens**2 * width
    compute = flops / (tp * MFU * _peak(acc, dtype))
    memory = weight_bytes(model, dtype) / tp / (MBU * acc.bandwidth_gbps * 1e9)
    return max(compute, memory) + _comm(model, acc, tp, tokens)


def _step(model, acc, tp, batch, context, dtype, kv_dtype) -> float:
    share = model.active_params_b / model.params_b
    read = 1.0 if share >= 1 else 1.0 - (1.0 - share) ** batch
    weights = weight_bytes(model, dtype) * read / tp
    kv = batch * context * kv_bytes_per_token_per_gpu(model, tp, kv_dtype)
    memory = (weights + kv) / (MBU * acc.bandwidth_gbps * 1e9)
    width = model.attention_heads * model.head_dim
    flops = batch * (2 * model.active_params_b * 1e9 + 4 * model.layers * context * width)
    compute = flops / (tp * MFU * _peak(acc, dtype))
    return max(memory, compute) + _comm(model, acc, tp, batch)


@dataclass(frozen=True)
class BaselinePoint:
    """The old model's figures at one mean batch."""

    batch: float
    tokens_per_s: float
    tpot_ms: float
    ttft_ms: float


def baseline(model: LLM, acc: Accelerator, tp: int, input_tokens: int, output_tokens: int,
             weights_dtype: str, kv_dtype: str, concurrency: float | None = None,
             tpot_slo_ms: float | None = None) -> BaselinePoint | None:  # fmt: skip
    """The old model at `concurrency` (None: its largest batch, within `tpot_slo_ms` if given)."""
    wd, kd = as_dtype(weights_dtype), as_dtype(kv_dtype)
    fit = memory_fit(model, acc, tp, input_tokens + output_tokens, 1, wd, kd)
    if not fit.fits:
        return None
    prefill = _prefill(model, acc, tp, input_tokens, wd)
    context = input_tokens + output_tokens / 2

    def tpot(b: float) -> float:
        return _step(model, acc, tp, b, context, wd, kd) + (b - 1) * prefill / output_tokens

    ceiling = float(min(fit.max_batch, MAX_NUM_SEQS))
    if concurrency is not None:
        batch = min(float(concurrency), ceiling)
    elif tpot_slo_ms is not None:
        if tpot(1.0) * 1e3 > tpot_slo_ms:
            return BaselinePoint(0.0, 0.0, tpot(1.0) * 1e3, (prefill + tpot(1.0)) * 1e3)
        low, high = 1.0, ceiling
        for _ in range(40):
            mid = (low + high) / 2
            low, high = (mid, high) if tpot(mid) * 1e3 <= tpot_slo_ms else (low, mid)
        batch = low if tpot(ceiling) * 1e3 > tpot_slo_ms else ceiling
    else:
        batch = ceiling
    rps = batch / (prefill + output_tokens * tpot(batch))
    step = _step(model, acc, tp, batch, context, wd, kd)
    return BaselinePoint(batch, rps * output_tokens, tpot(batch) * 1e3, (prefill + step) * 1e3)
