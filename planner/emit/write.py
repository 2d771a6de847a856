"""Writing rendered files to a folder: never clobber an edited file, and keep an index.

A file whose content would change is an error unless forced; identical files are left alone.
`index.json` lists every file with its sha256, so a reviewer or CI can check what was emitted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from planner._readfile import load_json, read_input
from planner._writefile import Folder
from planner.emit.resource import Rendered, Resource
from planner.errors import InputError

INDEX = "index.json"
SHOWN = 10


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Written:
    """What writing did: files created, rewritten, left as they were, and stale ones."""

    created: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    stale: tuple[str, ...]


def _old_index(out_dir: Path) -> dict:
    try:
        return load_json(read_input(out_dir / INDEX, "index"), str(out_dir / INDEX))
    except InputError:
        return {}


def index_document(
    plan_id: str, targets: tuple[str, ...], digests: dict[str, str], notes: list[str], old: dict
) -> dict:
    """The index: this run's files (path -> sha256), plus other targets' entries when the plan
    is the same."""
    entries = {path: {"path": path, "sha256": digest} for path, digest in digests.items()}
    kept_notes = list(notes)
    if old.get("plan_id") == plan_id:
        for entry in old.get("files", []):
            if entry.get("path", "").split("/")[0] not in targets:
                entries.setdefault(entry["path"], entry)
        kept_notes += [n for n in old.get("notes", []) if n.split(":")[0] not in targets]
    return {
        "plan_id": plan_id,
        "files": [entries[p] for p in sorted(entries)],
        "notes": sorted(set(kept_notes)),
    }


def write_resources(
    resources: Sequence[Resource],
    render: Callable[[Resource], Rendered],
    out_dir: Path,
    *,
    plan_id: str,
    targets: tuple[str, ...],
    notes: list[str],
    force: bool = False,
) -> Written:
    """Render each of `resources` and write it under `out_dir`, one at a time (no file is held
    once written: a plan of many workloads writes hundreds of thousands); raise InputError
    (nothing written) when a file there would change without force. Only files already there
    are rendered before writing starts (to compare), and again when they are rewritten."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} is not a folder")
    status: dict[str, str] = {}
    digests: dict[str, str] = {}
    with Folder(out_dir) as folder:
        folder.state(INDEX, "")  # a link at the index is refused before anything is written
        for r in resources:
            if folder.exists(r.path):
                text = render(r).text
                status[r.path] = folder.state(r.path, text)
                digests[r.path] = sha256(text)
            else:
                status[r.path] = "created"
        changed = sorted(p for p, s in status.items() if s == "changed")
        if changed and not force:
            shown = ", ".join(changed[:SHOWN]) + (" ..." if len(changed) > SHOWN else "")
            raise InputError(
                f"{len(changed)} file(s) in {out_dir} differ from what this plan emits: {shown}; "
                "pass --force to overwrite them"
            )
        old = _old_index(out_dir)
        for r in resources:
            if status[r.path] != "unchanged":
                text = render(r).text
                folder.write(r.path, text)
                digests[r.path] = sha256(text)
        index = index_document(plan_id, targets, digests, notes, old)
        folder.write(INDEX, json.dumps(index, indent=2, sort_keys=True) + "\n")
    stale = sorted(
        e["path"]
        for e in old.get("files", [])
        if e.get("path", "").split("/")[0] in targets and e["path"] not in status
    )
    return Written(
        created=tuple(sorted(p for p, s in status.items() if s == "created")),
        changed=tuple(changed),
        unchanged=tuple(sorted(p for p, s in status.items() if s == "unchanged")),
        stale=tuple(stale),
    )
