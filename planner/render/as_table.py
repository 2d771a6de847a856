"""Tables: what a verb prints on a terminal, fitted to its width (numbers whole, text
wrapped, optional columns dropped last first), or at full width for a file or a pipe."""

from __future__ import annotations

from planner.render import Format, renderer
from planner.render.layout import table_text, wrap_text


def _serving_row(a, unit) -> dict:
    from planner.report.wording import rate

    return {
        "workload": a.workload,
        "where": f"{a.provider} {a.region}",
        "instance": a.instance_type
        + (" spot" if a.pricing == "spot" else "")
        + (" shared" if a.shared_group else "")
        + (f" ({a.nodes_per_replica}/replica)" if a.nodes_per_replica else ""),
        "gpus": f"{a.accelerators_per_instance}x {a.accelerator}",
        "n": a.count,
        "TP": a.tp,
        "$/h": f"{a.cost_per_hour:,.2f}",
        "rps": f"{a.routed_rps:,.2f}" if a.routed_rps is not None else None,
        "util": f"{a.utilisation:.0%}" if a.utilisation is not None else None,
        "$/M tok": "standby" if unit.idle_rule else rate(unit.usd_per_million_tokens),
        "$/M in": None if unit.idle_rule else rate(unit.usd_per_million_input_tokens),
        "$/M out": None if unit.idle_rule else rate(unit.usd_per_million_output_tokens),
    }


def _job_row(a, unit) -> dict:
    from planner.report.wording import rate

    return {
        "workload": a.workload,
        "where": f"{a.provider} {a.region}",
        "instance": a.instance_type
        + (" spot" if a.pricing == "spot" else "")
        + (f" ({a.nodes_per_replica}/replica)" if a.nodes_per_replica else ""),
        "gpus": f"{a.accelerators_per_instance}x {a.accelerator}",
        "n": a.count,
        "hours": round(a.hours or 0.0, 2),
        "job $": f"{a.job_cost:,.2f}" if a.job_cost is not None else None,
        "$/M tok": rate(unit.usd_per_million_tokens),
        "$/M in": rate(unit.usd_per_million_input_tokens),
        "$/M out": rate(unit.usd_per_million_output_tokens),
    }


