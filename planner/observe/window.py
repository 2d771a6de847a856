"""Durations on the command line ('90s', '30m', '24h', '7d') and their PromQL form."""

from __future__ import annotations

import math
import re

from planner.errors import InputError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


MAX_DURATION_S = 366 * 86400
"""Longest window or step (a year and a day): longer than any metrics retention."""


def parse_duration(text: str, option: str = "--window") -> float:
    """Seconds in `text` (a number and one of s, m, h, d, w), at most MAX_DURATION_S;
    InputError otherwise."""
    text = text or ""
    found = _DURATION.match(text) if len(text) <= 20 else None
    if not found or float(found.group(1)) <= 0:
        shown = repr(text) if len(text) <= 40 else f"of {len(text):,} characters"
        raise InputError(
            f"{option} {shown}: expected a positive duration such as 90s, 30m, 24h, 7d"
        )
    seconds = float(found.group(1)) * _UNITS[found.group(2)]
    if seconds > MAX_DURATION_S:
        raise InputError(f"{option} {text!r}: longer than a year and a day (366d), the most read")
    return seconds


def promql_range(seconds: float) -> str:
    """A range selector for PromQL: whole seconds, at least 1 ('86400s')."""
    return f"{max(1, round(seconds))}s"


MAX_STEPS = 11_000
"""Most steps in a window: the points per series a Prometheus range query returns at most."""


def check_window(window_s: float, step_s: float) -> None:
    """The window must hold whole steps, at least one."""
    if step_s > window_s:
        raise InputError(f"--step ({step_s:g} s) is longer than --window ({window_s:g} s)")
    if window_s / step_s > MAX_STEPS:
        raise InputError(
            f"--window ({window_s:g} s) holds {window_s / step_s:,.0f} steps of --step "
            f"({step_s:g} s); at most {MAX_STEPS:,} are read (Prometheus's own limit per "
            "series): give a longer --step"
        )
    if abs(window_s / step_s - round(window_s / step_s)) > 1e-9:
        raise InputError(
            f"--window ({window_s:g} s) must be a whole number of --step ({step_s:g} s)"
        )


def aligned_window(now: float, window_s: float, step_s: float) -> tuple[float, float]:
    """(start, end) of the window ending at the last whole step before `now`."""
    end = math.floor(now / step_s) * step_s
    return end - window_s, end


def duration_text(seconds: float) -> str:
    """'6 s', '90 min', '24 h', '7 d': the largest unit that divides it (days from two on)."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size * (2 if unit == "d" else 1) and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"
