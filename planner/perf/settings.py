"""Tunable efficiency and memory assumptions of the performance model, with their defaults.

Efficiencies left at None come from the fit to published measurements, per accelerator family
(planner.perf.efficiency); measured profiles override the model where they exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

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
    max_num_seqs: int | None = 256
    """The engine's cap on concurrent sequences per replica (vLLM max_num_seqs); None for none."""
    max_batched_tokens: int = 8192
    """Most tokens (decode plus prefill chunks) one engine step takes (max_num_batched_tokens)."""
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
        if self.max_num_seqs is not None and self.max_num_seqs < 1:
            raise ValueError(f"max_num_seqs must be at least 1 or None, got {self.max_num_seqs!r}")
        for name in ("max_batched_tokens", "kv_block_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")

    def for_engine(self, engine: str) -> PerfSettings:
        """These settings for `engine` (the same object when it already is)."""
        return self if engine == self.engine else replace(self, engine=engine)


DEFAULT_SETTINGS = PerfSettings()
