"""`planner commit advise`: how much to commit, per commitment product the plan's clouds sell."""

from __future__ import annotations

from pathlib import Path

import typer

from planner.cli.output import Format, print_rows, writes_output

commit_app = typer.Typer(
    help="Commitments: how much to commit for 1 and 3 years.", no_args_is_help=True
)

COLUMNS = (
    "product", "scope", "term_years", "count", "unit", "unit_price", "discount",
    "discount_kind", "on_demand_per_hour", "committed_per_hour", "covered_per_hour",
    "utilisation", "break_even_utilisation", "saving_per_hour", "saving_per_month",
    "saving_over_term",
)  # fmt: skip


def scenario_scales(path: Path) -> list[float]:
    """Each solved scenario's serving cost over the base's, from a `planner sweep` JSON."""
    from pydantic import ValidationError

    from planner._readfile import read_input
    from planner.errors import InputError
    from planner.sweep.outcome import Sweep

    try:
        sweep = Sweep.model_validate_json(read_input(path, "sweep result"))
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: not a sweep result ({where}: {first['msg']})") from None
    base = sweep.base.cost_per_hour
    if not base:
        raise InputError(f"{path}: the base scenario has no serving cost to scale by")
    scales = [
        r.cost_per_hour / base for r in sweep.results if r.solved and r.cost_per_hour is not None
    ]
    if not scales:
        raise InputError(f"{path}: no scenario has a serving cost")
    return scales


@commit_app.command("advise")
@writes_output("the commitment advice")
def advise(
    plan_file: Path = typer.Argument(..., help="A plan (planner plan -o plan.json)."),
    scenarios: Path = typer.Option(
        None,
        "--scenarios",
        help="A `planner sweep` JSON result: its scenarios' serving costs are the uncertainty.",
    ),
    fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv."),
) -> None:
    """Commitment levels for 1 and 3 years per commitment product of the plan's clouds that
    minimise the expected cost of its hourly on-demand usage, with break-even utilisation and
    the expected saving: spend-based products (Savings Plans, flexible CUDs, savings plans) in
    dollars per hour, resource-based ones (instance Savings Plans, reserved instances,
    resource CUDs, reservations) per region and family, type or accelerator, in whole units."""
    from planner.plans.io import read_plan_file
    from planner.report.commit_advice import advise as advise_plan

    plan = read_plan_file(plan_file)
    scales = scenario_scales(scenarios) if scenarios is not None else [1.0]
    found = advise_plan(plan, scales)
    rows = [
        {
            **{c: getattr(a, c) for c in COLUMNS if hasattr(a, c)},
            "saving_per_month": round(a.saving_per_month, 2),
            "saving_over_term": round(a.saving_over_term, 2),
        }
        for a in found
    ]
    if not rows:
        typer.echo("No on-demand serving usage a commitment product covers.", err=True)
    keep = ("product", "scope", "term_years", "count", "committed_per_hour", "saving_per_month")
    print_rows(rows, COLUMNS, fmt, optional=[c for c in reversed(COLUMNS) if c not in keep])


def register(app: typer.Typer) -> None:
    app.add_typer(commit_app, name="commit")
