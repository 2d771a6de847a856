"""Efficiencies of the performance model per accelerator family, fitted to published
measurements (planner/facts/data/perf_fit.csv, written by `python -m planner.perf.calibration`).

PerfSettings values override the fitted ones; a family the fit has no data for uses the
`default` row (the median of the fitted families) and is *uncalibrated*: every figure that rests
on it says so, and the solver picks such a chip only when the spec opts in.
A user's fit (`planner calibrate`, read by load_fit and set as PerfSettings.fit) goes first:
its row for the accelerator, else for its family, else the bundled rows.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from planner._csvdata import read_commented_csv, read_csv_lines
from planner._readfile import read_input
from planner.errors import InputError
from planner.facts.accelerators import Accelerator, accelerators, find_accelerator
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


SCOPES = ("accelerator", "family")
SHARES = ("mfu", "mbu", "kv_mbu", "link_utilization")
MIN_SHARE = 0.001
"""Lowest share of a peak a fit may give (below it no engine serves; 1e-300 would make every
replica take centuries)."""
MAX_OVERHEAD = {"step_overhead_ms": 10_000.0, "sequence_overhead_us": 1e6,
                "allreduce_latency_us": 1e6}  # fmt: skip
"""Largest fixed cost a fit may give (10 s per engine step, 1 s per sequence or all-reduce)."""
FIT_COLUMNS = ("scope", "name", *PARAMETERS)


@dataclass(frozen=True)
class UserFit:
    """Efficiencies a user fitted to their own measurements (`planner calibrate`)."""

    path: str
    """The file as the user named it."""
    digest: str
    """sha256 of the file's text (first 16 hex digits): which fit a plan used."""
    rows: tuple[tuple[str, str, Efficiency], ...]
    """(scope, name, efficiency): scope `accelerator` (a canonical name) or `family`."""

    def lookup(self, accelerator: Accelerator) -> Efficiency | None:
        """The row for `accelerator`, else for its family; None when the fit has neither."""
        for scope, key in (("accelerator", accelerator.name), ("family", accelerator.family)):
            for row_scope, name, eff in self.rows:
                if row_scope == scope and name == key:
                    return eff
        return None

    @property
    def label(self) -> str:
        """How plans name the fit: the file and its digest."""
        return f"{self.path} (sha256 {self.digest})"


def parse_fit(text: str, source: str) -> UserFit:
    """A fit file's rows; InputError naming the line and field of a bad one."""
    header, rows = read_csv_lines(text, source, strict_width=True)
    missing = [c for c in FIT_COLUMNS if c not in header]
    if missing:
        raise InputError(f"{source}: not a fit file (`planner calibrate -o`): no column "
                         f"{', '.join(missing)}")  # fmt: skip
    found = []
    lines: dict[tuple[str, str], int] = {}
    families = {a.family for a in accelerators() if a.family}
    for line, row in rows:
        scope, name = row["scope"], row["name"]
        if scope not in SCOPES:
            raise InputError(f"{source}:{line}: field 'scope': must be accelerator or family, "
                             f"got {scope!r}")  # fmt: skip
        if scope == "accelerator":
            chip = find_accelerator(name)
            if chip is None:
                raise InputError(f"{source}:{line}: field 'name': unknown accelerator {name!r}")
            name = chip.name
        elif name not in families:
            raise InputError(f"{source}:{line}: field 'name': unknown accelerator family "
                             f"{name[:40]!r} (known: {', '.join(sorted(families))})")  # fmt: skip
        if (scope, name) in lines:
            raise InputError(f"{source}:{line}: {scope} {name} is already on line "
                             f"{lines[(scope, name)]}; keep one row")  # fmt: skip
        lines[(scope, name)] = line
        values = {}
        for column in PARAMETERS:
            try:
                value = float(row[column])
            except ValueError:
                value = math.nan
            if not math.isfinite(value) or value < 0:
                raise InputError(f"{source}:{line}: field '{column}': expected a non-negative "
                                 f"number, got {row[column]!r}")  # fmt: skip
            values[column] = value
        for column in SHARES:
            if not 0 < values[column] <= 1:
                raise InputError(f"{source}:{line}: field '{column}': must be in (0, 1], got "
                                 f"{row[column]!r}")  # fmt: skip
            if values[column] < MIN_SHARE:
                raise InputError(f"{source}:{line}: field '{column}': {row[column]!r} is below "
                                 f"{MIN_SHARE:g}, no engine's share of a peak")  # fmt: skip
        for column, high in MAX_OVERHEAD.items():
            if values[column] > high:
                raise InputError(f"{source}:{line}: field '{column}': {row[column][:40]!r} is "
                                 f"above {high:g}")  # fmt: skip
        found.append((scope, name, Efficiency(**values)))
    if not found:
        raise InputError(f"{source}: the fit file has no rows")
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return UserFit(path=source, digest=digest, rows=tuple(found))


def load_fit(path: str | Path) -> UserFit:
    """Read a fit file written by `planner calibrate -o`."""
    return parse_fit(read_input(path, "fit"), str(path))


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
        base = settings.fit.lookup(accelerator) if settings.fit is not None else None
        base = base or table.get(accelerator.family) or table["default"]
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
