"""Which charts a plan gets, each as a titled inline SVG; charts without data are left out."""

from __future__ import annotations

from dataclasses import dataclass

from planner.plans import Plan
from planner.report import plots
from planner.report.breakdown import breakdowns
from planner.report.future import frontier_points, schedule_series
from planner.report.quota import QuotaUse
from planner.report.slo import headroom, utilisations


@dataclass(frozen=True)
class Chart:
    """One figure of the report."""

    name: str
    title: str
    caption: str
    svg: str


def charts(plan: Plan, quota_uses: list[QuotaUse] | None = None) -> list[Chart]:
    """The report's figures in reading order (needs matplotlib; see plots.plots_available)."""
    out = []
    parts = breakdowns(plan)
    for unit, name, title in (
        ("$/h", "cost-hourly", "Serving cost by provider, region and workload"),
        ("job $", "cost-jobs", "Batch and training job cost by provider, region and workload"),
    ):
        mine = [p for p in parts if p.unit == unit]
        if mine:
            caption = "Dollars per hour of the serving fleet." if unit == "$/h" else "Dollars."
            out.append(Chart(name, title, caption, plots.cost_svg(mine, name)))
    if quota_uses:
        out.append(
            Chart(
                "quotas",
                "Accelerators used against quotas",
                "Every instance of the plan counted at once, as the solver does.",
                plots.quota_svg(quota_uses, "quotas"),
            )
        )
    rows, utils = headroom(plan), utilisations(plan)
    if utils:
        out.append(
            Chart(
                "slo",
                "Utilisation and SLO headroom",
                "Planned load over sustainable rate per allocation; worst predicted TPOT of the "
                "instances that carry traffic, against each workload's target.",
                plots.slo_svg(rows, utils, "slo"),
            )
        )
    points = frontier_points(plan)
    if points:
        out.append(
            Chart(
                "frontier",
                "Cost/completion-time frontier",
                "Each point is a plan no other plan beats on both cost and completion time.",
                plots.frontier_svg(points, "frontier"),
            )
        )
    series = schedule_series(plan)
    if series:
        out.append(
            Chart(
                "schedule",
                "Hourly replica schedule",
                "Replicas each workload runs in each UTC hour.",
                plots.schedule_svg(series, "schedule"),
            )
        )
    return out
