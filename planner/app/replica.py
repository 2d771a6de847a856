"""Use cases on one replica and one queue: `estimate` (memory fit, latency and the requests/s a
replica sustains at an SLO, and at a given load its latency percentiles) and `queue` (M/M/c
figures). Both give a record: field -> value, in a fixed order."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.app.arguments import MAX_INT, checked
from planner.bounds import MAX_ACCELERATORS, MAX_CONCURRENCY, MAX_LATENCY_MS, MAX_RATE, MAX_TOKENS
from planner.errors import InputError
from planner.queueing.metrics import MAX_SERVERS

if TYPE_CHECKING:
    from planner.facts.accelerators import Accelerator
    from planner.facts.llms import LLM
    from planner.perf import Capacity
    from planner.perf.dtypes import Dtype


@dataclass(frozen=True)
class Estimate:
    """One replica's figures, field by field (`record`), under a title."""

    title: str
    record: dict[str, Any]


@dataclass(frozen=True)
class QueueFigures:
    """M/M/c figures, field by field (`record`), under a title."""

    title: str
    record: dict[str, Any]


def _model(name: str) -> LLM:
    from planner.facts.llms import find_llm, llms

    model = find_llm(name)
    if model is None:
        known = ", ".join(m.name for m in llms())
        raise InputError(f"unknown model {name!r}; known models: {known}")
    return model


def _accelerator(name: str) -> Accelerator:
    from planner.facts.accelerators import accelerators, find_accelerator

    accelerator = find_accelerator(name)
    if accelerator is None:
        known = ", ".join(a.name for a in accelerators())
        raise InputError(f"unknown accelerator {name!r}; known accelerators: {known}")
    return accelerator


def _choose_tp(
    model: LLM,
    accelerator: Accelerator,
    count: int,
    tp: int | None,
    context: int,
    weights_dtype: Dtype,
    kv_dtype: Dtype,
) -> int:
    from planner.perf import smallest_fitting_tp, tp_problem, valid_tp_degrees

    allowed = valid_tp_degrees(model, count, accelerator)
    if tp is not None:
        problem = tp_problem(model, tp, count, accelerator)
        if problem:
            shown = ", ".join(map(str, allowed))
            raise InputError(f"--tp {tp}: {problem}; allowed here: {shown}")
        return tp
    chosen = smallest_fitting_tp(model, accelerator, count, context, weights_dtype, kv_dtype)
    return chosen if chosen is not None else allowed[-1]


def _estimate_record(
    model: LLM, accelerator: Accelerator, count: int, capacity: Capacity
) -> dict[str, Any]:
    from planner.perf import memory_fit, replicas_per_instance

    fit = memory_fit(
        model,
        accelerator,
        capacity.tp,
        capacity.input_tokens + capacity.output_tokens,
        1,
        capacity.weights_dtype,
        capacity.kv_dtype,
    )
    replicas = replicas_per_instance(count, capacity.tp)
    return {
        "model": capacity.model,
        "accelerator": capacity.accelerator,
        "count": count,
        "tp": capacity.tp,
        "replicas_per_instance": replicas,
        "weights_dtype": capacity.weights_dtype.value,
        "kv_dtype": capacity.kv_dtype.value,
        "input_tokens": capacity.input_tokens,
        "output_tokens": capacity.output_tokens,
        "tpot_slo_ms": capacity.slo.tpot_ms,
        "ttft_slo_ms": capacity.slo.ttft_ms,
        "fits": capacity.fits,
        "weights_gib_per_gpu": round(fit.weights_gib_per_gpu, 3),
        "kv_cache_gib_per_gpu": round(fit.free_kv_gib_per_gpu, 3),
        "kv_bytes_per_token": capacity.kv_bytes_per_token,
        "kv_capacity_tokens": fit.kv_capacity_tokens,
        "max_batch": capacity.max_batch,
        "batch": round(capacity.batch, 3),
        "ttft_ms": None if capacity.ttft_ms is None else round(capacity.ttft_ms, 3),
        "tpot_ms": None if capacity.tpot_ms is None else round(capacity.tpot_ms, 3),
        "tokens_per_s": round(capacity.tokens_per_s, 3),
        "max_rps": round(capacity.max_rps, 6),
        "instance_max_rps": round(capacity.max_rps * replicas, 6),
        "instance_tokens_per_s": round(capacity.tokens_per_s * replicas, 3),
        "limited_by": capacity.limited_by,
        "source": capacity.source,
        "calibration": _calibration(accelerator, capacity.source),
        "reason": capacity.reason,
    }


