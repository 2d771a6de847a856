"""Which charts a plan gets, each as a titled inline SVG; charts without data are left out."""

from __future__ import annotations

from dataclasses import dataclass

from planner.plans import Plan
from planner.report import plots
from planner.report.breakdown import stacked_costs
from planner.report.future import frontier_points, schedule_series
from planner.report.quota import QuotaUse
from planner.report.slo import headroom, utilisations
from planner.report.wording import autoscaling_line


def _objective_unit(plan: Plan) -> str:
    serving = any(a.kind == "serving" for a in plan.allocations)
    jobs = any(a.kind != "serving" for a in plan.allocations)
    return "serving $/h + job $" if serving and jobs else ("$/h" if serving else "$")


def _static(plan: Plan) -> dict[str, int]:
    return {
        s.workload: s.static_replicas
        for s in plan.schedule
        if getattr(s, "static_replicas", None) is not None
    }


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
    for unit, name, title, caption in (
        ("$/month", "cost-hourly", "Serving cost per month by provider and region",
         "Each bar is one provider/region, split by workload; a month is 730 h."),
        ("job $", "cost-jobs", "Batch and training job cost by provider and region",
         "Dollars per job run, split by workload."),
    ):  # fmt: skip
        data = stacked_costs(plan, unit)
        if data is not None:
            out.append(Chart(name, title, caption, plots.stacked_svg(data, name)))
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
                "Each point is a plan no other plan beats on both cost and completion time; "
                "both axes start at zero.",
                plots.frontier_svg(points, "frontier", _objective_unit(plan)),
            )
        )
    series = schedule_series(plan)
    if series:
        out.append(
            Chart(
                "schedule",
                "Hourly replica schedule",
                "Replicas each workload runs in each UTC hour; dashed, the peak-sized fleet. "
                + (autoscaling_line(plan) + "." if autoscaling_line(plan) else ""),
                plots.schedule_svg(series, "schedule", _static(plan)),
            )
        )
    return out
