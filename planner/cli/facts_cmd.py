"""`planner models` and `planner accelerators`: the bundled facts the performance model uses."""

from __future__ import annotations

from pathlib import Path

import typer

from planner.cli.output import choices, chosen, file_option, force_option, format_option, printed
from planner.cli.params import PlannerCommand

ListingFormat = choices("Listing")


def models(
    fmt: ListingFormat = format_option(ListingFormat, "table"),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """List the bundled open LLMs and their shapes."""
    from planner.app.listing import models as listed

    printed(listed(), chosen(fmt, output, ListingFormat, "table"), output, force, "the model list")


def accelerators(
    fmt: ListingFormat = format_option(ListingFormat, "table"),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """List the bundled accelerators and their memory, bandwidth and FLOPs."""
    from planner.app.listing import accelerators as listed

    fmt = chosen(fmt, output, ListingFormat, "table")
    printed(listed(), fmt, output, force, "the accelerator list")


def register(app: typer.Typer) -> None:
    app.command(cls=PlannerCommand)(models)
    app.command(cls=PlannerCommand)(accelerators)
