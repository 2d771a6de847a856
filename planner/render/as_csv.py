"""CSV: records and listings as rows (every cell a spreadsheet would run as a formula made
inert by planner.markup.csv_text)."""

from __future__ import annotations

from planner.render import Format, renderer


@renderer("Estimate", Format.csv)
@renderer("QueueFigures", Format.csv)
def record(result, *, width=None) -> str:
    """One record as field,value rows."""
    from planner.markup import csv_text

    return csv_text(["field", "value"], ([k, v] for k, v in result.record.items()))


@renderer("Listing", Format.csv)
def listing(result, *, width=None) -> str:
    """Every row, every field."""
    from planner.markup import csv_text

    return csv_text(list(result.columns), ([r.get(c) for c in result.columns] for r in result.rows))


@renderer("SpotRisk", Format.csv)
def spot_risk(result, *, width=None) -> str:
    """The spot-risk CSV a --catalog directory reads, its source and date in a comment."""
    return result.csv_file


@renderer("Defaults", Format.csv)
def defaults(result, *, width=None) -> str:
    """Each default and where it came from, a row each."""
    from planner.markup import csv_text
    from planner.render.as_table import SETTING_COLUMNS, _setting_rows

    rows = _setting_rows(result)
    return csv_text(SETTING_COLUMNS, ([r[c] for c in SETTING_COLUMNS] for r in rows))
