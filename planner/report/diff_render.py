"""A PlanDiff as text: a headline, table rows, Markdown for pull-request comments, or JSON."""

from __future__ import annotations

import json
from typing import Any

from planner.figures import signed_pct, signed_usd, usd
from planner.markup import md
from planner.report.diff import AllocationChange, PlanDiff, Total, describe_allocation
from planner.report.wording import month_convention, rate

MARKER = "<!-- llm-placement-planner:diff -->"
CHANGE_COLUMNS = ["change", "workload", "before", "after", "details", "delta_per_hour", "delta_job"]


def _total_text(t: Total) -> str:
    unit = "/h" if t.name.endswith("/h") else ("/month" if t.name.endswith("/month") else "")
    return (
        f"{usd(t.old)}{unit} -> {usd(t.new)}{unit} "
        f"({signed_usd(t.delta)}, {signed_pct(t.relative)})"
    )


def headline(diff: PlanDiff) -> str:
    """One line: the plans and their serving and job cost change."""
    if not diff.has_changes:
        return f"Plans {diff.old_plan_id} and {diff.new_plan_id}: no changes"
    count = len(diff.changes)
    units = "".join(
        f"; {u.name} {rate(u.old)} -> {rate(u.new)}"
        for u in diff.unit_costs
        if "M tokens" in u.name
    )
    return (
        f"Plan {diff.old_plan_id} -> {diff.new_plan_id}: serving "
        f"{_total_text(diff.total('serving $/month'))}; jobs {_total_text(diff.total('jobs $'))}"
        f"{units}; {count} allocation change(s), {diff.unchanged} unchanged"
    )


def change_rows(diff: PlanDiff) -> list[dict[str, Any]]:
    """One row per changed allocation (keys: CHANGE_COLUMNS)."""
    return [
        {
            "change": c.change,
            "workload": c.workload,
            "before": describe_allocation(c.old) if c.old else "",
            "after": describe_allocation(c.new) if c.new else "",
            "details": "; ".join(c.details),
            "delta_per_hour": round(c.hourly_delta, 6),
            "delta_job": round(c.job_delta, 6),
        }
        for c in diff.changes
    ]


def slo_lines(diff: PlanDiff) -> list[str]:
    """`workload: TPOT 60 ms -> 55 ms (target 60 ms)` for every workload whose SLO figures moved."""
    return [f"{w.name}: {'; '.join(w.slo_changes)}" for w in diff.workloads if w.slo_changes]


def _row(cells: list[str], strong: frozenset[int] = frozenset()) -> str:
    """A table row, every cell inert Markdown (`strong`: cells shown in bold)."""
    shown = [f"**{md(c)}**" if i in strong else md(c) for i, c in enumerate(cells)]
    return "| " + " | ".join(shown) + " |"


def _change_md(c: AllocationChange) -> list[str]:
    return [
        c.change,
        c.workload,
        describe_allocation(c.old) if c.old else "",
        describe_allocation(c.new) if c.new else "",
        signed_usd(c.hourly_delta),
        signed_usd(c.job_delta),
        "; ".join(c.details),
    ]