@renderer("Plan", Format.table)
def plan(plan, *, width=None) -> str:
    """A summary that fits `width`: serving and job allocations apart, prose wrapped; a robust
    plan's coverage after it."""
    from planner.plans.annotations import annotations_of

    out: list[str] = []

    def say(text: str) -> None:
        out.append(wrap_text(text, width) + "\n")

    from planner.report.wording import (
        alternative_cost,
        autoscaling_line,
        baseline_line,
        objective_amount,
        price_basis_line,
        price_dates,
        unit_costs_line,
    )

    economics = plan.economics
    fleet = [f"{k} {unit_costs_line(u)}" for k, u in (("serving", economics.serving),
             ("batch", economics.batch)) if u is not None]  # fmt: skip
    say(
        f"Plan {plan.plan_id}: {plan.status}, gap {plan.gap:.2%} (lower bound "
        f"{objective_amount(plan, plan.lower_bound)}), solved in "
        f"{plan.solve_seconds:.1f} s\n"
        f"Serving ${plan.cost_per_month:,.0f}/month (${plan.cost_per_hour:,.2f}/h x 730 h); "
        f"jobs ${plan.job_cost:,.2f}" + (f"\nUnit costs: {'; '.join(fleet)}" if fleet else "")
    )
    units = economics.allocations
    serving = [_serving_row(a, units[i]) for i, a in enumerate(plan.allocations)
               if a.kind == "serving"]  # fmt: skip
    jobs = [_job_row(a, units[i]) for i, a in enumerate(plan.allocations) if a.kind != "serving"]
    if serving:
        shown = list(serving[0])
        # dropped to fit the terminal, the last named first
        optional = ["gpus", "util", "rps", "TP", "$/M out", "$/M in"]
        out.append(table_text(serving, shown, "Serving", optional, width))
    if jobs:
        optional = ["gpus", "$/M out", "$/M in"]
        out.append(table_text(jobs, list(jobs[0]), "Jobs", optional, width))
    for i, a in enumerate(plan.allocations):
        if units[i].idle_rule:
            say(
                f"Standby {a.workload} {a.count}x {a.instance_type} {a.provider} {a.region} "
                f"(${a.cost_per_hour:,.2f}/h, no traffic): {units[i].idle_rule}"
            )
    for a in plan.allocations:
        if a.calibration:
            say(f"Uncalibrated {a.workload} {a.count}x {a.instance_type}: {a.calibration}")
    for pool in plan.capacity:
        if pool.idle:
            paid = (
                f", ${pool.idle_commitment_per_hour:,.2f}/h of it paid whether used or not"
                if pool.idle_commitment_per_hour > 0.005
                else ""
            )
            say(
                f"Idle {pool.kind} {pool.name}: {pool.idle} of {pool.accelerators} "
                f"{pool.accelerator} unused{paid}"
                + (
                    f" ({pool.note})"
                    if pool.note and not pool.note.startswith(f"{pool.idle} of")
                    else ""
                )
            )
    for c in plan.commitments:
        say(
            f"Commitment {c.name} ({c.product}, {c.scope}): ${c.committed_per_hour:,.2f}/h paid, "
            f"covers ${c.covered_per_hour:,.2f}/h of list usage ({c.utilisation:.0%} used), "
            f"saves ${c.saving_per_hour:,.2f}/h"
        )
    if economics.job_cost_per_month:
        say(
            f"Recurring jobs: ${economics.job_cost_per_month:,.2f}/month (every run); "
            f"serving + recurring jobs: ${economics.total_cost_per_month:,.2f}/month"
        )
    by_name = {u.name: u for u in economics.workloads}
    for w in plan.workloads:
        binding = f"; binding: {', '.join(w.binding)}" if w.binding else ""
        say(f"{w.name}: {unit_costs_line(by_name[w.name])}; {w.slo_note}{binding}")
        for alt in w.alternatives:
            say(f"    instead: {alt.description}: {alternative_cost(w, alt.cost)}")
    for b in annotations_of(plan).baselines:
        say(baseline_line(plan, b))
    if autoscaling_line(plan):
        say(autoscaling_line(plan))
    catalogs = ", ".join(c.path for c in plan.provenance.catalogs) or "the given catalog"
    say(f"Prices in {plan.provenance.currency} from {catalogs}, as of {price_dates(plan)}")
    if price_basis_line(plan):
        say(price_basis_line(plan))
    for warning in plan.warnings:
        say(f"Warning: {warning}")
    if plan.provenance.perf_fit:
        say(f"Capacity sized with the efficiency fit {plan.provenance.perf_fit!r}")
    for w in plan.workloads:
        for assumption in w.assumptions:
            say(f"{w.name} assumes {assumption}")
    if annotations_of(plan).robust is not None:
        from planner.sweep.robust import describe

        out.append("\n".join(describe(plan)) + "\n")
    return "".join(out)


@renderer("Frontier", Format.table)
def frontier(plan, *, width=None) -> str:
    """The frontier's points: completion time against cost."""
    from planner.plans.annotations import annotations_of

    rows = [p.model_dump() for p in annotations_of(plan).frontier or []]
    title = "Cost against completion time (each point: the cheapest plan finishing by then)"
    columns = ["completion_hours", "objective_value", "cost_per_hour", "job_cost"]
    return table_text(rows, columns, title, (), width)


@renderer("Diff", Format.table)
def diff(result, *, width=None) -> str:
    """The headline, notes, the changes and the SLO lines."""
    from planner.report.diff_render import CHANGE_COLUMNS, change_rows, headline, slo_lines

    found = result.result
    out = [wrap_text(headline(found), width) + "\n"]
    out += [wrap_text(f"  {note}", width) + "\n" for note in found.notes]
    if found.changes:
        out.append(table_text(change_rows(found), CHANGE_COLUMNS, "Changes", (), width))
    out += [wrap_text(line, width) + "\n" for line in slo_lines(found)]
    return "".join(out)


