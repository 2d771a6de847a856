"""`planner commit advise`: how much to commit, per commitment product the plan's clouds sell."""

from __future__ import annotations

from pathlib import Path

import typer

from planner.cli.output import choices, chosen, file_option, force_option, format_option, printed
from planner.cli.params import PlannerCommand

commit_app = typer.Typer(
    help="Commitments: how much to commit for 1 and 3 years.", no_args_is_help=True
)
ListingFormat = choices("Listing")


@commit_app.command("advise", cls=PlannerCommand)
def advise(
    plan_file: Path = typer.Argument(..., help="A plan (planner plan -o plan.json)."),
    scenarios: Path = typer.Option(
        None,
        "--scenarios",
        metavar="FILE",
        help="A `planner sweep` JSON result: its scenarios' serving costs are the uncertainty.",
    ),
    fmt: ListingFormat = format_option(ListingFormat, "table"),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """Commitment levels for 1 and 3 years per commitment product of the plan's clouds that
    minimise the expected cost of its hourly on-demand usage, with break-even utilisation and
    the expected saving: spend-based products (Savings Plans, flexible CUDs, savings plans) in
    dollars per hour, resource-based ones (instance Savings Plans, reserved instances,
    resource CUDs, reservations) per region and family, type or accelerator, in whole units."""
    from planner.app.listing import commit_advice

    fmt = chosen(fmt, output, ListingFormat, "table")
    found = commit_advice(plan_file, scenarios)
    for note in found.notes:
        typer.echo(note, err=True)
    printed(found, fmt, output, force, "the commitment advice")


def register(app: typer.Typer) -> None:
    app.add_typer(commit_app, name="commit")
