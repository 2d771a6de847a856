"""`planner report`, `diff`, `check` and `export`: plans people read, CI gates and FinOps files."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from planner.cli.options import CATALOG_HELP, PlanArgument
from planner.cli.output import (
    choices,
    chosen,
    file_option,
    force_option,
    format_option,
    guard_output,
    metavar,
    output_option,
    resolve_format,
    show,
)
from planner.cli.params import PlannerCommand, number
from planner.errors import InputError, PlannerError

ReportFormat = choices("Report")
DiffFormat = choices("Diff")
CheckFormat = choices("Check")
ExportFormat = choices("Export")


class PeriodOption(enum.StrEnum):
    hour = "hour"
    day = "day"
    month = "month"


class GateFailed(PlannerError):
    """A plan breaks a limit given on the command line: exit 1."""


def report(
    plan_file: PlanArgument,
    spec_file: Path = typer.Option(
        None, "--spec", metavar="FILE", help="The plan's spec: adds quota usage."
    ),
    output: Path = output_option("the report"),
    fmt: ReportFormat = typer.Option(
        None,
        "--format",
        metavar=metavar(ReportFormat),
        help="Default html; with -o, from the suffix.",
    ),
    force: bool = force_option(),
) -> None:
    """A one-page report of a plan: costs, savings, workloads, quotas and charts."""
    from planner import app

    chosen = ReportFormat(resolve_format(fmt, output, ReportFormat, "html", "html"))
    guard_output(output, force)
    found = app.report(plan_file, spec_file)
    plan_id = found.plan.plan_id
    what = "the report data" if chosen == "json" else f"the {chosen.value} report"
    show(found, chosen, output, f"{what} of plan {plan_id}")


def diff(
    old_file: Path = typer.Argument(..., help="The old plan JSON (e.g. the base branch's)."),
    new_file: Path = typer.Argument(..., help="The new plan JSON (e.g. the pull request's)."),
    fmt: DiffFormat = typer.Option(
        None,
        "--format",
        metavar=metavar(DiffFormat),
        help="Default table; with -o FILE, from its suffix, else json.",
    ),
    fail_on_increase: float = number(
        float,
        None,
        "--fail-on-increase",
        metavar="PCT",
        help="Exit 1 if serving $/h or job $ rose by more than PCT percent.",
    ),
    min_change: float = number(
        float,
        None,
        "--min-change",
        metavar="PCT",
        help="Say whether serving $/h or job $ moved (up or down) by more than PCT percent: "
        "a min_change field in JSON, a line otherwise (CI comments only then).",
    ),
    output: Path = output_option("the diff in --format"),
    force: bool = force_option(),
) -> None:
    """What changed between two plans: allocations, cost per workload and in total, SLOs."""
    from planner import app
    from planner.report.diff_render import headline

    if fail_on_increase is not None and fail_on_increase < 0:
        raise InputError("--fail-on-increase must be a percentage of 0 or more")
    if min_change is not None and min_change < 0:
        raise InputError("--min-change must be a percentage of 0 or more")
    chosen = DiffFormat(resolve_format(fmt, output, DiffFormat, "table", "json"))
    guard_output(output, force)
    found = app.diff(old_file, new_file, min_change=min_change, fail_on_increase=fail_on_increase)
    result = found.result

    moved = found.moved
    show(found, chosen, output, f"the diff ({headline(result)})")
    if moved is not None and chosen != "json":
        what = "; ".join(moved) if moved else "nothing"
        typer.echo(f"moved more than {min_change:g}%: {what}", err=output is None)
    if found.breaches:
        raise GateFailed(
            f"FAIL cost increase over {fail_on_increase:g}%: " + "; ".join(found.breaches)
        )


def check(
    plan_file: PlanArgument,
    max_cost_per_hour: float = number(
        float, None, "--max-cost-per-hour", help="Most serving dollars per hour."
    ),
    max_cost_per_month: float = number(
        float, None, "--max-cost-per-month", help="Most serving dollars per month (730 h)."
    ),
    max_job_cost: float = number(
        float, None, "--max-job-cost", help="Most batch and training dollars in total."
    ),
    require_slo: bool = typer.Option(
        False, "--require-slo", help="Fail if any workload misses its SLO."
    ),
    max_gap: float = number(
        float, None, "--max-gap", help="Largest optimality gap, a fraction (0.01 = 1%)."
    ),
    fmt: CheckFormat = format_option(CheckFormat, "text", "text or json (ok, line)."),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """A CI gate: one line 'OK ...', or a one-line reason and exit 1."""
    fmt = chosen(fmt, output, CheckFormat, "text")
    guard_output(output, force)
    from planner import app

    if (
        not any(
            v is not None for v in (max_cost_per_hour, max_cost_per_month, max_job_cost, max_gap)
        )
        and not require_slo
    ):
        raise InputError(
            "give at least one limit: --max-cost-per-hour, --max-cost-per-month, "
            "--max-job-cost, --require-slo or --max-gap"
        )
    if any(v is not None and v < 0 for v in (max_cost_per_hour, max_cost_per_month, max_job_cost)):
        raise InputError("cost limits must be 0 or more")
    if max_gap is not None and not 0 <= max_gap < 1:
        raise InputError("--max-gap is a fraction in [0, 1), e.g. 0.01 for 1%")
    result = app.check(
        plan_file, max_cost_per_hour=max_cost_per_hour, max_cost_per_month=max_cost_per_month,
        max_job_cost=max_job_cost, require_slo=require_slo, max_gap=max_gap,
    )  # fmt: skip
    if fmt == "text" and not result.ok:
        raise GateFailed(result.line)
    show(result, fmt, output, f"the check result ({fmt})")
    if not result.ok:
        typer.echo(result.line, err=True)
        raise typer.Exit(code=GateFailed.exit_code)


def export(
    plan_file: PlanArgument,
    fmt: ExportFormat = typer.Option(
        ExportFormat.focus_csv,
        "--format",
        metavar=metavar(ExportFormat),
        help="json has the same rows as focus-csv.",
    ),
    period: PeriodOption = typer.Option(
        PeriodOption.month,
        "--period",
        metavar="hour|day|month",
        help="Length of the charge period: hour, day or month.",
    ),
    start: str = typer.Option(
        None,
        "--start",
        metavar="TEXT",
        help="ChargePeriodStart, ISO 8601 in UTC (default: 00:00 UTC on the 1st of next month).",
    ),
    catalog: list[str] = typer.Option(
        None, "--catalog", metavar="PATH", help="Where list prices come from. " + CATALOG_HELP
    ),
    output: Path = output_option("the export"),
    force: bool = force_option(),
    billing_account_id: str = typer.Option(
        "planner-projection",
        "--billing-account-id",
        metavar="TEXT",
        envvar="PLANNER_BILLING_ACCOUNT_ID",
        help="BillingAccountId of every row (the payer / billing account).",
    ),
    billing_account_name: str = typer.Option(
        "Projected by llm-placement-planner",
        "--billing-account-name",
        metavar="TEXT",
        envvar="PLANNER_BILLING_ACCOUNT_NAME",
        help="BillingAccountName of every row.",
    ),
    sub_account_id: str = typer.Option(
        None,
        "--sub-account-id",
        metavar="TEXT",
        envvar="PLANNER_SUB_ACCOUNT_ID",
        help="SubAccountId (AWS account, GCP project, Azure subscription); default null.",
    ),
    sub_account_name: str = typer.Option(
        None,
        "--sub-account-name",
        metavar="TEXT",
        envvar="PLANNER_SUB_ACCOUNT_NAME",
        help="SubAccountName; default null.",
    ),
) -> None:
    """Projected costs as a FinOps FOCUS CSV: one row per allocation for one charge period."""
    from planner import app
    from planner.report.focus import Accounts

    if not billing_account_id.strip():
        raise InputError("--billing-account-id must not be empty (FOCUS requires a value)")
    accounts = Accounts(
        billing_account_id.strip(),
        billing_account_name,
        sub_account_id or None,
        sub_account_name or None,
    )
    guard_output(output, force)
    found = app.export(plan_file, catalog, period=period.value, start=start, accounts=accounts)
    show(found, fmt, output, found.summary)


def register(app: typer.Typer) -> None:
    app.command(cls=PlannerCommand)(report)
    app.command(cls=PlannerCommand)(diff)
    app.command(cls=PlannerCommand)(check)
    app.command(cls=PlannerCommand)(export)
