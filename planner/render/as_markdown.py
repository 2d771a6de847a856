"""Markdown: plans, reports, diffs and sweeps for pull requests and wikis (every value a user or
a server wrote is escaped by the renderers in planner.report and planner.sweep)."""

from __future__ import annotations

from planner.render import Format, renderer

ALLOCATION_COLUMNS = [
    "workload", "provider", "region", "service", "instance_type", "accelerator",
    "pricing", "count", "tp", "cost_per_hour", "routed_rps", "utilisation", "hours", "job_cost",
]  # fmt: skip


@renderer("Plan", Format.md)
@renderer("Frontier", Format.md)
def plan(result, *, width=None) -> str:
    from planner.plans.annotations import annotations_of
    from planner.report.wording import baseline_line, unit_costs_line

    lines = [
        f"**Plan** ({result.status}): ${result.cost_per_hour:,.2f}/h serving "
        f"(${result.cost_per_month:,.0f}/month), ${result.job_cost:,.2f} in jobs; "
        f"gap {result.gap:.2%}",
        "",
        "| " + " | ".join(ALLOCATION_COLUMNS) + " |",
        "|" + "---|" * len(ALLOCATION_COLUMNS),
    ]
    for a in result.allocations:
        row = a.model_dump()
        cells = ["" if row[c] is None else str(row[c]) for c in ALLOCATION_COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    for u in (result.economics.serving, result.economics.batch):
        if u is not None:
            lines.append(f"\n- {u.name}: {unit_costs_line(u)}")
    for b in annotations_of(result).baselines:
        lines.append(f"\n- {baseline_line(result, b)}")
    for a in result.allocations:
        if a.calibration:
            lines.append(f"\n- {a.workload} on {a.instance_type}: {a.calibration}")
    return "\n".join(lines) + "\n"


@renderer("Report", Format.md)
def report(result, *, width=None) -> str:
    from planner.report import render_markdown

    uses = list(result.quota_usage) if result.quota_usage is not None else None
    return render_markdown(result.plan, uses)


@renderer("Diff", Format.md)
def diff(result, *, width=None) -> str:
    from planner.report.diff_render import diff_markdown

    return diff_markdown(result.result)


@renderer("SweepRun", Format.md)
def sweep(result, *, width=None) -> str:
    from planner.sweep.render import markdown

    return markdown(result.sweep)


@renderer("Observed", Format.md)
def observed(result, *, width=None) -> str:
    from planner.observe.render import observe_markdown

    return observe_markdown(result.observation, result.drifts, result.calibrations, result.notes)


@renderer("Rightsized", Format.md)
def rightsized(result, *, width=None) -> str:
    from planner.render.as_table import rightsized_lines

    return rightsized_lines(result, "- ")
