"""Spot risk: how often each cloud reclaims spot capacity, per (cloud, region, instance type).

Rows come from the bundled snapshot (spot_interruptions.csv) and from files of the same
columns in a `--catalog` directory (what `planner catalog spot-risk` writes from a cloud's
published data, read by that cloud's provider); a more specific row wins (an exact region and
instance type over `*`), and a later file over an earlier one. The rate is the share of spot
instances interrupted in a month.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path

from planner._csvdata import read_csv_lines
from planner._readfile import read_input
from planner.catalog.offering import Offering
from planner.errors import InputError
from planner.markup import csv_text
from planner.spec.grammars import identifier_problem

SNAPSHOT = Path(__file__).parent / "data" / "spot_interruptions.csv"
COLUMNS = ("provider", "region", "instance_type", "band", "rate", "kind", "source", "as_of")

OPEN_BAND_RATE = 0.25
"""The share used for an open top band (">20%", "20+"): an estimate, as no upper end is given."""


def band_rates(bands: Sequence[tuple[str, float]]) -> dict[str, float]:
    """Each published band (label, upper end as a share, ascending; the last one open) -> the
    rate used: its midpoint, OPEN_BAND_RATE for the open top band."""
    out, low = {}, 0.0
    for k, (label, high) in enumerate(bands):
        out[label] = OPEN_BAND_RATE if k == len(bands) - 1 else round((low + high) / 2, 4)
        low = high
    return out


@dataclass(frozen=True)
class SpotRisk:
    """One row: the monthly interruption share of spot capacity in its scope."""

    provider: str
    region: str
    instance_type: str
    band: str
    rate: float
    kind: str
    source: str
    as_of: str

    def __post_init__(self) -> None:
        problem = spot_risk_problem(self)
        if problem:
            raise ValueError(problem)

    def matches(self, offering: Offering) -> bool:
        return (
            self.provider == offering.provider
            and self.region in ("*", offering.region)
            and self.instance_type.lower() in ("*", offering.instance_type.lower())
        )

    @property
    def specificity(self) -> int:
        return (self.region != "*") + 2 * (self.instance_type != "*")


BAND = re.compile(r"[<>]?\d{1,3}(?:\.\d{1,3})?(?:-\d{1,3}(?:\.\d{1,3})?)?%?\+?")
"""A published band label: <5%, 5-10%, >20%, 20+ (or empty)."""
KIND = re.compile(r"[a-z]{1,20}")
SOURCE = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9 _.,:/()+-]{0,199}")
"""A source label or file name: no formula start, no markup, no control character."""


def spot_risk_problem(row: SpotRisk) -> str | None:
    """Why `row` cannot be a spot-risk row ('column X: ...'), or None: every field has a
    grammar, so nothing a file or a cloud's data holds reaches an output as markup, a formula
    or a new line."""
    for column, kind in (("provider", "identifier"), ("region", "region"),
                         ("instance_type", "identifier")):  # fmt: skip
        value = getattr(row, column)
        if column != "provider" and value == "*":
            continue
        why = identifier_problem(value, kind) if isinstance(value, str) else "not text"
        if why:
            return f"column {column}: {why}"
    checks = (("band", BAND, True), ("kind", KIND, False), ("source", SOURCE, False))
    for column, pattern, empty in checks:
        value = getattr(row, column)
        if not isinstance(value, str) or not ((empty and value == "") or pattern.fullmatch(value)):
            return f"column {column}: {str(value)[:40]!r} is not a valid {column}"
    try:
        date.fromisoformat(row.as_of)
    except (TypeError, ValueError):
        return f"column as_of: {str(row.as_of)[:40]!r} is not a date (YYYY-MM-DD)"
    if not isinstance(row.rate, int | float) or not 0 <= row.rate <= 1:
        return f"column rate: {row.rate!r} is not a share in [0, 1]"
    return None


def is_spot_risk_header(header: Sequence[str]) -> bool:
    """Whether a CSV header is this file's (and not a price catalog's)."""
    return "rate" in header and "band" in header and "price_on_demand" not in header


def read_spot_risk(text: str, source: str) -> tuple[SpotRisk, ...]:
    """Rows of a spot-risk CSV; a bad row is an InputError naming its line and column."""
    header, rows = read_csv_lines(text, source, strict_width=True)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(f"{source}: missing column(s) {', '.join(missing)}")
    out = []
    for line, row in rows:
        try:
            rate = float(row["rate"])
        except ValueError:
            raise InputError(
                f"{source}:{line}: column rate: {row['rate']!r} is not a number"
            ) from None
        if not 0 <= rate <= 1:
            raise InputError(f"{source}:{line}: column rate: {rate:g} is not a share in [0, 1]")
        try:
            out.append(SpotRisk(**{c: row[c] for c in COLUMNS if c != "rate"}, rate=rate))
        except ValueError as err:
            raise InputError(f"{source}:{line}: {err}") from None
    return tuple(out)


@cache
def bundled_spot_risk() -> tuple[SpotRisk, ...]:
    """The bundled snapshot."""
    return read_spot_risk(read_input(SNAPSHOT, "data file"), str(SNAPSHOT))


def risk_of(offering: Offering, rows: Iterable[SpotRisk] = ()) -> SpotRisk | None:
    """The row that applies to `offering`: the most specific, later rows winning ties, the
    bundled snapshot underneath `rows`."""
    best: SpotRisk | None = None
    for row in (*bundled_spot_risk(), *rows):
        if row.matches(offering) and (best is None or row.specificity >= best.specificity):
            best = row
    return best


def with_spot_risk(offerings: Iterable[Offering], rows: Sequence[SpotRisk]) -> tuple[Offering, ...]:
    """`offerings` with the interruption rate of `rows` (over the snapshot) on each spot one."""
    out = []
    for o in offerings:
        row = risk_of(o, rows) if o.price_spot is not None and not o.owned else None
        out.append(o if row is None else replace(o, interruption_rate=row.rate))
    return tuple(out)


def interruption_rate(offering: Offering) -> float:
    """Monthly share of `offering`'s spot instances interrupted: its own figure (a catalog
    with spot-risk rows), else the bundled snapshot's, else 0."""
    if offering.interruption_rate is not None:
        return offering.interruption_rate
    row = risk_of(offering)
    return row.rate if row else 0.0


def spot_risk_csv(rows: Iterable[SpotRisk], comments: Sequence[str] = ()) -> str:
    """Rows in this module's CSV format, '#' comment lines first."""
    return csv_text(COLUMNS, ([getattr(r, c) for c in COLUMNS] for r in rows), comments)
