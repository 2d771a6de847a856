"""Writing output files without ever clobbering a user's file or writing through a symlink.

Every writer (`-o FILE`, `--chart FILE`, `emit -o FOLDER`) goes through here: an existing path
(a dangling symlink counts) is refused unless --force, and a file is written to a temporary
file beside it and renamed into place, so a symlink at the path is replaced, never followed,
and a failure never leaves half a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from planner.errors import InputError


def refuse_overwrite(path: Path | None, force: bool) -> None:
    """InputError when `path` exists (or is a dangling symlink) and --force was not given."""
    if path is not None and os.path.lexists(path) and not force:
        raise InputError(f"{path} exists; pass --force to overwrite it")


def write_output(path: Path, content: str | bytes) -> None:
    """Write `content` to `path` atomically; a symlink at `path` is replaced, not followed."""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.is_dir() and not path.is_symlink():
        raise InputError(f"Cannot write {path}: it is a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as err:
        raise InputError(f"Cannot write {path}: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"Cannot write {path}: {err.strerror or err}") from None


def inside(root: Path, relative: str) -> Path:
    """`root / relative`, refusing a path that leaves `root` or passes through a symlink in
    it (an emitted file must never land outside the output folder, --force or not)."""
    if Path(relative).is_absolute() or ".." in Path(relative).parts:
        raise InputError(f"{relative}: not a path inside {root}")
    here = Path(root)
    for part in Path(relative).parts:
        here = here / part
        if here.is_symlink():
            raise InputError(
                f"{here} is a symbolic link; the planner does not write through links in its "
                f"output folder {root} (remove it, or emit to a new folder)"
            )
    return here
