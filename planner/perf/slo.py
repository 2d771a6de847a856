"""Latency objectives a replica must meet: time per output token and time to first token."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class SLO:
    """Mean TPOT and TTFT limits in milliseconds; None leaves that latency unconstrained."""

    tpot_ms: float | None = None
    ttft_ms: float | None = None

    def __post_init__(self) -> None:
        for name in ("tpot_ms", "ttft_ms"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")

    @property
    def is_set(self) -> bool:
        """True when at least one latency is constrained."""
        return self.tpot_ms is not None or self.ttft_ms is not None

    def at_least_as_strict_as(self, other: SLO) -> bool:
        """True when meeting this SLO implies meeting `other` (each limit set and no looser)."""
        return all(
            mine is not None and mine <= theirs
            for mine, theirs in ((self.tpot_ms, other.tpot_ms), (self.ttft_ms, other.ttft_ms))
            if theirs is not None
        )


NO_SLO = SLO()
