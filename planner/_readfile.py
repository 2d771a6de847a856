"""The one way the planner reads a file a user gave it: bounded in size, strict UTF-8 text.

Every input file is untrusted. A file that is too large, binary or not UTF-8 is an InputError
(exit 2) naming the file and, for bad bytes, the line and byte offset; nothing here can raise
a traceback or read without bound. Only regular files are read: a FIFO, a socket or a device
(`/dev/zero`, `/dev/stdin`) is refused before a byte is read, and the bytes read are capped by
counting them, never by trusting the size the file system reports. JSON goes through
`load_json`, which refuses documents nested deeper than MAX_NESTING before the decoder could
overflow the stack, and numbers of hundreds of digits or beyond a float's range.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from planner.errors import InputError

MAX_INPUT_BYTES = 64 * 1024 * 1024
"""Largest file the planner reads (64 MiB): specs, catalogs, profiles, traces, plans."""

MAX_NESTING = 64
"""Deepest nesting of mappings and lists accepted in a YAML or JSON file."""

MAX_CSV_CELL = 64 * 1024
"""Longest cell accepted in a CSV file (characters)."""


def _decode(data: bytes, source: str) -> str:
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(
            f"{source}:{line}: not a text file (a NUL byte at byte {nul}); give a UTF-8 text file"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError(
            f"{source}:{line}: not UTF-8 text (byte {err.start}: 0x{data[err.start]:02x}); "
            "save the file as UTF-8"
        ) from None


_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def node_kind(mode: int) -> str | None:
    """What a file system node that is not a regular file is ("a FIFO (named pipe)"...), or
    None for a regular file."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def _mib(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit:,} bytes"


def read_bytes(path: str | Path, what: str, *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of input file `path` (a `what`), at most `limit` of them, or an InputError
    naming the file: a missing file, a name too long, a FIFO or device, a file over `limit`."""
    path = Path(path)
    try:
        before = os.stat(path)
        kind = node_kind(before.st_mode)
        if kind is not None:
            raise InputError(
                f"{path}: the {what} is {kind}, not a regular file; the planner reads only "
                "regular files"
            )
        # O_NONBLOCK: a FIFO swapped in after the check cannot block the open.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        raise InputError(f"Cannot read {what} {path}: {err.strerror or err}") from None
    try:
        kind = node_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise InputError(f"{path}: the {what} is {kind}, not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1024 * 1024, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as err:
        raise InputError(f"Cannot read {what} {path}: {err.strerror or err}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise InputError(
            f"{path}: the {what} is larger than {_mib(limit)}, the most the planner reads"
        )
    return b"".join(chunks)


def read_input(path: str | Path, what: str, *, limit: int = MAX_INPUT_BYTES) -> str:
    """The text of input file `path` (a `what`: "spec", "catalog", ...), or an InputError that
    names the file and says why it cannot be used."""
    return _decode(read_bytes(path, what, limit=limit), str(Path(path)))


def text_of(data: bytes | str, source: str) -> str:
    """Bytes already in memory as strict UTF-8 text (same errors as `read_input`)."""
    if isinstance(data, str):
        return data
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{source}: larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
    return _decode(data, source)


def nesting_depth(text: str) -> tuple[int, int]:
    """How deep JSON text nests ([ and { outside strings) and the line where it is deepest."""
    depth = deepest = 0
    line = deepest_line = 1
    in_string = escaped = False
    for char in text:
        if char == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest, deepest_line = depth, line
                if deepest > MAX_NESTING:
                    break
        elif char in "]}":
            depth -= 1
    return deepest, deepest_line


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
"""A JSON string as nesting_depth reads one: to its closing quote, escapes skipped, or to the
end of an unterminated one."""
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _deepest(text: str) -> int:
    """How deep JSON text nests, as nesting_depth finds it, with the strings and every other
    character dropped by the regular-expression engine first: the character loop of
    nesting_depth takes seconds on a plan of 100 MB (20,000 workloads)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def check_json_nesting(text: str, source: str) -> None:
    """InputError when JSON text nests deeper than MAX_NESTING."""
    if _deepest(text) <= MAX_NESTING:
        return
    deepest, line = nesting_depth(text)
    if deepest > MAX_NESTING:
        raise InputError(
            f"{source}:{line}: nested more than {MAX_NESTING} levels deep, more than any "
            "planner file needs"
        )


MAX_DIGITS = 30
"""Most digits of a number in a JSON input file: larger than any count, price or size the
planner reads, and far below what would make converting it slow or overflow a float."""


class _NumberError(ValueError):
    pass


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise _NumberError(
            f"an integer of {digits:,} digits (at most {MAX_DIGITS} are read): {text[:20]}..."
        )
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > 2 * MAX_DIGITS + 10:
        raise _NumberError(f"a number written with {len(text):,} characters: {text[:20]}...")
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise _NumberError(f"{text} is too large to be a number the planner reads")
    return value


def _parse_constant(name: str) -> Any:
    raise _NumberError(f"{name} is not a number JSON allows")


JSON_NUMBERS: dict[str, Any] = {
    "parse_int": _parse_int,
    "parse_float": _parse_float,
    "parse_constant": _parse_constant,
}
"""`json.loads` hooks every JSON reader passes: no NaN/Infinity, no float overflowing to
infinity, no integer of hundreds of digits (Python refuses over 4,300 with a ValueError)."""


def json_number_line(text: str, err: ValueError) -> int:
    """Best guess at the line of a refused number (the first line holding its text)."""
    shown = str(err).split(": ")[-1].removesuffix("...")
    where = text.find(shown[:20]) if shown else -1
    return text.count("\n", 0, where) + 1 if where >= 0 else 1


def load_json(text: str, source: str, what: str = "JSON") -> Any:
    """Decode JSON text (bounded nesting, no NaN or Infinity, numbers of bounded size), or an
    InputError naming the file and line."""
    check_json_nesting(text, source)
    try:
        return json.loads(text, **JSON_NUMBERS)
    except _NumberError as err:
        line = json_number_line(text, err)
        raise InputError(f"{source}:{line}: not valid {what}: {err}") from None
    except json.JSONDecodeError as err:
        raise InputError(f"{source}:{err.lineno}: not valid {what}: {err.msg}") from None
    except (ValueError, RecursionError) as err:
        raise InputError(f"{source}: not valid {what}: {err}") from None


def csv_rows(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of CSV text, with the csv module's own errors (an overlong cell,
    a bad quote) as InputErrors naming the file and line."""
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise InputError(f"{source}:{reader.line_num}: not valid CSV: {err}") from None
        _check_cells(cells, f"{source}:{reader.line_num}")
        yield reader.line_num, cells


def csv_line(line: str, source: str, number: int) -> list[str]:
    """The cells of line `number` of a CSV file, or an InputError naming the file and line."""
    try:
        cells = next(csv.reader([line]), [])
    except csv.Error as err:
        raise InputError(f"{source}:{number}: not valid CSV: {err}") from None
    _check_cells(cells, f"{source}:{number}")
    return cells


def _check_cells(cells: list[str], where: str) -> None:
    if any(len(cell) > MAX_CSV_CELL for cell in cells):
        raise InputError(f"{where}: a cell longer than {MAX_CSV_CELL:,} characters")
