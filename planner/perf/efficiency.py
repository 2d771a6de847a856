"""Efficiencies of the performance model per accelerator family, fitted to published
measurements (planner/facts/data/perf_fit.csv, written by `python -m planner.perf.calibration`).

PerfSettings values override the fitted ones; a family the fit has no data for uses the
`default` row (the median of the fitted families) and is *uncalibrated*: every figure that rests
on it says so, and the solver picks such a chip only when the spec opts in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from planner._csvdata import read_commented_csv
from planner.facts.accelerators import Accelerator
from planner.perf.settings import PerfSettings

FIT_FILE = Path(__file__).resolve().parent.parent / "facts" / "data" / "perf_fit.csv"
PARAMETERS = (
    "mfu",
    "mbu",
    "kv_mbu",
    "step_overhead_ms",
    "sequence_overhead_us",
    "allreduce_latency_us",
    "link_utilization",
)


@dataclass(frozen=True)
class Efficiency:
    """What one replica reaches of its accelerators' peaks, and its fixed costs."""

    mfu: float
    """Share of peak tensor FLOP/s reached by prefill and compute-bound decode."""
    mbu: float
    """Share of peak memory bandwidth reached reading the weights."""
    kv_mbu: float
    """Share of peak memory bandwidth reached reading the KV cache in attention."""
    step_overhead_ms: float
    """Fixed time of every engine step (scheduling, kernel launches)."""
    sequence_overhead_us: float
    """Time every step adds per sequence in the batch (scheduling and sampling on the host)."""
    allreduce_latency_us: float
    """Fixed latency of one tensor-parallel all-reduce."""
    link_utilization: float
    """Share of the one-way interconnect bandwidth an all-reduce reaches."""


@cache
def fitted_efficiencies() -> dict[str, Efficiency]:
    """The fitted rows by family (and `default`)."""
    return {
        row["family"]: Efficiency(**{name: float(row[name]) for name in PARAMETERS})
        for row in read_commented_csv(FIT_FILE)
    }


@lru_cache(maxsize=4096)
def efficiency(accelerator: Accelerator, settings: PerfSettings) -> Efficiency:
    """The efficiency of `accelerator`: its family's fitted row, overridden by any value set
    in `settings` (cached: every engine step of the performance model asks)."""
    values = {name: getattr(settings, name) for name in PARAMETERS}
    if any(v is None for v in values.values()):
        table = fitted_efficiencies()
        base = table.get(accelerator.family) or table["default"]
        values = {name: getattr(base, name) if v is None else v for name, v in values.items()}
    return Efficiency(**values)


def calibrated_families() -> frozenset[str]:
    """Families with fitted measurements behind their row (not the `default` median)."""
    return frozenset(f for f in fitted_efficiencies() if f != "default")


def is_calibrated(accelerator: Accelerator) -> bool:
    """True when the accelerator's family was fitted to published measurements."""
    return accelerator.family in calibrated_families()


def uncalibrated_note(accelerator: Accelerator) -> str | None:
    """Words for an uncalibrated accelerator's figures, or None when its family is fitted."""
    if is_calibrated(accelerator):
        return None
    family = accelerator.family or "custom"
    return (
        f"uncalibrated: no published measurements fitted for {accelerator.name} "
        f"(family {family}); its figures use the median efficiency of the fitted families "
        f"({', '.join(sorted(calibrated_families()))})"
    )
