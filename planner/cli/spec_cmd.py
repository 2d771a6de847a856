"""`planner validate` and `planner schema`: check spec files and publish their JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from planner.errors import InputError, listing


def validate(
    files: list[Path] = typer.Argument(..., help="Spec files (YAML or JSON) to check."),
) -> None:
    """Check spec files; exit 2 with file, line, field and what is allowed when one is invalid."""
    from planner.spec import load_spec

    failures: list[str] = []
    for file in files:
        try:
            spec = load_spec(file)
        except InputError as err:
            failures.append(str(err))
            continue
        kinds = listing([f"{w.name} ({w.kind})" for w in spec.workloads], limit=10)
        typer.echo(f"{file}: valid: {len(spec.workloads)} workload(s): {kinds}")
    if failures:
        raise InputError("\n".join(failures))


def schema() -> None:
    """Print the spec's JSON Schema (for editors and CI validation)."""
    from planner.spec import spec_json_schema

    typer.echo(json.dumps(spec_json_schema(), indent=2, sort_keys=True))


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(schema)
