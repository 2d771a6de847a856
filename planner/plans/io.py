"""Reading a plan file back: the one place every verb that takes plan.json goes through."""

from __future__ import annotations

from pathlib import Path

from planner.errors import InputError
from planner.plans.model import Plan


def load_plan(path: str | Path) -> Plan:
    """The Plan in JSON file `path` (from `planner plan --format json -o FILE`), or an
    InputError naming the file, the first bad field and how to make a plan file."""
    from pydantic import ValidationError

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"Cannot read plan {path}: {err.strerror or err}") from None
    try:
        return Plan.model_validate_json(text)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise InputError(
            f"Invalid plan {path}: {where}: {first['msg']}{more}; make one with "
            "`planner plan SPEC --format json -o plan.json`"
        ) from None
