"""Reading a plan file: a Plan, or an InputError that names the file and the bad field."""

from __future__ import annotations

from pathlib import Path

from planner.errors import InputError
from planner.plan import Plan


def read_plan(path: Path) -> Plan:
    """The Plan in JSON file `path` (as written by `planner plan -o`)."""
    from pydantic import ValidationError

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"Cannot read plan {path}: {err.strerror or err}") from None
    try:
        return Plan.model_validate_json(text)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise InputError(f"Invalid plan {path}: {where}: {first['msg']}{more}") from None
