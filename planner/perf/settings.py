"""Tunable efficiency and memory assumptions of the performance model, with their defaults.

Efficiencies left at None come from the fit to published measurements, per accelerator family
(planner.perf.efficiency); measured profiles override the model where they exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.perf.efficiency import UserFit

ENGINES = ("vllm", "sglang", "trt-llm")


@dataclass(frozen=True)
class PerfSettings:
    """Efficiency factors and memory reservations applied to vendor peak figures."""

    mfu: float | None = None
    """Fraction of peak tensor FLOPs reached by prefill and compute-bound decode (None: fitted)."""
    mbu: float | None = None
    """Fraction of peak memory bandwidth reached reading weights (None: fitted)."""
    kv_mbu: float | None = None
    """Fraction of peak memory bandwidth reached reading the KV cache (None: fitted)."""
    memory_utilization: float = 0.9
    """Fraction of each accelerator's memory the engine may use (vLLM gpu_memory_utilization)."""
    overhead_gib: float = 1.5
    """Memory per accelerator lost to CUDA context, activations and graphs (GiB)."""
    max_num_seqs: int | None = None
    """The engine's cap on concurrent sequences per replica (vLLM max_num_seqs); None: the
    engine's default (planner/facts/engine_defaults.py)."""
    max_batched_tokens: int | None = None
    """Most tokens (decode plus prefill chunks) one engine step takes (max_num_batched_tokens);
    None: the engine's default on the accelerator."""
    chunked_prefill: bool | None = None
    """Prefill split into chunks that share steps with decoding; None: the engine's default."""
    kv_reservation: float | None = None
    """Share of each request's output tokens the engine reserves KV cache for when it admits
    it (1: the whole output, TensorRT-LLM; 0.5: the mean of on-demand pages, vLLM); None: the
    engine's rule."""
    prefix_caching: bool | None = None
    """Prefix caching on or off; None: the engine's default."""
    prefix_hit_rate: float = 0.0
    """Share of prompt tokens the prefix cache already holds (the workload's shared prefix):
    their prefill is skipped while prefix caching is on."""
    shared_prefix_tokens: int = 0
    """Prompt tokens every request shares (a system prompt), held by the prefix cache while
    it is on; the larger of this and prefix_hit_rate counts."""
    kv_cache_dtype: str | None = None
    """The engine's KV-cache dtype when set (vLLM --kv-cache-dtype fp8): it overrides the
    kv_dtype the capacity functions are given."""
    engine_version: str = ""
    """The engine's version, for its defaults; empty: the version the planner deploys."""
    fit: UserFit | None = None
    """Efficiencies fitted to the user's own measurements (`planner calibrate`), used before
    the bundled fit for the accelerators and families it has rows for."""
    kv_block_tokens: int = 16
    """Tokens per paged KV-cache block (vLLM block_size); half a block per sequence is unused."""
    link_utilization: float | None = None
    """Fraction of the one-way interconnect bandwidth an all-reduce reaches (None: fitted)."""
    allreduce_latency_us: float | None = None
    """Fixed latency of one tensor-parallel all-reduce, microseconds (None: fitted)."""
    step_overhead_ms: float | None = None
    """Fixed time of every engine step, milliseconds (None: fitted)."""
    sequence_overhead_us: float | None = None
    """Time every step adds per sequence in the batch, microseconds (None: fitted)."""
    engine: str = "vllm"
    """Serving engine: vllm, sglang or trt-llm (scales throughput by its published factor)."""
    training_mfu: float = 0.4
    """Fraction of peak BF16 FLOPs reached by training."""

    def __post_init__(self) -> None:
        for name in (
            "mfu",
            "mbu",
            "kv_mbu",
            "memory_utilization",
            "link_utilization",
            "training_mfu",
        ):
            value = getattr(self, name)
            if value is None and name not in ("memory_utilization", "training_mfu"):
                continue
            if not (isinstance(value, int | float) and math.isfinite(value) and 0 < value <= 1):
                raise ValueError(f"{name} must be in (0, 1], got {value!r}")
        for name in (
            "overhead_gib",
            "allreduce_latency_us",
            "step_overhead_ms",
            "sequence_overhead_us",
        ):
            value = getattr(self, name)
            if value is None and name != "overhead_gib":
                continue
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        for name in ("max_num_seqs", "max_batched_tokens"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1 or None, got {value!r}")
        if self.kv_block_tokens < 1:
            raise ValueError(f"kv_block_tokens must be at least 1, got {self.kv_block_tokens!r}")
        for name in ("kv_reservation", "prefix_hit_rate"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and 0 <= value <= 1):
                raise ValueError(f"{name} must be in [0, 1], got {value!r}")
        if self.shared_prefix_tokens < 0:
            raise ValueError(
                f"shared_prefix_tokens must be >= 0, got {self.shared_prefix_tokens!r}"
            )
        if self.prefix_hit_rate >= 1:
            raise ValueError(f"prefix_hit_rate must be below 1, got {self.prefix_hit_rate!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")

    def for_engine(self, engine: str) -> PerfSettings:
        """These settings for `engine` (the same object when it already is); a version set for
        another engine does not carry over."""
        if engine == self.engine:
            return self
        return replace(self, engine=engine, engine_version="")


DEFAULT_SETTINGS = PerfSettings()
