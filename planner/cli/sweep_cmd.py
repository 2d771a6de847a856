"""`planner sweep`: solve a spec under every scenario of a what-if file (or check a fixed plan
in each), locally or on Ray, and print a table and a summary."""

from __future__ import annotations

from pathlib import Path

import typer

from planner.cli.executor_options import ExecutorKind, address_option, executor_option
from planner.cli.options import Catalogs, ProfilesCsv, SpecArgument
from planner.cli.output import (
    choices,
    console,
    force_option,
    guard_output,
    metavar,
    resolve_format,
    show,
)
from planner.cli.params import PlannerCommand, number
from planner.errors import InputError

SweepFormat = choices("SweepRun")


def _progress(total: int):
    """A rich progress bar on stderr, and the callback that advances it per result."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=False,
    )
    task = bar.add_task("scenarios", total=total)

    def advance(outcome) -> None:
        bar.advance(task)
        if outcome.status in ("infeasible", "violated", "error"):
            bar.update(task, description=f"scenarios (last not solved: {outcome.id})")

    return bar, advance


def sweep(
    spec_file: SpecArgument,
    scenarios: Path = typer.Option(
        ..., "--scenarios", metavar="FILE", help="Scenarios file (YAML)."
    ),
    plan_file: Path = typer.Option(
        None,
        "--plan",
        metavar="FILE",
        help="Keep this plan's fleet fixed and check it in every scenario.",
    ),
    executor: ExecutorKind = executor_option("scenarios"),
    address: str = address_option(),
    workers: int = number(
        int, None, "--workers", min=1, help="Processes (local) or CPUs of a local Ray; default all."
    ),
    retries: int = number(int, 2, "--retries", min=0, help="Retries of a failing task."),
    catalog: Catalogs = None,
    profiles: ProfilesCsv = None,
    fit: Path = typer.Option(
        None,
        "--fit",
        metavar="FILE",
        help="Efficiency fit from `planner calibrate` for every scenario's sizing.",
    ),
    time_limit: float = number(float, 60.0, "--time-limit", help="Solver time limit per scenario."),
    fmt: SweepFormat = typer.Option(
        None,
        "--format",
        metavar=metavar(SweepFormat),
        help="Default table; with -o FILE, from its suffix, else json.",
    ),
    output: Path = typer.Option(
        None,
        "-o",
        "--output",
        metavar="FILE",
        help="Write the result in --format to FILE; stdout gets one line.",
    ),
    force: bool = force_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar on stderr."),
    no_progress: bool = typer.Option(
        False, "--no-progress", hidden=True, help="Deprecated: the old name of --quiet."
    ),
) -> None:
    """Solve the spec in every what-if scenario; exit 2 on invalid input, 1 if a task failed."""
    from planner import app
    from planner.cli.output import progress_enabled

    chosen = SweepFormat(resolve_format(fmt, output, SweepFormat, "table", "json"))
    guard_output(output, force)
    if time_limit <= 0:
        raise InputError("--time-limit must be above 0")
    shown = not (quiet or no_progress) and (progress_enabled() or output is None)
    bar, advance = None, None

    def started(total: int) -> None:
        nonlocal bar, advance
        if shown:
            bar, advance = _progress(total)
            bar.start()

    try:
        result = app.sweep(
            spec_file, scenarios, catalog, plan=plan_file, profiles=profiles, fit=fit,
            time_limit_s=time_limit, executor=executor.value, workers=workers, address=address,
            retries=retries, on_start=started, on_result=lambda o: advance and advance(o),
        )  # fmt: skip
    finally:
        if bar is not None:
            bar.stop()
    found = result.sweep.results
    summary = result.sweep.summary
    show(result, chosen, output, f"the sweep of {len(found)} scenario(s) ({_counts(summary)})")
    if result.sweep.summary.errors or result.sweep.base.status == "error":
        raise typer.Exit(code=1)


def _counts(summary) -> str:
    fields = ("solved", "infeasible", "violated", "errors")
    found = [f"{getattr(summary, f)} {f}" for f in fields if getattr(summary, f, 0)]
    return ", ".join(found) or "none solved"


def register(app: typer.Typer) -> None:
    app.command(cls=PlannerCommand)(sweep)
