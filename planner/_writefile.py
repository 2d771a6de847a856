"""Writing output files without ever clobbering a user's file or writing through a symlink.

Every writer (`-o FILE`, `--chart FILE`, `emit -o FOLDER`, refreshed catalogs and quotas) goes
through here: an existing path (a dangling symlink counts) is refused unless --force, and a file
is written to a temporary file beside it and moved into place, so a symlink at the path is
replaced, never followed, and a failure never leaves half a file. The check is made again when
the file is moved into place: without --force the move is exclusive (a hard link, which fails
when the name exists), so a file created while the planner ran is never overwritten. A FIFO, a
device or a socket at the path is never replaced, --force or not (`-o /dev/null --force` must
not turn the system's /dev/null into a regular file).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from planner._readfile import node_kind
from planner.errors import InputError

_FORCED: dict[str, bool] = {}
"""Paths checked by `refuse_overwrite` in this run, and whether --force allowed replacing."""


def reset() -> None:
    """Forget the paths checked so far (each run of the CLI starts here)."""
    _FORCED.clear()


def _key(path: Path) -> str:
    return os.path.abspath(path)


def _existing(path: Path) -> os.stat_result | None:
    """lstat of `path`, None when nothing is there; an unusable path is an InputError."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno == errno.ENOTDIR:
            return None
        raise InputError(f"Cannot write {path}: {err.strerror or err}") from None


def _refuse_special(path: Path, found: os.stat_result | None) -> None:
    if found is None or stat.S_ISLNK(found.st_mode) or stat.S_ISREG(found.st_mode):
        return
    kind = node_kind(found.st_mode)
    if stat.S_ISDIR(found.st_mode):
        raise InputError(f"Cannot write {path}: it is a folder")
    raise InputError(
        f"Cannot write {path}: it is {kind}, not a regular file; the planner writes only "
        "regular files and never replaces a device or a pipe (--force or not)"
    )


def refuse_overwrite(path: Path | None, force: bool) -> None:
    """InputError when `path` exists (or is a dangling symlink) and --force was not given, or
    is a device, FIFO, socket or folder; remembers `force` for the write."""
    if path is None:
        return
    path = Path(path)
    found = _existing(path)
    _refuse_special(path, found)
    if found is not None and not force:
        raise InputError(f"{path} already exists; pass --force to overwrite it")
    _FORCED[_key(path)] = force


def write_output(path: Path, content: str | bytes, *, overwrite: bool | None = None) -> None:
    """Write `content` to `path` atomically; a symlink at `path` is replaced, not followed.

    `overwrite`: whether an existing file may be replaced; by default what `refuse_overwrite`
    was told for this path (--force), else yes (emit checks its folder itself). Without it the
    file is linked into place exclusively, so one created meanwhile is kept and refused."""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    if overwrite is None:
        overwrite = _FORCED.get(_key(path), True)
    _refuse_special(path, _existing(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".planner-", dir=path.parent)
    except OSError as err:
        raise InputError(f"Cannot write {path}: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        if overwrite:
            _refuse_special(path, _existing(path))
            os.replace(tmp, path)
        else:
            _place_exclusively(tmp, path, data)
    except FileExistsError:
        raise InputError(
            f"{path} was created while the planner ran; pass --force to overwrite it"
        ) from None
    except OSError as err:
        raise InputError(f"Cannot write {path}: {err.strerror or err}") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def _place_exclusively(tmp: str, path: Path, data: bytes) -> None:
    """Move `tmp` to `path` only if nothing is at `path` (FileExistsError otherwise)."""
    try:
        os.link(tmp, path)
        return
    except FileExistsError:
        raise
    except OSError as err:  # a file system without hard links
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def inside(root: Path, relative: str) -> Path:
    """`root / relative`, refusing a path that leaves `root` or passes through a symlink in
    it (an emitted file must never land outside the output folder, --force or not)."""
    given = Path(relative)
    if given.is_absolute() or ".." in given.parts:
        raise InputError(f"{relative}: not a path inside {root}")
    here = os.fspath(root)
    for part in given.parts:
        here = os.path.join(here, part)
        if os.path.islink(here):
            raise InputError(
                f"{Path(here)} is a symbolic link; the planner does not write through links in "
                f"its output folder {root} (remove it, or emit to a new folder)"
            )
    return Path(here)
