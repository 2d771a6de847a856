"""`planner validate` and `planner schema`: check spec files and publish their JSON Schema."""

from __future__ import annotations

from pathlib import Path

import typer

from planner.cli.output import choices, chosen, file_option, force_option, format_option, printed
from planner.cli.params import PlannerCommand
from planner.errors import InputError

ValidateFormat = choices("Validation")
SchemaFormat = choices("SpecSchema")


def validate(
    files: list[Path] = typer.Argument(..., help="Spec files (YAML or JSON) to check."),
    fmt: ValidateFormat = format_option(
        ValidateFormat, "text", "text or json (per file: valid, workloads, problems)."
    ),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """Check spec files; exit 2 with file, line, field and what is allowed when one is invalid."""
    from planner.app.listing import validate as checked

    fmt = chosen(fmt, output, ValidateFormat, "text")
    found = checked(files)
    if found.valid or fmt == "json":
        printed(found, fmt, output, force, "the validation")
    elif any(f.valid for f in found.files) and output is None:
        printed(found, fmt, None, force, "the validation")  # the valid files' lines first
    if found.valid:
        return
    if fmt == "json":
        typer.echo(found.message, err=True)
        raise typer.Exit(code=InputError.exit_code)
    raise InputError(found.message)


def schema(
    fmt: SchemaFormat = format_option(SchemaFormat, "json", "json (the only one)."),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """Print the spec's JSON Schema (for editors and CI validation)."""
    from planner.app.listing import spec_schema

    fmt = chosen(fmt, output, SchemaFormat, "json")
    printed(spec_schema(), fmt, output, force, "the spec JSON Schema")


def register(app: typer.Typer) -> None:
    app.command(cls=PlannerCommand)(validate)
    app.command(cls=PlannerCommand)(schema)
