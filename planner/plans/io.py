"""Reading a plan file back: the one place every verb that takes plan.json goes through.

A plan file is untrusted input. It is parsed (exit 2 when it is not a plan: bad JSON, a wrong
or missing field, an unknown schema version), version 1 files are upgraded with a note on
stderr, and then every figure is re-derived from its allocations (exit 1 when one does not add
up; planner.plans.consistency). Verbs that also take the spec check the pair belongs together.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner._readfile import JSON_NUMBERS, check_json_nesting, json_number_line, read_bytes
from planner.errors import InputError, PlanRejected
from planner.plans.consistency import inconsistencies
from planner.plans.identity import spec_digest
from planner.plans.model import SCHEMA_VERSION, Plan

if TYPE_CHECKING:
    from planner.spec.models import Spec

READABLE_VERSIONS = (1, 2, 3)
V2_ONLY = ("plan_date", "spec_sha256", "catalog_sha256")
"""Top-level fields a version 1 file cannot hold (a version 2 file upgraded from version 1
holds them empty: what it was made from is unknown)."""
ANNOTATION_FIELDS = ("baselines", "schedule", "frontier", "robust")
"""Top-level fields of versions 1 and 2 that version 3 holds in its `annotations` document."""
V3_ONLY = ("annotations",)
MAX_PLAN_BYTES = 256 * 1024 * 1024
"""Largest plan file read (256 MiB): `planner plan -o` writes about 3.5 KB per allocation, so
a 20,000-workload plan (some 30,000 allocations) is about 110 MB, over the 64 MiB of inputs."""
MAX_LISTED = 20
"""Problems listed by field in an error; the rest are counted."""


def _hint() -> str:
    return "make one with `planner plan SPEC --format json -o plan.json`"


def _parse(path: Path) -> Any:
    raw = read_bytes(path, "plan", limit=MAX_PLAN_BYTES)  # never more than the limit
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(
            f"Invalid plan {path}: not UTF-8 text (byte {err.start}); {_hint()}"
        ) from None
    check_json_nesting(text, f"Invalid plan {path}")

    try:
        return json.loads(text, **JSON_NUMBERS)
    except ValueError as err:
        if isinstance(err, json.JSONDecodeError):
            raise InputError(
                f"Invalid plan {path}: line {err.lineno}, column {err.colno}: {err.msg}; {_hint()}"
            ) from None
        line = json_number_line(text, err)
        raise InputError(
            f"Invalid plan {path}: line {line}: {err} (not a number a plan may hold); {_hint()}"
        ) from None
    except RecursionError:
        raise InputError(f"Invalid plan {path}: nested too deeply; {_hint()}") from None


ADDED_IN = {2: V2_ONLY, 3: V3_ONLY}
"""Top-level fields by the version that added them."""


def _refuse_later_fields(path: Path, data: dict[str, Any], version: int) -> None:
    """InputError when a file that says it is `version` holds a later version's fields."""
    for later, fields in ADDED_IN.items():
        present = [k for k in fields if k in data]
        if later > version and present:
            raise InputError(
                f"Invalid plan {path}: schema_version: {version}, but it holds the version "
                f"{later} field(s) {', '.join(present)}"
            )


def _upgrade_1(path: Path, data: dict[str, Any], notes) -> dict[str, Any]:
    """A version 1 plan as version 2: no date, no digests (the id stays as it was made)."""
    _refuse_later_fields(path, data, 1)
    notes(
        f"note: {path} is a version 1 plan, read as version {SCHEMA_VERSION}: it records no "
        "plan date and no spec or catalog digest, so it cannot be matched to its spec; "
        "re-plan to get a file that records them"
    )
    return {**data, "schema_version": 2}


def _upgrade_2(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """A version 2 plan as version 3: its baselines, schedule, frontier and robust coverage
    moved, unchanged, into the annotations document (none of them: no annotations). Nothing is
    lost, so nothing is said; the id stays as it was made (annotations are not part of it)."""
    _refuse_later_fields(path, data, 2)
    moved = {k: data[k] for k in ANNOTATION_FIELDS if k in data}
    upgraded = {k: v for k, v in data.items() if k not in ANNOTATION_FIELDS}
    upgraded["schema_version"] = 3
    held = {k: v for k, v in moved.items() if v not in (None, [])}
    upgraded["annotations"] = moved if held else None
    return upgraded


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def read_plan_file(path: str | Path, notes=_stderr) -> Plan:
    """The Plan in JSON file `path`, parsed and upgraded but not yet checked: an InputError
    (exit 2) naming the file and the first bad field when it is not a readable plan."""
    from pydantic import ValidationError

    path = Path(path)
    data = _parse(path)
    if not isinstance(data, dict):
        raise InputError(f"Invalid plan {path}: (top level): not a JSON object; {_hint()}")
    version = data.get("schema_version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise InputError(
            f"Invalid plan {path}: schema_version: {json.dumps(version)} is not one this "
            f"planner reads ({', '.join(map(str, READABLE_VERSIONS))}); {_hint()}"
        )
    if version == 1:
        data = _upgrade_1(path, data, notes)
    if data["schema_version"] == 2:
        data = _upgrade_2(path, data)
    try:
        return Plan.model_validate(data)
    except ValidationError as err:
        first = err.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise InputError(f"Invalid plan {path}: {where}: {first['msg']}{more}; {_hint()}") from None


def rejected(path: str | Path, problems, what: str) -> PlanRejected:
    """The error for a plan that fails verification, listing every problem by field."""
    lines = [f"  - {p}" for p in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        lines.append(f"  ... and {len(problems) - MAX_LISTED} more")
    return PlanRejected(
        f"Plan {path} fails verification ({what}); nothing was done:\n" + "\n".join(lines)
    )


def load_plan(path: str | Path, notes=_stderr, *, spec: Spec | None = None) -> Plan:
    """The Plan in JSON file `path` (from `planner plan --format json -o FILE`), read and checked.

    Every verb that reads a plan goes through here. InputError (exit 2) when the file is not a
    readable plan; PlanRejected (exit 1) when a figure does not follow from its allocations
    (planner.plans.consistency) or, given the `spec` the verb was given with it, when the plan
    was made for another spec.
    """
    plan = read_plan_file(path, notes)
    problems = inconsistencies(plan, spec.user_llms() if spec is not None else ())
    if problems:
        raise rejected(
            path, problems, f"{len(problems)} figure(s) do not follow from its allocations"
        )
    if spec is not None:
        check_pair(plan, spec, path, notes)
    return plan


def check_pair(plan: Plan, spec: Spec, path: str | Path, notes=_stderr) -> None:
    """PlanRejected unless `plan` was made for `spec` (by the spec digest it records); a note
    when the plan records none (upgraded from version 1)."""
    if plan.spec_sha256 is None:
        notes(f"note: {path} records no spec digest; it is not checked to belong to the spec")
        return
    digest = spec_digest(spec)
    if plan.spec_sha256 != digest:
        raise rejected(
            path,
            [
                f"spec_sha256: the plan was made for another spec (digest "
                f"{plan.spec_sha256[:12]}..., the spec given has {digest[:12]}...); re-plan with "
                "this spec, or give the spec it was made for"
            ],
            "it was made for another spec",
        )
