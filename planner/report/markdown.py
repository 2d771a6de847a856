"""The report as Markdown, short enough for a pull-request comment (tables, no charts)."""

from __future__ import annotations

from planner.figures import number, pct
from planner.markup import md
from planner.plans import Plan
from planner.report.quota import QuotaUse
from planner.report.summary import (
    ALLOCATION_HEADERS,
    allocation_cells,
    baseline_rows,
    headlines,
    workload_cells,
)

WORKLOAD_HEADERS = ("workload", "kind", "model", "$/month", "job $", "unit costs", "replicas",
                    "regions", "SLO", "predicted")  # fmt: skip


def _row(cells) -> str:
    return "| " + " | ".join(md(c) for c in cells) + " |"


def _table(headers, rows) -> list[str]:
    return [_row(headers), "|" + "---|" * len(headers), *(_row(r) for r in rows)]


def render_markdown(plan: Plan, quota_uses: list[QuotaUse] | None = None) -> str:
    """Summary, baselines, workloads, allocations and (with a spec) quotas, as Markdown."""
    lines = [f"### Placement plan {md(plan.plan_id)}", ""]
    lines += [
        f"- **{md(h.label)}**: {md(h.value)}" + (f" ({md(h.note)})" if h.note else "")
        for h in headlines(plan)
    ]
    from planner.report.wording import autoscaling_line, provenance_lines

    if autoscaling_line(plan):
        lines += [f"- {md(autoscaling_line(plan))}"]
    rows = baseline_rows(plan)
    if rows:
        lines += ["", "**Against simpler planners**", ""]
        cells = [b.as_cells() for b in rows]
        lines += _table(list(cells[0]), [list(c.values()) for c in cells])
    lines += ["", "**Workloads**", ""]
    lines += _table(
        WORKLOAD_HEADERS,
        [[workload_cells(plan, w)[h] for h in WORKLOAD_HEADERS] for w in plan.workloads],
    )
    lines += ["", "**Allocations**", ""]
    lines += _table(
        ("workload", *ALLOCATION_HEADERS),
        [[a.workload, *allocation_cells(a).values()] for a in plan.allocations],
    )
    if plan.capacity:
        lines += ["", "**Capacity you already have**", ""]
        lines += _table(
            ("pool", "kind", "accelerators", "used", "idle", "idle commitment $/h", "note"),
            [
                [p.name, p.kind, f"{p.accelerators} x {p.accelerator}", p.used, p.idle,
                 number(p.idle_commitment_per_hour), p.note]
                for p in plan.capacity
            ],
        )  # fmt: skip
    if quota_uses:
        lines += ["", "**Quotas** (accelerators, all instances at once)", ""]
        lines += _table(
            ("pool", "limit", "used", "share"),
            [[q.label, q.limit, q.used, pct(q.share, 0)] for q in quota_uses],
        )
    idle = [
        "- "
        + md(
            f"{a.workload} {a.count}x {a.instance_type} {a.provider}/{a.region} "
            f"(${a.cost_per_hour:,.2f}/h): {e.idle_rule}"
        )
        for a, e in zip(plan.allocations, plan.economics.allocations, strict=True)
        if e.idle_rule
    ]
    if idle:
        lines += ["", "**Standby capacity**", "", *idle]
    lines += ["", "**Prices**", "", *(f"- {md(line)}" for line in provenance_lines(plan))]
    return "\n".join(lines) + "\n"
