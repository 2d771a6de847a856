"""`planner plan`: solve a spec into a plan and print or write it."""

from __future__ import annotations

import enum
import json
from pathlib import Path

import typer

from planner.cli.catalog_cmd import CATALOG_HELP
from planner.cli.executor_options import ExecutorKind, address_option, executor_option
from planner.cli.output import (
    Format,
    capture,
    deliver,
    force_option,
    guard_output,
    print_rows,
    resolve_format,
    say,
    status,
)
from planner.errors import InputError


class PlanFormat(enum.StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"
    md = "md"


ALLOCATION_COLUMNS = [
    "workload", "provider", "region", "service", "instance_type", "accelerator",
    "pricing", "count", "tp", "cost_per_hour", "routed_rps", "utilisation", "hours", "job_cost",
]  # fmt: skip


def _markdown(plan) -> str:
    lines = [
        f"**Plan** ({plan.status}): ${plan.cost_per_hour:,.2f}/h serving "
        f"(${plan.cost_per_month:,.0f}/month), ${plan.job_cost:,.2f} in jobs; gap {plan.gap:.2%}",
        "",
        "| " + " | ".join(ALLOCATION_COLUMNS) + " |",
        "|" + "---|" * len(ALLOCATION_COLUMNS),
    ]
    for a in plan.allocations:
        row = a.model_dump()
        cells = ["" if row[c] is None else str(row[c]) for c in ALLOCATION_COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    from planner.report.wording import baseline_line, unit_costs_line

    for u in (plan.economics.serving, plan.economics.batch):
        if u is not None:
            lines.append(f"\n- {u.name}: {unit_costs_line(u)}")
    for b in plan.baselines:
        lines.append(f"\n- {baseline_line(plan, b)}")
    for a in plan.allocations:
        if a.calibration:
            lines.append(f"\n- {a.workload} on {a.instance_type}: {a.calibration}")
    return "\n".join(lines) + "\n"


def parse_date(text: str, option: str):
    """A YYYY-MM-DD option value as a date (exit 2 naming the option otherwise)."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{option} {text!r}: not a date (YYYY-MM-DD)") from None


def _render(plan, fmt: PlanFormat) -> str:
    data = plan.model_dump(mode="json")
    if fmt is PlanFormat.json:
        return json.dumps(data, indent=2) + "\n"
    if fmt is PlanFormat.yaml:
        import yaml

        return yaml.safe_dump(data, sort_keys=False)
    return _markdown(plan)


FORMAT_HELP = "table, json, yaml or md; with -o FILE, default from its suffix, else json."
OUTPUT_HELP = "Write the result in --format (default json) to FILE; stdout gets one line."
QUIET_HELP = "No progress display on stderr."
DATE_HELP = (
    "Plan for this date (YYYY-MM-DD; default today, UTC): reservation terms and commitments "
    "still to pay count from it."
)
QUOTAS_HELP = "Quotas YAML (planner quotas refresh); the spec's own win."
RATES_HELP = (
    "Rate file: a `commitments:` list (Savings Plans, reservations, CUDs, negotiated "
    "discounts) added to the spec's."
)


def _summary(plan) -> str:
    robust = ""
    if plan.robust is not None:
        from planner.sweep.robust import describe

        robust = "; " + describe(plan)[0]
    return (
        f"plan {plan.plan_id} ({plan.status}: ${plan.cost_per_hour:,.2f}/h serving, "
        f"${plan.job_cost:,.2f} in jobs, {len(plan.allocations)} allocation(s){robust})"
    )


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


def _print_table(plan) -> None:
    """A summary that fits the terminal: serving and job allocations apart, prose wrapped."""
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
        print_rows(serving, shown, Format.table, title="Serving", optional=optional)
    if jobs:
        optional = ["gpus", "$/M out", "$/M in"]
        print_rows(jobs, list(jobs[0]), Format.table, title="Jobs", optional=optional)
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
    for b in plan.baselines:
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


FIT_HELP = "Efficiency fit from `planner calibrate` (the plan names it)."


def plan(
    spec_file: Path = typer.Argument(..., help="Spec file (YAML or JSON)."),
    catalog: list[str] = typer.Option(None, "--catalog", help=CATALOG_HELP),
    profiles: Path = typer.Option(None, "--profiles", help="Measured profiles CSV."),
    fit: Path = typer.Option(None, "--fit", help=FIT_HELP),
    quotas: list[Path] = typer.Option(None, "--quotas", help=QUOTAS_HELP),
    rates: list[Path] = typer.Option(None, "--rates", help=RATES_HELP),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Solver time limit, seconds."),
    gap: float = typer.Option(1e-4, "--gap", help="Relative optimality gap to stop at."),
    fmt: PlanFormat = typer.Option(None, "--format", help=FORMAT_HELP),
    output: Path = typer.Option(None, "-o", "--output", help=OUTPUT_HELP),
    force: bool = force_option(),
    robust: Path = typer.Option(None, "--robust", help="Scenarios file: one fleet for them all."),
    coverage: float = typer.Option(1.0, "--coverage", help="With --robust: share to cover."),
    plan_date: str = typer.Option(None, "--date", "--as-of", help=DATE_HELP),
    workers: int = typer.Option(
        1,
        "--workers",
        help="Processes (local) or CPUs of a local Ray, for candidates and subproblems.",
    ),
    executor: ExecutorKind = executor_option("candidates and subproblems"),
    address: str = address_option(),
    strategy: str = typer.Option(
        "auto", "--strategy", help="auto, decomposition or mip (one LP-guided MIP)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    max_price_age: int = typer.Option(
        90,
        "--max-price-age",
        min=0,
        max=36_500,
        metavar="DAYS",
        help="Warn (stderr and the plan's warnings) when the plan's date is more than DAYS "
        "past the as_of of a price it uses.",
    ),
) -> None:
    """Find the cheapest placement; exit 2 on invalid input, 3 when no plan exists."""
    from planner import app

    chosen = PlanFormat(resolve_format(fmt, output, PlanFormat, "table", "json"))
    guard_output(output, force)
    if time_limit <= 0 or not 0 <= gap < 1:
        raise InputError("--time-limit must be above 0 and --gap in [0, 1)")
    as_of = parse_date(plan_date, "--date") if plan_date else None
    if workers < 1 or strategy not in ("auto", "decomposition", "mip"):
        raise InputError("--workers must be at least 1 and --strategy auto, decomposition or mip")
    spec = app.load_spec(spec_file, quotas, rates)
    loaded = app.load_catalog(catalog)
    for warning in loaded.warnings:
        typer.echo(f"note: {warning}", err=True)
    message = f"Planning {len(spec.workloads)} workload(s) on {len(loaded)} offerings"
    with status(message, quiet):
        result = app.plan(
            spec, loaded, profiles=profiles, fit=fit, as_of=as_of, time_limit_s=time_limit,
            relative_gap=gap, workers=workers, strategy=strategy, executor=executor.value,
            address=address, max_price_age_days=max_price_age, robust=robust, coverage=coverage,
        )  # fmt: skip
    if chosen is not PlanFormat.table or output is not None:
        # the table on the terminal lists them itself: said once, where the user looks
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)

    def table() -> None:
        _print_table(result)
        if result.robust is not None:
            from planner.sweep.robust import describe

            typer.echo("\n".join(describe(result)))

    if chosen is PlanFormat.table:
        if output is None:
            table()
            return
        text = capture(table)
    else:
        text = _render(result, chosen)
    deliver(text, output, _summary(result))


def frontier(
    spec_file: Path = typer.Argument(..., help="Spec file with batch/training jobs and a budget."),
    catalog: list[str] = typer.Option(None, "--catalog", help=CATALOG_HELP),
    profiles: Path = typer.Option(None, "--profiles", help="Measured profiles CSV."),
    fit: Path = typer.Option(None, "--fit", help=FIT_HELP),
    points: int = typer.Option(8, "--points", min=2, max=50, help="Completion-time steps."),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Solver time limit per solve."),
    fmt: PlanFormat = typer.Option(None, "--format", help=FORMAT_HELP),
    output: Path = typer.Option(None, "-o", "--output", help=OUTPUT_HELP),
    force: bool = force_option(),
    plan_date: str = typer.Option(None, "--date", "--as-of", help=DATE_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
) -> None:
    """The cost-completion-time Pareto frontier of the batch and training jobs."""
    from planner import app

    chosen = PlanFormat(resolve_format(fmt, output, PlanFormat, "table", "json"))
    guard_output(output, force)
    as_of = parse_date(plan_date, "--date") if plan_date else None
    with status(f"Solving {points} completion-time limits", quiet):
        result = app.frontier(
            spec_file, catalog, points=points, profiles=profiles, fit=fit, as_of=as_of,
            time_limit_s=time_limit,
        )  # fmt: skip
    if chosen is not PlanFormat.table:
        deliver(_render(result, chosen), output, _summary(result) + " with its frontier")
        return
    rows = [p.model_dump() for p in result.frontier or []]

    def table() -> None:
        print_rows(
            rows,
            ["completion_hours", "objective_value", "cost_per_hour", "job_cost"],
            Format.table,
            title="Cost against completion time (each point: the cheapest plan finishing by then)",
        )

    if output is None:
        table()
    else:
        deliver(capture(table), output, f"{len(rows)} frontier point(s)")


def register(app: typer.Typer) -> None:
    app.command()(plan)
    app.command()(frontier)