def _nodes_for(model: LLM, accelerator: Accelerator, count: int, dtype: Dtype) -> int | None:
    """Instances of `count` chips a replica of `model` would span, when more than one."""
    from planner.perf.multinode import nodes_needed
    from planner.perf.parallel import valid_tp_degrees
    from planner.perf.settings import DEFAULT_SETTINGS

    degrees = valid_tp_degrees(model, count, accelerator)
    if not degrees:
        return None
    nodes = nodes_needed(model, accelerator, degrees[-1], dtype, DEFAULT_SETTINGS)
    return nodes if nodes and nodes > 1 else None


def _calibration(accelerator: Accelerator, source: str) -> str:
    """Where the efficiencies behind the figures come from: measured profiles, the fit of the
    chip's family, or nothing (uncalibrated: the median of the fitted families)."""
    from planner.perf.efficiency import uncalibrated_note

    if source == "profile":
        return "measured profile"
    return uncalibrated_note(accelerator) or f"fitted ({accelerator.family})"


def _load_record(llm, chip, tp, input_tokens, output_tokens, concurrency, rate, settings,
                 weights_dtype, kv) -> dict[str, Any]:  # fmt: skip
    """The load fields of the estimate record (planner.perf.load)."""
    from planner.perf.load import at_concurrency_load, at_rate_load

    args = (llm, chip, tp, input_tokens, output_tokens)
    try:
        if concurrency is not None:
            load = at_concurrency_load(*args, concurrency, settings, weights_dtype, kv)
        else:
            load = at_rate_load(*args, rate, settings, weights_dtype, kv)
    except ValueError as err:
        raise InputError(
            f"--{'concurrency' if concurrency is not None else 'rate'}: {err}"
        ) from None

    def ms(value: float) -> float | None:
        return round(value, 3) if math.isfinite(value) else None

    record: dict[str, Any] = {
        "load": load.mode,
        "load_value": load.load,
        "stable": load.stable,
        "queueing": load.queueing,
        "admission_limit": round(load.admission_limit, 3),
        "admission_limited_by": load.limited_by,
        "load_batch": round(load.batch, 3),
        "load_in_flight": ms(load.in_flight),
        "load_requests_per_s": round(load.requests_per_s, 6),
        "load_tokens_per_s": round(load.tokens_per_s, 3),
        "prob_wait": round(load.prob_wait, 6),
        "slot_wait_ms": ms(load.slot_wait_ms),
    }
    for name, latency in (("ttft", load.ttft_ms), ("tpot", load.tpot_ms)):
        for stat in ("mean", "p50", "p90", "p99"):
            value = getattr(latency, stat) if latency is not None else None
            record[f"load_{name}_{stat}_ms"] = None if value is None else ms(value)
    record["load_reason"] = load.reason
    return record


