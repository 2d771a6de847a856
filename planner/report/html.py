"""The self-contained HTML report: one page, inline CSS and SVG, no scripts or external assets."""

from __future__ import annotations

from typing import Any

from planner.figures import number, pct, usd
from planner.plans import Plan
from planner.report.charts import charts
from planner.report.future import frontier_points, schedule_series
from planner.report.observed import with_observed
from planner.report.plots import INSTALL_HINT, plots_available
from planner.report.quota import QuotaUse
from planner.report.summary import (
    JOB_HEADERS,
    SERVING_HEADERS,
    baseline_rows,
    headlines,
    hours,
    report_allocation_cells,
    slo_status,
    workload_cells,
)
from planner.report.wording import (
    alternative_cost,
    autoscaling_line,
    month_convention,
    price_basis_line,
    price_dates,
    price_sources,
)
from planner.resources import templates_dir

TEMPLATE = "report/report.html.j2"


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

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
    jobs = any(a.kind != "serving" for a in plan.allocations)
    serving = any(a.kind == "serving" for a in plan.allocations)
    cost_unit = "serving $/h + job $" if jobs and serving else ("$/h" if serving else "$")
    return {
        "plan": plan,
        "headlines": headlines(plan),
        "slo_status": slo_status(plan),
        "baselines": baseline_rows(plan),
        "workloads": [
            {
                "cells": workload_cells(plan, w),
                "slo_note": w.slo_note,
                "alternatives": [
                    (a.description, alternative_cost(w, a.cost)) for a in w.alternatives
                ],
                "headers": SERVING_HEADERS if w.kind == "serving" else JOB_HEADERS,
                "allocations": [
                    report_allocation_cells(plan, i) for i in plan.workload_indices.get(w.name, ())
                ],
                "notes": [
                    f"{cells['where']} {cells['instance']} ({cells['$/h']}/h): {cells['note']}"
                    for i in plan.workload_indices.get(w.name, ())
                    if (cells := report_allocation_cells(plan, i))["note"] != "-"
                ],
            }
            for w in plan.workloads
        ],
        "quotas": quota_uses,
        "frontier": [(hours(p.hours), number(p.cost), p.chosen) for p in frontier_points(plan)],
        "frontier_unit": cost_unit,
        "autoscaling": autoscaling_line(plan),
        "month": month_convention(),
        "price_dates": price_dates(plan),
        "price_basis": price_basis_line(plan),
        "warnings": list(plan.warnings),
        "price_sources": price_sources(plan),
        "usd": usd,
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
        page = with_observed(page, observation)
    return page
