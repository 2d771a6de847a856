"""`planner emit`: write a plan's deployment files for SageMaker, Vertex AI, Kubernetes, Ray or
SkyPilot."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from planner.cli.output import choices, metavar, show
from planner.cli.params import PlannerCommand


class EmitTarget(enum.StrEnum):
    sagemaker = "sagemaker"
    vertex = "vertex"
    kubernetes = "kubernetes"
    ray = "ray"
    skypilot = "skypilot"
    all = "all"


EmitFormat = choices("Emitted")


def emit(
    plan_file: Path = typer.Argument(..., help="Plan JSON (planner plan --format json -o FILE)."),
    target: EmitTarget = typer.Option(
        ...,
        "--target",
        "-t",
        metavar="sagemaker|vertex|kubernetes|ray|skypilot|all",
        help="What to emit, or all.",
    ),
    output: Path = typer.Option(
        ...,
        "-o",
        "--output",
        "--out-dir",
        metavar="DIR",
        help="Folder to write the files in (emit writes many files, so -o names a folder).",
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite files whose content changed."),
    fmt: EmitFormat = typer.Option(
        EmitFormat.text,
        "--format",
        metavar=metavar(EmitFormat),
        help="json: the files written, with their state.",
    ),
) -> None:
    """Write one file per resource (<target>/<workload>-<index>-<kind>.*) and an index.json.

    The same plan always gives byte-identical files. Exit 2 if a file would change and --force
    is not given (unchanged files are fine), or if the target has nothing of the plan to write.
    """
    from planner import app

    done = app.emit(plan_file, target.value, output, force=force)
    for note in done.notes:
        typer.echo(note, err=True)
    for path in done.stale:
        typer.echo(f"stale (not in this plan, left in place): {path}", err=True)
    if done.targets_without_files:
        idle = ", ".join(done.targets_without_files)
        typer.echo(f"no files for {idle} (nothing of this plan deploys there)", err=True)
    show(done, fmt, None, "")


def register(app: typer.Typer) -> None:
    app.command(cls=PlannerCommand)(emit)
