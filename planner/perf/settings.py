"""Tunable efficiency and memory assumptions of the performance model, with their defaults.

The defaults are approximations taken from public measurements (see docs-perf.md); measured
profiles override the model where they exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class PerfSettings:
    """Efficiency factors and memory reservations applied to vendor peak figures."""

    mfu: float = 0.5
    """Fraction of peak tensor FLOPs reached by prefill and by compute-bound decode."""
    mbu: float = 0.7
    """Fraction of peak memory bandwidth reached by memory-bound decode."""
    memory_utilization: float = 0.9
    """Fraction of each accelerator's memory the engine may use (vLLM gpu_memory_utilization)."""
    overhead_gib: float = 1.5
    """Memory per accelerator lost to CUDA context, activations and graphs (GiB)."""
    max_num_seqs: int | None = 256
    """The engine's cap on concurrent sequences per replica (vLLM max_num_seqs); None for none."""
    link_utilization: float = 0.5
    """Fraction of the listed interconnect bandwidth an all-reduce reaches (listed: both ways)."""
    allreduce_latency_us: float = 10.0
    """Fixed latency of one tensor-parallel all-reduce (microseconds)."""
    training_mfu: float = 0.4
    """Fraction of peak BF16 FLOPs reached by training."""

    def __post_init__(self) -> None:
        for name in ("mfu", "mbu", "memory_utilization", "link_utilization", "training_mfu"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 < value <= 1):
                raise ValueError(f"{name} must be in (0, 1], got {value!r}")
        for name in ("overhead_gib", "allreduce_latency_us"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        if self.max_num_seqs is not None and self.max_num_seqs < 1:
            raise ValueError(f"max_num_seqs must be at least 1 or None, got {self.max_num_seqs!r}")


DEFAULT_SETTINGS = PerfSettings()
