"""Reading a plan file written by `planner plan -o`, with a clear error when it is not one."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from planner.errors import InputError
from planner.plan.model import Plan


def read_plan(path: Path) -> Plan:
    """The plan in `path` (JSON from `planner plan --format json -o FILE`)."""
    try:
        text = path.read_text()
    except OSError as err:
        raise InputError(f"cannot read plan {path}: {err.strerror or err}") from err
    try:
        return Plan.model_validate_json(text)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(
            f"{path} is not a plan file ({where}: {first['msg']}); make one with "
            "`planner plan SPEC --format json -o plan.json`"
        ) from err
