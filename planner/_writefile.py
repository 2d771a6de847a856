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

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from planner._readfile import node_kind, text_of
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


def _parts(root: Path, relative: str) -> tuple[str, ...]:
    given = Path(relative)
    if given.is_absolute() or ".." in given.parts or not given.parts:
        raise InputError(f"{relative}: not a path inside {root}")
    return given.parts


def _link_error(path: Path, root: Path) -> InputError:
    return InputError(
        f"{path} is a symbolic link; the planner does not write through links in its output "
        f"folder {root} (remove it, or emit to a new folder)"
    )


class Folder:
    """Many files written under one folder (planner emit), each as `write_output` writes one:
    to a temporary file beside it, mode 0644, renamed into place; never through a symbolic
    link in the folder (a link where a file or subfolder goes is refused, --force or not), and
    never over a device, FIFO, socket or folder. Each subfolder is opened once and every name
    is resolved in it, so a file costs a handful of system calls, not a walk of its path."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._fds: dict[tuple[str, ...], int | None] = {}
        self._made = 0
        self._pid = os.getpid()

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        for fd in self._fds.values():
            if fd is not None:
                os.close(fd)
        self._fds.clear()

    def _folder(self, parts: tuple[str, ...], create: bool) -> int | None:
        """The open subfolder `parts` (() the root), None when it does not exist (and not
        `create`)."""
        if parts in self._fds and (self._fds[parts] is not None or not create):
            return self._fds[parts]
        where = self.root.joinpath(*parts)
        try:
            if not parts:
                if create:
                    self.root.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
            else:
                parent = self._folder(parts[:-1], create)
                if parent is None:
                    return None
                flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                try:
                    fd = os.open(parts[-1], flags, dir_fd=parent)
                except FileNotFoundError:
                    if not create:
                        self._fds[parts] = None
                        return None
                    os.mkdir(parts[-1], dir_fd=parent)
                    fd = os.open(parts[-1], flags, dir_fd=parent)
        except FileNotFoundError:
            if create:
                raise InputError(f"Cannot write {where}: it vanished while being written") from None
            self._fds[parts] = None
            return None
        except OSError as err:
            if parts and err.errno in (errno.ELOOP, errno.ENOTDIR):
                found = self._lstat(parts[:-1], parts[-1])
                if found is not None and stat.S_ISLNK(found.st_mode):
                    raise _link_error(where, self.root) from None
            raise InputError(f"Cannot write {where}: {err.strerror or err}") from None
        self._fds[parts] = fd
        return fd

    def _lstat(self, folder: tuple[str, ...], name: str) -> os.stat_result | None:
        fd = self._fds.get(folder)
        try:
            if fd is None:
                return os.lstat(self.root.joinpath(*folder, name))
            return os.stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError:
            return None

    def exists(self, relative: str) -> bool:
        """Whether something is at `relative` (a link there is refused, as `state` does)."""
        parts = _parts(self.root, relative)
        fd = self._folder(parts[:-1], create=False)
        if fd is None:
            return False
        try:
            found = os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as err:
            raise InputError(f"Cannot write {self.root / relative}: {err.strerror}") from None
        if stat.S_ISLNK(found.st_mode):
            raise _link_error(self.root / relative, self.root)
        return True

    def state(self, relative: str, text: str) -> str:
        """ "created", "unchanged" or "changed": what writing `text` at `relative` would do."""
        parts = _parts(self.root, relative)
        fd = self._folder(parts[:-1], create=False)
        if fd is None:
            return "created"
        try:
            found = os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return "created"
        except OSError as err:
            raise InputError(f"Cannot write {self.root / relative}: {err.strerror}") from None
        if stat.S_ISLNK(found.st_mode):
            raise _link_error(self.root / relative, self.root)
        if not stat.S_ISREG(found.st_mode) or found.st_size > 4 * len(text) + 16:
            return "changed"
        try:
            handle = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
        except OSError:
            return "changed"
        with os.fdopen(handle, "rb") as read:
            data = read.read()
        try:
            return "unchanged" if text_of(data, str(self.root / relative)) == text else "changed"
        except InputError:
            return "changed"

    def write(self, relative: str, content: str | bytes) -> None:
        """Write `content` at `relative`, replacing what is there (a file or a link's name)."""
        parts = _parts(self.root, relative)
        where = self.root / relative
        data = content.encode("utf-8") if isinstance(content, str) else content
        fd = self._folder(parts[:-1], create=True)
        assert fd is not None
        name = parts[-1]
        while True:
            self._made += 1
            tmp = f".planner-{self._pid}-{self._made}.tmp"
            try:
                handle = os.open(
                    tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=fd
                )
                break
            except FileExistsError:
                continue
            except OSError as err:
                raise InputError(f"Cannot write {where}: {err.strerror or err}") from None
        placed = False
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(handle, view) :]
                os.fchmod(handle, 0o644)
            finally:
                os.close(handle)
            self._refuse(fd, name, where)
            os.replace(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
            placed = True
        except OSError as err:
            raise InputError(f"Cannot write {where}: {err.strerror or err}") from None
        finally:
            if not placed:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp, dir_fd=fd)

    @staticmethod
    def _refuse(fd: int, name: str, where: Path) -> None:
        try:
            found = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        except OSError as err:
            raise InputError(f"Cannot write {where}: {err.strerror or err}") from None
        _refuse_special(where, found)