@renderer("SweepRun", Format.table)
def sweep(result, *, width=None) -> str:
    """The scenarios as a rich table (short columns kept whole, long ones folded), then the
    summary; a file or a pipe gets at least 160 columns, so each row fits a line or two."""
    import io

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from planner.sweep.render import rows, summary_lines

    found, columns = rows(result.sweep)
    plan_mode = result.sweep.mode == "plan"
    title = "Fixed plan in each scenario" if plan_mode else "Cheapest plan per scenario"
    table = Table(title=title, header_style="bold", title_justify="left")
    for column in columns:
        long = column in ("what", "why", "unmet")
        table.add_column(column, overflow="fold" if long else "ellipsis", no_wrap=not long)
    for row in found:
        table.add_row(*(Text(row[c]) for c in columns))  # Text: labels hold [brackets]
    buffer = io.StringIO()
    if width is None:
        width = max(Console(file=io.StringIO()).width, 160)
    Console(file=buffer, width=width, no_color=True).print(table)
    return buffer.getvalue() + "\n".join(summary_lines(result.sweep)) + "\n"


_METRIC_ROWS = [
    "status", "objective_value", "bound", "makespan_h", "completion_mean_h", "completion_p95_h",
    "waiting_mean_h", "waiting_p95_h", "deadline_misses", "lateness_h", "utilisation", "cost",
    "preemptions", "solve_seconds",
]  # fmt: skip


def _side_by_side(metrics) -> list[dict]:
    """One row per figure, one column per policy."""
    rows = [
        {"metric": name, **{m.policy: getattr(m, name) for m in metrics}} for name in _METRIC_ROWS
    ]
    classes = sorted({c.priority for m in metrics for c in m.by_priority}, reverse=True)
    for priority in classes:
        for name in ("completion_mean_h", "completion_p95_h", "waiting_mean_h", "waiting_p95_h"):
            row: dict = {"metric": f"{name} (priority {priority})"}
            for m in metrics:
                found = [c for c in m.by_priority if c.priority == priority]
                row[m.policy] = getattr(found[0], name) if found else None
            rows.append(row)
    rows.append({"metric": "late_jobs", **{m.policy: ", ".join(m.late_jobs) for m in metrics}})
    return rows


@renderer("Schedules", Format.table)
def schedules(result, *, width=None) -> str:
    """The policies side by side, one row per figure, and each policy's notes."""
    problem, comparison = result.problem, result.comparison
    out = [
        f"{len(problem.tasks)} jobs on {len(problem.pools)} pools; objective {result.objective} "
        f"({problem.deadlines} deadlines)\n",
        table_text(
            _side_by_side(comparison.metrics), ["metric", *result.policies], None, (), width
        ),
    ]
    out += [f"{s.policy}: {note}\n" for s in comparison.schedules for note in s.notes]
    return "".join(out)


@renderer("Estimate", Format.table)
@renderer("QueueFigures", Format.table)
def record(result, *, width=None) -> str:
    """One record as field/value rows under its title."""
    rows = [{"field": k, "value": v} for k, v in result.record.items()]
    return table_text(rows, ["field", "value"], result.title, (), width)


_SIM_COLUMNS = [
    "workload", "requests", "ttft_p50_ms", "ttft_p95_ms", "ttft_p99_ms", "e2e_p50_ms",
    "e2e_p95_ms", "e2e_p99_ms", "wait_mean_ms", "wait_p95_ms", "utilisation",
    "planned_utilisation", "slo_attainment", "meets_slo",
]  # fmt: skip


@renderer("SimulationReport", Format.table)
def simulation(report, *, width=None) -> str:
    """The run's headline, then one row per workload and per priority class."""
    rows = []
    for w in report.workloads:
        rows.append(w.model_dump())
        rows += [
            {**c.model_dump(), "workload": f"{w.workload} (priority {c.priority})"}
            for c in w.classes
        ]
    head = (
        f"{report.requests:,} requests ({report.source}), policy {report.policy}, "
        f"seed {report.seed}\n"
    )
    return head + table_text(rows, _SIM_COLUMNS, None, (), width)


_SCALE_COLUMNS = [
    "workload", "static_replicas", "min_replicas", "max_replicas", "target_rps_per_replica",
    "static_cost_per_day", "dynamic_cost_per_day", "saving_per_day", "saving_fraction",
]  # fmt: skip


