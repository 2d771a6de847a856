"""FOCUS CSV: projected costs in the FinOps FOCUS columns, one row per allocation."""

from __future__ import annotations

from planner.render import Format, renderer


@renderer("Export", Format.focus_csv)
def export(result, *, width=None) -> str:
    from planner.report import focus_csv

    return focus_csv(list(result.rows))
