"""`planner emit`: write a plan's deployment files for SageMaker, Vertex AI, Kubernetes, Ray or
SkyPilot."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from planner.cli.output import TextFormat, deliver, to_json
from planner.errors import InputError


class EmitTarget(enum.StrEnum):
    sagemaker = "sagemaker"
    vertex = "vertex"
    kubernetes = "kubernetes"
    ray = "ray"
    skypilot = "skypilot"
    all = "all"


def emit(
    plan_file: Path = typer.Argument(..., help="Plan JSON (planner plan --format json -o FILE)."),
    target: EmitTarget = typer.Option(..., "--target", "-t", help="What to emit, or all."),
    output: Path = typer.Option(
        ...,
        "-o",
        "--output",
        "--out-dir",
        metavar="DIR",
        help="Folder to write the files in (emit writes many files, so -o names a folder).",
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite files whose content changed."),
    fmt: TextFormat = typer.Option(
        TextFormat.text, "--format", help="text or json (the files written, with their state)."
    ),
) -> None:
    """Write one file per resource (<target>/<workload>-<index>-<kind>.*) and an index.json.

    The same plan always gives byte-identical files. Exit 2 if a file would change and --force
    is not given (unchanged files are fine), or if the target has nothing of the plan to write.
    """
    from planner.emit import emit as render_all
    from planner.emit import expand
    from planner.emit.write import write_files
    from planner.plans.io import load_plan

    plan = load_plan(plan_file)
    targets = expand(target.value)
    files, notes = render_all(plan, targets)
    wrote = tuple(t for t in targets if any(f.resource.target == t for f in files))
    if not wrote:
        for note in notes:
            typer.echo(note, err=True)
        raise InputError(
            f"Plan {plan_file}: --target {target.value} has nothing to write (no allocation of "
            "the plan can be deployed there; the notes above say why); nothing was written"
        )
    written = write_files(
        files, output, plan_id=plan.plan_id, targets=targets, notes=notes, force=force
    )
    for note in notes:
        typer.echo(note, err=True)
    for path in written.stale:
        typer.echo(f"stale (not in this plan, left in place): {path}", err=True)
    idle = [t for t in targets if t not in wrote]
    if idle:
        typer.echo(f"no files for {', '.join(idle)} (nothing of this plan deploys there)", err=True)
    if fmt is TextFormat.json:
        data = {
            "plan_id": plan.plan_id,
            "folder": str(output),
            "targets": list(wrote),
            "targets_without_files": idle,
            "created": [str(p) for p in written.created],
            "changed": [str(p) for p in written.changed],
            "unchanged": [str(p) for p in written.unchanged],
            "stale": [str(p) for p in written.stale],
            "notes": list(notes),
        }
        deliver(to_json(data), None, "")
        return
    typer.echo(
        f"plan {plan.plan_id}: {len(files)} file(s) for {', '.join(wrote)} in {output} "
        f"({len(written.created)} new, {len(written.changed)} changed, "
        f"{len(written.unchanged)} unchanged)"
    )


def register(app: typer.Typer) -> None:
    app.command()(emit)