@renderer("AutoscalePlan", Format.table)
def autoscale(result, *, width=None) -> str:
    """Dynamic against static per day, each workload's instances per hour, the total."""
    out = []
    rows = [{**w.model_dump(), **w.bounds.model_dump()} for w in result.workloads]
    if rows:
        out.append(table_text(rows, _SCALE_COLUMNS, "Dynamic vs static, per day", (), width))
    else:
        out.append("No serving workload of the plan has an hourly_profile: nothing to scale.\n")
    for w in result.workloads:
        hours = [
            {
                "hour": h,
                "rps": round(w.hourly_rps[h], 3),
                "slo_replicas": w.slo_replicas[h],
                "replicas": w.replicas[h],
                **{f"#{a.allocation} {a.label}": a.instances[h] for a in w.allocations},
            }
            for h in range(len(w.replicas))
        ]
        title = f"{w.workload}: instances per hour"
        out.append(table_text(hours, list(hours[0]), title, (), width))
    out += [f"skipped {note}\n" for note in result.skipped]
    out.append(
        f"Total: static ${result.static_cost_per_day:,.2f}/day, dynamic "
        f"${result.dynamic_cost_per_day:,.2f}/day, saving ${result.saving_per_day:,.2f}/day\n"
    )
    return "".join(out)


@renderer("Listing", Format.table)
@renderer("SpotRisk", Format.table)
def listing(result, *, width=None) -> str:
    """The table view of the rows (its own columns when it has them), fitting `width`."""
    rows = result.table_rows if result.table_rows is not None else result.rows
    columns = result.table_columns or result.columns
    return table_text(list(rows), list(columns), result.title, result.optional, width)


@renderer("Observed", Format.table)
def observed(result, *, width=None) -> str:
    """The window's headline, planned beside observed, the roofline against what was seen,
    and the notes."""
    from planner.observe.render import (
        CALIBRATION_COLUMNS,
        DRIFT_COLUMNS,
        calibration_rows,
        drift_rows,
        headline,
    )

    out = [headline(result.observation) + "\n"]
    out.append(table_text(drift_rows(result.drifts), DRIFT_COLUMNS, "Planned and observed",
                          width=width))  # fmt: skip
    if result.calibrations:
        rows = calibration_rows(result.calibrations)
        out.append(table_text(rows, CALIBRATION_COLUMNS, "Roofline against observation",
                              width=width))  # fmt: skip
    out += [f"note: {note}\n" for note in result.notes]
    return "".join(out)


def rightsized_lines(result, bullet: str) -> str:
    """The right-sized spec, each workload's traffic change, the diff's headline and the
    recommendations, as lines (Markdown bullets with `bullet="- "`)."""
    from planner.report.diff_render import headline

    proposal = result.proposal
    lines = [f"Right-sized spec: {result.spec_file}"]
    for c in proposal.changes:
        if c.updated:
            what = "; ".join(c.changes) or "as observed: unchanged"
        else:
            what = f"{c.reason} ({c.detail})" if c.detail else c.reason
        lines.append(f"{bullet}{c.workload}: {what}")
    lines += ["", headline(proposal.diff), "", "Recommendations:"]
    lines += [f"{bullet}{r}" for r in proposal.recommendations]
    lines += [f"{bullet}note: {n}" for n in proposal.notes]
    return "\n".join(lines) + "\n"


@renderer("Rightsized", Format.table)
def rightsized(result, *, width=None) -> str:
    """What changed and why, then the allocations that change."""
    from planner.report.diff_render import CHANGE_COLUMNS, change_rows

    text = rightsized_lines(result, "  ")
    diff = result.proposal.diff
    if diff.changes:
        text += table_text(change_rows(diff), CHANGE_COLUMNS, "Changes", width=width)
    return text


def _setting_rows(result) -> list[dict]:
    return [
        {
            "key": s.key,
            "value": ", ".join(map(str, s.value)) if isinstance(s.value, list) else s.value,
            "source": s.source + (f" (overridden by {s.overridden_by})" if s.overridden_by else ""),
            "verbs": ", ".join(s.verbs) if len(s.verbs) <= 4 else f"{len(s.verbs)} verbs",
        }
        for s in result.settings
    ]


SETTING_COLUMNS = ["key", "value", "source", "verbs"]


@renderer("Defaults", Format.table)
def defaults(result, *, width=None) -> str:
    """The config file, then each default and where it came from (planner config show)."""
    file = result.config_file or "none (planner.toml or [tool.planner] not found)"
    head = f"config file: {file}\n"
    if not result.settings:
        return head + "no defaults set: every option has its built-in default\n"
    return head + table_text(_setting_rows(result), SETTING_COLUMNS, width=width)
