"""Throughput without latency objectives: offline batch inference and training."""

from __future__ import annotations

from dataclasses import dataclass

from planner.facts.accelerators import Accelerator
from planner.facts.llms import LLM
from planner.perf.capacity import roofline_capacity
from planner.perf.dtypes import Dtype
from planner.perf.parallel import replicas_per_instance, tp_problem
from planner.perf.settings import DEFAULT_SETTINGS, PerfSettings


@dataclass(frozen=True)
class BatchThroughput:
    """Offline inference rate of one instance: every replica at its largest batch."""

    tp: int
    replicas: int
    requests_per_s: float
    output_tokens_per_s: float
    total_tokens_per_s: float
    """Input plus output tokens/s."""


def batch_throughput(
    model: LLM,
    accelerator: Accelerator,
    count: int,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    settings: PerfSettings = DEFAULT_SETTINGS,
    weights_dtype: str | Dtype = Dtype.bf16,
    kv_dtype: str | Dtype = Dtype.bf16,
) -> BatchThroughput:
    """Rate of an instance of `count` accelerators running count // tp replicas at max batch.

    Zero when a replica does not fit.
    """
    problem = tp_problem(model, tp, count, accelerator)
    if problem:
        raise ValueError(problem)
    replicas = replicas_per_instance(count, tp)
    capacity = roofline_capacity(
        model,
        accelerator,
        tp,
        input_tokens,
        output_tokens,
        settings=settings,
        weights_dtype=weights_dtype,
        kv_dtype=kv_dtype,
    )
    rps = capacity.max_rps * replicas
    return BatchThroughput(
        tp=tp,
        replicas=replicas,
        requests_per_s=rps,
        output_tokens_per_s=rps * output_tokens,
        total_tokens_per_s=rps * (input_tokens + output_tokens),
    )


def training_tokens_per_s(
    model: LLM, accelerator: Accelerator, count: int, settings: PerfSettings = DEFAULT_SETTINGS
) -> float:
    """Training tokens/s on `count` accelerators: peak BF16 x training MFU / (6 x active params)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    flops_per_token = 6 * model.active_params_b * 1e9
    return count * accelerator.bf16_tflops * 1e12 * settings.training_mfu / flops_per_token


def training_hours(
    model: LLM,
    accelerator: Accelerator,
    count: int,
    tokens: float,
    settings: PerfSettings = DEFAULT_SETTINGS,
) -> float:
    """Wall-clock hours to train on `tokens` tokens with `count` accelerators."""
    if tokens < 0:
        raise ValueError(f"tokens must be non-negative, got {tokens}")
    return tokens / training_tokens_per_s(model, accelerator, count, settings) / 3600


def scale_gpu_hours(gpu_hours: float, reference: Accelerator, target: Accelerator) -> float:
    """Accelerator-hours on `target` for work that took `gpu_hours` on `reference`, scaled by
    their dense BF16 FLOPs (the same MFU is assumed on both)."""
    if gpu_hours < 0:
        raise ValueError(f"gpu_hours must be non-negative, got {gpu_hours}")
    return gpu_hours * reference.bf16_tflops / target.bf16_tflops
