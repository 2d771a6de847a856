"""Small statistics over step means: mean, percentiles and the 24-hour profile."""

from __future__ import annotations

import math
from collections.abc import Sequence

from planner.observe.model import Point

HOUR_S = 3600.0
DAY_S = 86400.0


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean, or None for no values."""
    return math.fsum(values) / len(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0-1) with linear interpolation between order statistics; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    where = q * (len(ordered) - 1)
    low = math.floor(where)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (where - low)


def hourly_profile(points: Sequence[Point], step_s: float) -> tuple[float, ...] | None:
    """Mean rate per UTC hour of day as a fraction of the busiest hour.

    Needs hourly steps and every hour of the day measured; each point covers the hour that
    ends at its timestamp. None otherwise (or when nothing was served).
    """
    if abs(step_s - HOUR_S) > 1e-6:
        return None
    by_hour: dict[int, list[float]] = {}
    for p in points:
        hour = int(((p.t - step_s / 2) % DAY_S) // HOUR_S)
        by_hour.setdefault(hour, []).append(p.value)
    if len(by_hour) < 24:
        return None
    means = [math.fsum(by_hour[h]) / len(by_hour[h]) for h in range(24)]
    peak = max(means)
    if peak <= 0:
        return None
    return tuple(round(m / peak, 4) for m in means)


def relative(observed: float | None, planned: float | None) -> float | None:
    """(observed - planned) / planned; None when either is missing or planned is 0."""
    if observed is None or planned is None or planned == 0:
        return None
    return (observed - planned) / abs(planned)
