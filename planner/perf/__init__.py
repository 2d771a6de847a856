"""LLM performance model: memory fit, roofline timing, replica capacity at an SLO, profiles."""

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