def diff_markdown(diff: PlanDiff) -> str:
    """Markdown for a pull-request comment; starts with a marker a bot can find to update it."""
    lines = [MARKER, f"### Placement plan: {md(diff.old_plan_id)} -> {md(diff.new_plan_id)}", ""]
    if not diff.has_changes:
        return "\n".join([*lines, "No changes: the plans are the same.", ""])
    lines += ["| | before | after | change |", "|---|---:|---:|---:|"]
    for t in diff.totals:
        lines.append(
            _row(
                [
                    t.name,
                    usd(t.old),
                    usd(t.new),
                    f"{signed_usd(t.delta)} ({signed_pct(t.relative)})",
                ]
            )
        )
    for u in diff.unit_costs:
        change = "-" if u.relative is None else signed_pct(u.relative)
        lines.append(_row([u.name, rate(u.old), rate(u.new), change]))
    lines += ["", f"Monthly figures: {month_convention()}."]
    lines += ["", *(f"- {md(n)}" for n in diff.notes)] if diff.notes else []
    lines += ["", f"**Allocations**: {len(diff.changes)} changed, {diff.unchanged} unchanged", ""]
    if diff.changes:
        lines += [
            "| change | workload | before | after | Δ $/h | Δ job $ | details |",
            "|---|---|---|---|---:|---:|---|",
        ]
        lines += [_row(_change_md(c)) for c in diff.changes]
    touched = [w for w in diff.workloads if w.status != "unchanged"]
    if touched:
        lines += [
            "",
            "**Workloads**",
            "",
            "| workload | status | $/h before | $/h after | job $ before | job $ after "
            "| $/M tokens before | $/M tokens after | SLO |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for w in touched:
            slo = {None: "-", True: "met", False: "missed"}[w.meets_slo[1]]
            lines.append(
                _row(
                    [
                        w.name,
                        w.status,
                        usd(w.cost_per_hour[0]),
                        usd(w.cost_per_hour[1]),
                        usd(w.job_cost[0]),
                        usd(w.job_cost[1]),
                        rate(w.usd_per_million_tokens[0]),
                        rate(w.usd_per_million_tokens[1]),
                        slo,
                    ],
                    strong=frozenset({8}) if w.meets_slo[1] is False else frozenset(),
                )
            )
    slo = slo_lines(diff)
    if slo:
        lines += ["", "**Predicted latency and SLOs**", "", *(f"- {md(s)}" for s in slo)]
    return "\n".join(lines) + "\n"


def _allocation(a) -> dict[str, Any] | None:
    return a.model_dump(mode="json") if a is not None else None


def diff_json(diff: PlanDiff) -> str:
    """The whole diff as JSON (allocations in full, deltas in dollars)."""
    data = {
        "old_plan_id": diff.old_plan_id,
        "new_plan_id": diff.new_plan_id,
        "has_changes": diff.has_changes,
        "totals": [
            {
                "name": t.name,
                "field": t.field,
                "old": t.old,
                "new": t.new,
                "delta": round(t.delta, 6),
                "relative": None if t.relative is None else round(t.relative, 6),
            }
            for t in diff.totals
        ],
        "unit_costs": [
            {
                "name": u.name,
                "old": u.old,
                "new": u.new,
                "relative": None if u.relative is None else round(u.relative, 6),
            }
            for u in diff.unit_costs
        ],
        "notes": list(diff.notes),
        "unchanged_allocations": diff.unchanged,
        "changes": [
            {
                "change": c.change,
                "workload": c.workload,
                "old": _allocation(c.old),
                "new": _allocation(c.new),
                "details": list(c.details),
                "delta_per_hour": round(c.hourly_delta, 6),
                "delta_job": round(c.job_delta, 6),
            }
            for c in diff.changes
        ],
        "workloads": [
            {
                "name": w.name,
                "status": w.status,
                "cost_per_hour": list(w.cost_per_hour),
                "delta_per_hour": round(w.hourly_delta, 6),
                "job_cost": list(w.job_cost),
                "delta_job": round(w.job_delta, 6),
                "meets_slo": list(w.meets_slo),
                "tpot_ms": list(w.tpot_ms),
                "ttft_ms": list(w.ttft_ms),
                "tpot_target_ms": w.tpot_target_ms,
                "ttft_target_ms": w.ttft_target_ms,
                "slo_changes": list(w.slo_changes),
                "usd_per_million_tokens": list(w.usd_per_million_tokens),
                "usd_per_million_input_tokens": list(w.usd_per_million_input_tokens),
                "usd_per_million_output_tokens": list(w.usd_per_million_output_tokens),
            }
            for w in diff.workloads
        ],
    }
    return json.dumps(data, indent=2) + "\n"
