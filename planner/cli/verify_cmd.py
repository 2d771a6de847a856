"""`planner verify`: re-check a plan against its spec with code independent of the solver."""

from __future__ import annotations

from pathlib import Path

import typer

from planner.cli.options import Catalogs, PlanArgument, ProfilesCsv
from planner.cli.output import (
    choices,
    chosen,
    file_option,
    force_option,
    format_option,
    guard_output,
    show,
)
from planner.cli.params import PlannerCommand
from planner.errors import PlannerError


class VerifyFailed(PlannerError):
    """The plan breaks at least one constraint: exit 1."""


VerifyFormat = choices("Verification")


def verify(
    plan_file: PlanArgument,
    spec_file: Path = typer.Argument(..., help="The spec the plan was made for."),
    catalog: Catalogs = None,
    profiles: ProfilesCsv = None,
    fit: Path = typer.Option(
        None, "--fit", metavar="FILE", help="The efficiency fit the plan was made with."
    ),
    quotas: list[Path] = typer.Option(
        None,
        "--quotas",
        metavar="FILE",
        help="The quotas YAML(s) the plan was made with (plan --quotas).",
    ),
    rates: list[Path] = typer.Option(
        None,
        "--rates",
        metavar="FILE",
        help="The rate file(s) the plan was made with (plan --rates).",
    ),
    fmt: VerifyFormat = format_option(VerifyFormat, "text", "text or json (ok, violations)."),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """Check every constraint of the spec on the plan; exit 1 on any violation."""
    fmt = chosen(fmt, output, VerifyFormat, "text")
    guard_output(output, force)
    from planner import app

    found = app.verify(
        plan_file, spec_file, catalog, profiles=profiles, fit=fit, quotas=quotas, rates=rates
    )
    if not found.ok and fmt == "text":
        from planner.render import render

        raise VerifyFailed(render(found, fmt).rstrip("\n"))
    show(found, fmt, output, f"the verification ({fmt})")
    if not found.ok:
        typer.echo(f"Plan {plan_file} breaks {len(found.violations)} constraint(s)", err=True)
        raise typer.Exit(code=VerifyFailed.exit_code)


def register(app: typer.Typer) -> None:
    app.command(cls=PlannerCommand)(verify)
