"""Deploying a plan: `emit` writes its deployment files for SageMaker, Vertex AI, Kubernetes,
Ray or SkyPilot."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from planner.app.arguments import checked
from planner.app.inputs import PathLike, read_plan
from planner.errors import ArgumentError, InputError

if TYPE_CHECKING:
    from planner.plans import Plan


@dataclass(frozen=True)
class Emitted:
    """What `emit` wrote: the targets that got files and those that got none, each file by
    state (created, changed, unchanged; stale: in the folder but not in this plan; paths
    relative to `folder`) and notes."""

    plan_id: str
    folder: Path
    targets: tuple[str, ...]
    targets_without_files: tuple[str, ...]
    files: int
    created: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    stale: tuple[str, ...]
    notes: tuple[str, ...]


@checked()
def emit(plan: Plan | PathLike, target: str, folder: PathLike, *, force: bool = False) -> Emitted:
    """Write one file per resource (<target>/<workload>-<index>-<kind>.*) and an index.json in
    `folder` for `target` (sagemaker, vertex, kubernetes, ray, skypilot or all). The same plan
    always gives byte-identical files. InputError (nothing written) when a file would change
    without `force`, or when the target has nothing of the plan to write."""
    from planner.emit import expand, render, resources
    from planner.emit.write import write_resources

    if not isinstance(target, str):
        raise ArgumentError(f"emit(): target must be a string, not {type(target).__name__}")
    if not isinstance(folder, (str, os.PathLike)):
        raise ArgumentError(f"emit(): folder must be a folder name, not {type(folder).__name__}")
    where = f"Plan {plan}" if isinstance(plan, (str, os.PathLike)) else "The plan"
    found = read_plan(plan)
    targets = expand(target)
    files, notes = resources(found, targets)
    wrote = tuple(t for t in targets if any(f.target == t for f in files))
    if not wrote:
        raise InputError(
            "\n".join(
                [
                    *notes,
                    f"{where}: --target {target} has nothing to write (no allocation of the plan "
                    "can be deployed there; the notes above say why); nothing was written",
                ]
            )
        )
    out = Path(folder)
    written = write_resources(
        files, render, out, plan_id=found.plan_id, targets=targets, notes=notes, force=force
    )
    return Emitted(
        plan_id=found.plan_id,
        folder=out,
        targets=wrote,
        targets_without_files=tuple(t for t in targets if t not in wrote),
        files=len(files),
        created=tuple(written.created),
        changed=tuple(written.changed),
        unchanged=tuple(written.unchanged),
        stale=tuple(written.stale),
        notes=tuple(notes),
    )