@checked(
    input_tokens=(1, MAX_TOKENS),
    output_tokens=(1, MAX_TOKENS),
    count=(1, MAX_ACCELERATORS),
    tp=(1, MAX_ACCELERATORS),
    tpot_ms=(0, MAX_LATENCY_MS),
    ttft_ms=(0, MAX_LATENCY_MS),
    concurrency=(1, MAX_CONCURRENCY),
    rate=(0, MAX_RATE),
    max_num_seqs=(1, MAX_INT),
    max_num_batched_tokens=(1, MAX_INT),
    prefix_hit_rate=(0, 1),
)
def estimate(
    model: str,
    accelerator: str,
    input_tokens: int,
    output_tokens: int,
    *,
    count: int = 1,
    tp: int | None = None,
    tpot_ms: float | None = None,
    ttft_ms: float | None = None,
    weights_dtype: str = "bf16",
    kv_dtype: str = "bf16",
    profiles: str | os.PathLike[str] | None = None,
    engine: str = "vllm",
    concurrency: float | None = None,
    rate: float | None = None,
    max_num_seqs: int | None = None,
    max_num_batched_tokens: int | None = None,
    prefix_hit_rate: float = 0.0,
    fit: str | os.PathLike[str] | None = None,
) -> Estimate:
    """Memory fit, TTFT, TPOT, tokens/s and the max requests/s one replica of `model` on `tp`
    (default: the smallest that fits) of `count` x `accelerator` sustains at the SLO; with
    `concurrency` or `rate`, the latency percentiles at that load and whether it queues."""
    from planner.perf import DEFAULT_SETTINGS, SLO, as_kv_dtype, load_profiles, replica_capacity
    from planner.perf.dtypes import Dtype
    from planner.perf.efficiency import load_fit

    llm, chip = _model(model), _accelerator(accelerator)
    if concurrency is not None and rate is not None:
        raise InputError("give --concurrency or --rate, not both")
    try:
        weights = Dtype(str(weights_dtype))
        kv = as_kv_dtype(Dtype(str(kv_dtype)))
        slo = SLO(tpot_ms=tpot_ms, ttft_ms=ttft_ms)
        settings = replace(
            DEFAULT_SETTINGS.for_engine(str(engine)),
            max_num_seqs=max_num_seqs,
            max_batched_tokens=max_num_batched_tokens,
            prefix_hit_rate=prefix_hit_rate,
            fit=load_fit(fit) if fit is not None else None,
        )
    except ValueError as err:
        raise InputError(str(err)) from None
    measured = load_profiles(Path(profiles)) if profiles is not None else None
    degree = _choose_tp(llm, chip, count, tp, input_tokens + output_tokens, weights, kv)
    capacity = replica_capacity(
        llm,
        chip,
        degree,
        input_tokens,
        output_tokens,
        slo,
        settings,
        weights_dtype=weights,
        kv_dtype=kv,
        profiles=measured,
    )
    if tp is None and not capacity.fits:
        reason = f"does not fit at any TP on {count} x {chip.name}: {capacity.reason}"
        nodes = _nodes_for(llm, chip, count, weights)
        if nodes:
            reason += (f"; a replica of {nodes} such instances (pipeline parallel) holds it, "
                       "as planner plan would place it")  # fmt: skip
        capacity = replace(capacity, reason=reason)
    record = _estimate_record(llm, chip, count, capacity)
    if concurrency is not None or rate is not None:
        record.update(_load_record(llm, chip, degree, input_tokens, output_tokens, concurrency,
                                   rate, settings, weights, kv))  # fmt: skip
    return Estimate(f"{llm.name} on {chip.name}", record)


@checked(servers=(1, MAX_SERVERS))
def queue(
    arrival_rate: float, service_rate: float, servers: int = 1, wait_ms: float | None = None
) -> QueueFigures:
    """M/M/c figures: utilization, probability of waiting, mean wait and time in system; with
    `wait_ms`, the probability of waiting longer."""
    from planner.queueing import mmc, mmc_wait_percentile, mmc_wait_tail

    try:
        metrics = mmc(arrival_rate, service_rate, servers)
    except ValueError as err:
        raise InputError(str(err)) from None
    record: dict[str, Any] = {
        "model": metrics.model,
        "arrival_rate": arrival_rate,
        "service_rate": service_rate,
        "servers": servers,
        "utilization": metrics.utilization,
        "stable": metrics.stable,
        "prob_wait": metrics.prob_wait,
        "mean_wait_ms": _ms(metrics.mean_wait_s),
        "mean_time_in_system_ms": _ms(metrics.mean_time_in_system_s),
        "mean_queue_length": metrics.mean_queue_length,
        "wait_p95_ms": None,
    }
    if metrics.stable:
        record["wait_p95_ms"] = _ms(mmc_wait_percentile(arrival_rate, service_rate, servers))
    if wait_ms is not None:
        record["wait_ms"] = wait_ms
        record["p_wait_gt_t"] = (
            mmc_wait_tail(arrival_rate, service_rate, servers, wait_ms / 1e3)
            if metrics.stable
            else 1.0
        )
    record["reason"] = metrics.reason
    return QueueFigures(f"M/M/{servers}", record)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1e3
