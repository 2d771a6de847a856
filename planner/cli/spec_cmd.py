"""`planner validate` and `planner schema`: check spec files and publish their JSON Schema."""

from __future__ import annotations

import enum
import json
from pathlib import Path

import typer

from planner.cli.output import TextFormat, deliver, to_json, writes_output
from planner.errors import InputError, listing


def validate(
    files: list[Path] = typer.Argument(..., help="Spec files (YAML or JSON) to check."),
    fmt: TextFormat = typer.Option(
        TextFormat.text, "--format", help="text or json (per file: valid, workloads, problems)."
    ),
) -> None:
    """Check spec files; exit 2 with file, line, field and what is allowed when one is invalid."""
    from planner.cli.output import error_object
    from planner.spec import load_spec

    failures: list[str] = []
    report: list[dict] = []
    for file in files:
        try:
            spec = load_spec(file)
        except InputError as err:
            failures.append(str(err))
            problems = error_object(str(err), err.exit_code)["error"]["problems"]
            report.append({"file": str(file), "valid": False, "message": str(err),
                           "problems": problems})  # fmt: skip
            continue
        kinds = listing([f"{w.name} ({w.kind})" for w in spec.workloads], limit=10)
        workloads = [{"name": w.name, "kind": w.kind} for w in spec.workloads]
        report.append({"file": str(file), "valid": True, "workloads": workloads})
        if fmt is TextFormat.text:
            typer.echo(f"{file}: valid: {len(spec.workloads)} workload(s): {kinds}")
    if fmt is TextFormat.json:
        deliver(to_json({"valid": not failures, "files": report}), None, "")
        if failures:
            typer.echo("\n".join(failures), err=True)
            raise typer.Exit(code=InputError.exit_code)
        return
    if failures:
        raise InputError("\n".join(failures))


class SchemaFormat(enum.StrEnum):
    json = "json"


def schema(
    fmt: SchemaFormat = typer.Option(SchemaFormat.json, "--format", help="json (the only one)."),
) -> None:
    """Print the spec's JSON Schema (for editors and CI validation)."""
    from planner.spec import spec_json_schema

    typer.echo(json.dumps(spec_json_schema(), indent=2, sort_keys=True))


def register(app: typer.Typer) -> None:
    app.command()(writes_output("the validation")(validate))
    app.command()(writes_output("the spec JSON Schema")(schema))
