"""Which charts a plan gets, each as a titled inline SVG; charts without data are left out."""

from __future__ import annotations

from dataclasses import dataclass

from planner.plans import Plan, annotations_of
from planner.report import plots
from planner.report.breakdown import stacked_costs
from planner.report.future import frontier_points, schedule_series
from planner.report.quota import QuotaUse
from planner.report.slo import headroom, utilisations
from planner.report.wording import autoscaling_line

CHART_ROWS = 25
"""Bars per panel of the SLO chart: a chart with a bar per allocation of a large fleet is
unreadable and takes minutes to draw; the report's tables keep every row."""


SCHEDULE_LINES = 8
"""Workloads drawn in the hourly schedule chart (those with the largest peak)."""


def _tightness(row) -> tuple[float, str]:
    """Workloads closest to (or past) their TPOT target first; those without one last."""
    if row.tpot_ms is None or not row.tpot_target_ms:
        return (float("inf"), row.workload)
    return (-row.tpot_ms / row.tpot_target_ms, row.workload)


def _objective_unit(plan: Plan) -> str:
    serving = any(a.kind == "serving" for a in plan.allocations)
    jobs = any(a.kind != "serving" for a in plan.allocations)
    return "serving $/h + job $" if serving and jobs else ("$/h" if serving else "$")


def _static(plan: Plan) -> dict[str, int]:
    return {
        s.workload: s.static_replicas
        for s in annotations_of(plan).schedule
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
        busiest = set(sorted(range(len(utils)), key=lambda i: -utils[i].utilisation)[:CHART_ROWS])
        tight = set(sorted(range(len(rows)), key=lambda i: _tightness(rows[i]))[:CHART_ROWS])
        shown = [u for i, u in enumerate(utils) if i in busiest]  # plan order
        tightest = [r for i, r in enumerate(rows) if i in tight]
        caption = (
            "Planned load over sustainable rate per allocation; worst predicted TPOT of the "
            "instances that carry traffic, against each workload's target."
        )
        if len(shown) < len(utils) or len(tightest) < len(rows):
            caption += (
                f" The {len(shown)} busiest of {len(utils)} allocations and the "
                f"{len(tightest)} workloads closest to their TPOT target of {len(rows)}; the "
                "tables below list them all."
            )
        out.append(
            Chart(
                "slo",
                "Utilisation and SLO headroom",
                caption,
                plots.slo_svg(tightest, shown, "slo"),
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
        largest = sorted(series, key=lambda w: (-max(series[w]), w))[:SCHEDULE_LINES]
        shown = {w: v for w, v in series.items() if w in set(largest)}
        caption = "Replicas each workload runs in each UTC hour; dashed, the peak-sized fleet. "
        if len(shown) < len(series):
            caption += f"The {len(shown)} largest of {len(series)} scheduled workloads. "
        out.append(
            Chart(
                "schedule",
                "Hourly replica schedule",
                caption + (autoscaling_line(plan) + "." if autoscaling_line(plan) else ""),
                plots.schedule_svg(shown, "schedule", _static(plan)),
            )
        )
    return out
