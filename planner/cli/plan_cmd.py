"""`planner plan`: solve a spec into a plan and print or write it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from planner.cli.executor_options import ExecutorKind, address_option, executor_option
from planner.cli.options import Catalogs, ProfilesCsv, SolverTimeLimit, SpecArgument
from planner.cli.output import (
    choices,
    force_option,
    guard_output,
    metavar,
    resolve_format,
    show,
    started,
    status,
)
from planner.cli.params import PlannerCommand, number
from planner.errors import InputError

PlanFormat = choices("Plan")
FrontierFormat = choices("Frontier")


def parse_date(text: str, option: str):
    """A YYYY-MM-DD option value as a date (exit 2 naming the option otherwise)."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{option} {text!r}: not a date (YYYY-MM-DD)") from None


FORMAT_HELP = "Default table; with -o FILE, from its suffix, else json."
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
    from planner.plans import annotations_of

    robust = ""
    if annotations_of(plan).robust is not None:
        from planner.sweep.robust import describe

        robust = "; " + describe(plan)[0]
    return (
        f"plan {plan.plan_id} ({plan.status}: ${plan.cost_per_hour:,.2f}/h serving, "
        f"${plan.job_cost:,.2f} in jobs, {len(plan.allocations)} allocation(s){robust})"
    )


FIT_HELP = "Efficiency fit from `planner calibrate` (the plan names it)."

# what plan and frontier share
FormatOption = typer.Option("--format", metavar=metavar(PlanFormat), help=FORMAT_HELP)
Fit = Annotated[Path | None, typer.Option("--fit", metavar="FILE", help=FIT_HELP)]
OutputFile = Annotated[
    Path | None, typer.Option("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
]
PlanDate = Annotated[str | None, typer.Option("--date", "--as-of", metavar="TEXT", help=DATE_HELP)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help=QUIET_HELP)]


def plan(
    spec_file: SpecArgument,
    catalog: Catalogs = None,
    profiles: ProfilesCsv = None,
    fit: Fit = None,
    quotas: list[Path] = typer.Option(None, "--quotas", metavar="FILE", help=QUOTAS_HELP),
    rates: list[Path] = typer.Option(None, "--rates", metavar="FILE", help=RATES_HELP),
    time_limit: SolverTimeLimit = 60.0,
    gap: float = number(float, 1e-4, "--gap", help="Relative optimality gap to stop at."),
    fmt: Annotated[PlanFormat | None, FormatOption] = None,
    output: OutputFile = None,
    force: bool = force_option(),
    robust: Path = typer.Option(
        None, "--robust", metavar="FILE", help="Scenarios file: one fleet for them all."
    ),
    coverage: float = number(float, 1.0, "--coverage", help="With --robust: share to cover."),
    plan_date: PlanDate = None,
    workers: int = number(
        int,
        1,
        "--workers",
        help="Processes (local) or CPUs of a local Ray, for candidates and subproblems.",
    ),
    executor: ExecutorKind = executor_option("candidates and subproblems"),
    address: str = address_option(),
    strategy: str = typer.Option(
        "auto", "--strategy", metavar="TEXT", help="auto, decomposition or mip (one LP-guided MIP)."
    ),
    quiet: Quiet = False,
    max_price_age: int = number(
        int,
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
    from planner.clock import Deadline

    # from the start of the command: loading the verbs and reading the spec count too
    deadline = Deadline(started() + time_limit, limit_s=time_limit) if time_limit > 0 else None
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
            deadline=deadline,
        )  # fmt: skip
    if chosen != "table" or output is not None:
        # the table on the terminal lists them itself: said once, where the user looks
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)
    show(result, chosen, output, _summary(result))


def frontier(
    spec_file: Path = typer.Argument(..., help="Spec file with batch/training jobs and a budget."),
    catalog: Catalogs = None,
    profiles: ProfilesCsv = None,
    fit: Fit = None,
    points: int = number(int, 8, "--points", min=2, max=50, help="Completion-time steps."),
    time_limit: float = number(float, 60.0, "--time-limit", help="Solver time limit per solve."),
    fmt: Annotated[FrontierFormat | None, FormatOption] = None,
    output: OutputFile = None,
    force: bool = force_option(),
    plan_date: PlanDate = None,
    quiet: Quiet = False,
) -> None:
    """The cost-completion-time Pareto frontier of the batch and training jobs."""
    from planner import app

    chosen = FrontierFormat(resolve_format(fmt, output, FrontierFormat, "table", "json"))
    guard_output(output, force)
    as_of = parse_date(plan_date, "--date") if plan_date else None
    with status(f"Solving {points} completion-time limits", quiet):
        result = app.frontier(
            spec_file, catalog, points=points, profiles=profiles, fit=fit, as_of=as_of,
            time_limit_s=time_limit,
        )  # fmt: skip
    if chosen != "table":
        show(result, chosen, output, _summary(result) + " with its frontier")
        return
    from planner.plans import annotations_of

    points = len(annotations_of(result).frontier or [])
    show(result, chosen, output, f"{points} frontier point(s)", kind="Frontier")


def register(app: typer.Typer) -> None:
    app.command(cls=PlannerCommand)(plan)
    app.command(cls=PlannerCommand)(frontier)
