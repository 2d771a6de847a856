"""The one way the planner reads a file a user gave it: bounded in size, strict UTF-8 text.

Every input file is untrusted. A file that is too large, binary or not UTF-8 is an InputError
(exit 2) naming the file and, for bad bytes, the line and byte offset; nothing here can raise
a traceback or read without bound. JSON goes through `load_json`, which refuses documents
nested deeper than MAX_NESTING before the decoder could overflow the stack.
"""

from __future__ import annotations

import csv
import io
import json
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


def read_input(path: str | Path, what: str, *, limit: int = MAX_INPUT_BYTES) -> str:
    """The text of input file `path` (a `what`: "spec", "catalog", ...), or an InputError that
    names the file and says why it cannot be used."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise InputError(f"Cannot read {what} {path}: {err.strerror or err}") from None
    if len(data) > limit:
        raise InputError(
            f"{path}: the {what} is larger than {limit // (1024 * 1024)} MiB, "
            "the most the planner reads"
        )
    return _decode(data, str(path))


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


def check_json_nesting(text: str, source: str) -> None:
    """InputError when JSON text nests deeper than MAX_NESTING."""
    deepest, line = nesting_depth(text)
    if deepest > MAX_NESTING:
        raise InputError(
            f"{source}:{line}: nested more than {MAX_NESTING} levels deep, more than any "
            "planner file needs"
        )


def load_json(text: str, source: str, what: str = "JSON") -> Any:
    """Decode JSON text (bounded nesting, no NaN or Infinity), or an InputError naming
    the file and line."""
    check_json_nesting(text, source)

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number JSON allows")

    try:
        return json.loads(text, parse_constant=constant)
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
