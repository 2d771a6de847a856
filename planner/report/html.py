"""The self-contained HTML report: one page, inline CSS and SVG, no scripts or external assets."""

from __future__ import annotations

from typing import Any

from planner.figures import number, pct, usd
from planner.plans import Plan
from planner.report.charts import charts
from planner.report.future import frontier_points, schedule_series
from planner.report.plots import INSTALL_HINT, plots_available
from planner.report.quota import QuotaUse
from planner.report.summary import (
    ALLOCATION_HEADERS,
    allocation_cells,
    allocations_of,
    baseline_rows,
    headlines,
    workload_cells,
)

TEMPLATE = "report/report.html.j2"


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from planner.resources import templates_dir

    return Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def report_context(plan: Plan, quota_uses: list[QuotaUse] | None = None) -> dict[str, Any]:
    """Everything the template shows, as strings and lists (plots only if matplotlib imports)."""
    with_plots = plots_available()
    return {
        "plan": plan,
        "headlines": headlines(plan),
        "baselines": baseline_rows(plan),
        "workloads": [
            {
                "cells": workload_cells(plan, w),
                "slo_note": w.slo_note,
                "alternatives": [(a.description, number(a.cost)) for a in w.alternatives],
                "allocations": [allocation_cells(a) for a in allocations_of(plan, w.name)],
            }
            for w in plan.workloads
        ],
        "allocation_headers": ALLOCATION_HEADERS,
        "quotas": quota_uses,
        "frontier": [(number(p.hours), usd(p.cost), p.chosen) for p in frontier_points(plan)],
        "schedule": schedule_series(plan),
        "charts": charts(plan, quota_uses) if with_plots else [],
        "plots_note": "" if with_plots else f"Plots need matplotlib: {INSTALL_HINT}",
        "pct": pct,
        "number": number,
    }


def render_html(plan: Plan, quota_uses: list[QuotaUse] | None = None, observation=None) -> str:
    """The report page for `plan`; `quota_uses` (from the spec) adds the quota table and chart;
    `observation` (a planner.report.observed.ObservedSection) adds the Observed section."""
    page = _environment().get_template(TEMPLATE).render(report_context(plan, quota_uses))
    if observation is not None:
        from planner.report.observed import with_observed

        page = with_observed(page, observation)
    return page
