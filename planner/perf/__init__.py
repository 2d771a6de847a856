"""LLM performance model: memory fit, roofline timing, replica capacity at an SLO, profiles."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Capacity": "planner.perf.capacity",
    "LoadFigures": "planner.perf.capacity",
    "at_concurrency": "planner.perf.capacity",
    "at_rate": "planner.perf.capacity",
    "capacity_source": "planner.perf.capacity",
    "prefill_share": "planner.perf.capacity",
    "replica_capacity": "planner.perf.capacity",
    "roofline_capacity": "planner.perf.capacity",
    "Dtype": "planner.perf.dtypes",
    "as_dtype": "planner.perf.dtypes",
    "as_kv_dtype": "planner.perf.dtypes",
    "MemoryFit": "planner.perf.memory",
    "kv_bytes_per_token": "planner.perf.memory",
    "kv_bytes_per_token_per_gpu": "planner.perf.memory",
    "memory_fit": "planner.perf.memory",
    "smallest_fitting_tp": "planner.perf.memory",
    "weight_bytes": "planner.perf.memory",
    "replicas_per_instance": "planner.perf.parallel",
    "tp_problem": "planner.perf.parallel",
    "valid_tp_degrees": "planner.perf.parallel",
    "load_profiles": "planner.perf.profile_csv",
    "ProfileEstimate": "planner.perf.profiles",
    "ProfilePoint": "planner.perf.profiles",
    "Profiles": "planner.perf.profiles",
    "BatchThroughput": "planner.perf.rates",
    "batch_throughput": "planner.perf.rates",
    "scale_gpu_hours": "planner.perf.rates",
    "training_hours": "planner.perf.rates",
    "training_tokens_per_s": "planner.perf.rates",
    "decode_step_seconds": "planner.perf.roofline",
    "peak_flops": "planner.perf.roofline",
    "prefill_seconds": "planner.perf.roofline",
    "DEFAULT_SETTINGS": "planner.perf.settings",
    "PerfSettings": "planner.perf.settings",
    "NO_SLO": "planner.perf.slo",
    "SLO": "planner.perf.slo",
}
"""Public name -> the module that defines it: imported on first use, so a caller that needs one
name (the CLI's option types, say) does not load the whole performance model."""

__all__ = [
    "DEFAULT_SETTINGS",
    "NO_SLO",
    "SLO",
    "BatchThroughput",
    "Capacity",
    "Dtype",
    "LoadFigures",
    "MemoryFit",
    "PerfSettings",
    "ProfileEstimate",
    "ProfilePoint",
    "Profiles",
    "as_dtype",
    "as_kv_dtype",
    "at_concurrency",
    "at_rate",
    "batch_throughput",
    "capacity_source",
    "decode_step_seconds",
    "kv_bytes_per_token",
    "kv_bytes_per_token_per_gpu",
    "load_profiles",
    "memory_fit",
    "peak_flops",
    "prefill_seconds",
    "prefill_share",
    "replica_capacity",
    "replicas_per_instance",
    "roofline_capacity",
    "scale_gpu_hours",
    "smallest_fitting_tp",
    "tp_problem",
    "training_hours",
    "training_tokens_per_s",
    "valid_tp_degrees",
    "weight_bytes",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from planner.perf.capacity import (
        Capacity,
        LoadFigures,
        at_concurrency,
        at_rate,
        capacity_source,
        prefill_share,
        replica_capacity,
        roofline_capacity,
    )
    from planner.perf.dtypes import Dtype, as_dtype, as_kv_dtype
    from planner.perf.memory import (
        MemoryFit,
        kv_bytes_per_token,
        kv_bytes_per_token_per_gpu,
        memory_fit,
        smallest_fitting_tp,
        weight_bytes,
    )
    from planner.perf.parallel import replicas_per_instance, tp_problem, valid_tp_degrees
    from planner.perf.profile_csv import load_profiles
    from planner.perf.profiles import ProfileEstimate, ProfilePoint, Profiles
    from planner.perf.rates import (
        BatchThroughput,
        batch_throughput,
        scale_gpu_hours,
        training_hours,
        training_tokens_per_s,
    )
    from planner.perf.roofline import decode_step_seconds, peak_flops, prefill_seconds
    from planner.perf.settings import DEFAULT_SETTINGS, PerfSettings
    from planner.perf.slo import NO_SLO, SLO
