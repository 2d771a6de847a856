"""JSON: every result as data, indented, keys in their given order, a final newline."""

from __future__ import annotations

import json
from typing import Any

from planner.render import Format, renderer


def to_json(data: Any) -> str:
    """JSON as every verb writes it: indented, keys in their given order, a final newline."""
    return json.dumps(data, indent=2, default=str) + "\n"


@renderer("Plan", Format.json)
@renderer("Frontier", Format.json)
def plan(result, *, width=None) -> str:
    return to_json(result.model_dump(mode="json"))


@renderer("Verification", Format.json)
def verification(result, *, width=None) -> str:
    return to_json(
        {
            "ok": result.ok,
            "plan": result.plan_name,
            "plan_id": result.plan_id,
            "spec": result.spec_name,
            "violations": list(result.violations),
        }
    )


@renderer("Report", Format.json)
def report(result, *, width=None) -> str:
    return to_json(result.data())


@renderer("Diff", Format.json)
def diff(result, *, width=None) -> str:
    from planner.report.diff_render import diff_json

    text = diff_json(result.result)
    if result.moved is None:
        return text
    data = json.loads(text)
    data["min_change"] = {
        "pct": result.min_change,
        "exceeded": bool(result.moved),
        "changes": list(result.moved),
    }
    return to_json(data)


@renderer("Check", Format.json)
def check(result, *, width=None) -> str:
    from dataclasses import asdict

    return to_json(
        {"ok": result.ok, "plan_id": result.plan_id, "line": result.line,
         "limits": asdict(result.limits)}
    )  # fmt: skip


@renderer("Export", Format.json)
def export(result, *, width=None) -> str:
    return to_json(list(result.rows))


@renderer("Emitted", Format.json)
def emitted(result, *, width=None) -> str:
    return to_json(
        {
            "plan_id": result.plan_id,
            "folder": str(result.folder),
            "targets": list(result.targets),
            "targets_without_files": list(result.targets_without_files),
            "created": list(result.created),
            "changed": list(result.changed),
            "unchanged": list(result.unchanged),
            "stale": list(result.stale),
            "notes": list(result.notes),
        }
    )


@renderer("SweepRun", Format.json)
def sweep(result, *, width=None) -> str:
    from planner.sweep.render import to_json as sweep_json

    return sweep_json(result.sweep)


@renderer("Schedules", Format.json)
def schedules(result, *, width=None) -> str:
    return json.dumps(result.data(), indent=2) + "\n"


@renderer("Estimate", Format.json)
@renderer("QueueFigures", Format.json)
def record(result, *, width=None) -> str:
    return to_json(dict(result.record))


@renderer("SimulationReport", Format.json)
@renderer("AutoscalePlan", Format.json)
def model(result, *, width=None) -> str:
    return result.model_dump_json(indent=2) + "\n"
