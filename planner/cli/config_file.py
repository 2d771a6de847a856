"""The config file: which one is in use, its planner table, and the line a key is on.

`planner.toml` (or the `[tool.planner]` table of a `pyproject.toml`) in the working directory or
the nearest folder above it that has one; `PLANNER_CONFIG=FILE` names one instead. Malformed
TOML, a file nested deeper than any config needs and a `[tool.planner]` that is not a table exit
2 naming the file and the line. What the keys mean is planner.cli.config's business.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from planner._readfile import MAX_NESTING, nesting_depth, read_input
from planner.errors import InputError

CONFIG_FILE = "planner.toml"
MAX_CONFIG_BYTES = 1_000_000
"""Largest config file read (1 MB)."""


def find_config(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The config file in use and its planner table, or None."""
    named = os.environ.get("PLANNER_CONFIG")
    if named:
        path = Path(named)
        data = _read_toml(path)
        return path, data.get("tool", {}).get(
            "planner", {}
        ) if path.name == "pyproject.toml" else data
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate, _read_toml(candidate)
        project = folder / "pyproject.toml"
        if project.is_file():
            data = _read_toml(project)
            table = data.get("tool", {}).get("planner")
            if table is not None:
                if not isinstance(table, dict):
                    raise InputError(f"{project}: [tool.planner] must be a table")
                return project, table
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    text = read_input(path, "config file", limit=MAX_CONFIG_BYTES)
    deepest, line = _toml_depth(text)
    if deepest > MAX_NESTING:
        raise InputError(
            f"{path}:{line}: nested more than {MAX_NESTING} levels deep, more than a config "
            "file needs"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        where = re.search(r"line (\d+)", str(err))
        line_text = where.group(1) if where else "1"
        raise InputError(f"{path}:{line_text}: malformed TOML: {err}") from None
    except (
        RecursionError,
        ValueError,
    ) as err:  # ValueError: an integer of 4,300+ digits
        raise InputError(f"{path}: not a config file the planner reads ({err})") from None


def _toml_depth(text: str) -> tuple[int, int]:
    """How deep TOML text nests ([ and { outside strings, dotted keys aside) and where."""
    deepest, line = nesting_depth(text)
    dotted = max((header.count(".") + 1 for header in re.findall(r"^\s*\[+([^\]]*)", text,
                  re.MULTILINE)), default=0)  # fmt: skip
    return max(deepest, dotted), line


def _lines(path: Path) -> list[str]:
    try:
        return read_input(path, "config file", limit=MAX_CONFIG_BYTES).splitlines()
    except InputError:
        return []


def line_of(path: Path, key: str, table: str | None) -> int:
    """The line where `key` is set (inside `table` when given), for messages; 1 if not found."""
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    section: str | None = None
    for number, line in enumerate(_lines(path), 1):
        header = re.match(r"^\s*\[+\s*([^\]]+?)\s*\]+", line)
        if header:
            name = header.group(1).strip().strip("\"'")
            section = name.removeprefix("tool.planner").strip(".").strip("\"'") or None
            continue
        if pattern.match(line) and (section == table or (table is None and section is None)):
            return number
    return 1


def table_line(path: Path, table: str) -> int:
    """The line of table `[table]` (or `[tool.planner.table]`), for messages; 1 if not found."""
    pattern = re.compile(rf"^\s*\[\s*(tool\.planner\.)?[\"']?{re.escape(table)}[\"']?\s*\]")
    for number, line in enumerate(_lines(path), 1):
        if pattern.match(line):
            return number
    return 1
