"""JSON: every result as data, indented, keys in their given order, a final newline."""

from __future__ import annotations

import json
import re
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


# --- errors: what every verb prints on stdout for an error with --format json ---------------

_KINDS = {1: "failed", 2: "input", 3: "infeasible"}


def _problem(line: str) -> dict[str, Any]:
    """`file:line: field: message` (the readers' convention) as fields; else just a message."""
    text = line.strip().removeprefix("- ").strip()
    match = re.match(
        r"^(?P<file>[^\s:][^:]*?):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<rest>.*)$", text
    )
    if not match:
        return {"message": text}
    found: dict[str, Any] = {"file": match["file"], "line": int(match["line"])}
    rest = match["rest"]
    field, sep, message = rest.partition(": ")
    if sep and " " not in field.strip() and field:
        found["field"] = field
        found["message"] = message
    else:
        found["message"] = rest
    return found


def error_object(message: str, code: int, kind: str | None = None) -> dict[str, Any]:
    """The JSON shape of an error: code, kind, message and, per problem, file/line/field."""
    lines = [line for line in message.splitlines() if line.strip()]
    if kind == "usage":
        lines = lines[:1]
    problems = [_problem(line) for line in lines[1:]] if len(lines) > 1 else []
    first = _problem(lines[0]) if lines else {"message": ""}
    if not problems and "file" in first:
        problems = [first]
    return {
        "error": {
            "code": code,
            "kind": kind or _KINDS.get(code, "error"),
            "message": message,
            "problems": problems,
        }
    }


@renderer("Listing", Format.json)
@renderer("SpotRisk", Format.json)
def listing(result, *, width=None) -> str:
    """Every row, every field, native types kept."""
    return to_json([{c: r.get(c) for c in result.columns} for r in result.rows])


@renderer("Validation", Format.json)
def validation(result, *, width=None) -> str:
    files = []
    for f in result.files:
        if f.valid:
            workloads = [{"name": name, "kind": kind} for name, kind in f.workloads]
            files.append({"file": f.file, "valid": True, "workloads": workloads})
        else:
            problems = error_object(f.message, f.exit_code)["error"]["problems"]
            files.append({"file": f.file, "valid": False, "message": f.message,
                          "problems": problems})  # fmt: skip
    return to_json({"valid": result.valid, "files": files})


@renderer("SpecSchema", Format.json)
def spec_schema(result, *, width=None) -> str:
    return json.dumps(result.schema, indent=2, sort_keys=True) + "\n"


@renderer("CatalogRefreshed", Format.json)
@renderer("QuotasRefreshed", Format.json)
def refreshed(result, *, width=None) -> str:
    """What a refresh wrote: the file, its counts, failures and notes, and the summary line."""
    from dataclasses import asdict

    return to_json({**asdict(result), "summary": result.summary})


@renderer("Calibrated", Format.json)
def calibrated(result, *, width=None) -> str:
    """The fit written: its file, the runs, each row's error before and after, the summary."""
    from dataclasses import asdict

    return to_json({**asdict(result), "summary": result.summary})


@renderer("ProfilesImported", Format.json)
def profiles_imported(result, *, width=None) -> str:
    """The profiles written: file, rows, runs, what was read, notes, and the summary line."""
    data = {"file": result.file, "rows": result.rows, "runs": result.runs,
            "files": list(result.files), "sagemaker_jobs": list(result.sagemaker_jobs),
            "notes": list(result.notes)}  # fmt: skip
    return to_json({**data, "summary": result.summary})


@renderer("Observed", Format.json)
def observed(result, *, width=None) -> str:
    from planner.observe.render import observe_json

    data = observe_json(result.observation, result.drifts, result.calibrations, result.notes)
    return json.dumps(data, indent=2) + "\n"


@renderer("Rightsized", Format.json)
def rightsized(result, *, width=None) -> str:
    """The spec written, each workload's traffic change, recommendations, notes and the diff."""
    from planner.report.diff_render import diff_json

    proposal = result.proposal
    data = {
        "spec": result.spec_file,
        "traffic": [
            {"workload": c.workload, "updated": c.updated, "reason": c.reason,
             "changes": list(c.changes)}
            for c in proposal.changes
        ],
        "recommendations": list(proposal.recommendations),
        "notes": list(proposal.notes),
        "diff": json.loads(diff_json(proposal.diff)),
    }  # fmt: skip
    return json.dumps(data, indent=2) + "\n"


@renderer("LaunchCalls", Format.json)
def launch_calls(result, *, width=None) -> str:
    """Every call with its body, credentials redacted."""
    from providers.launch import redact

    calls = [
        {
            "service": c.service,
            "region": c.region,
            "operation": c.operation,
            "body": json.loads(redact(json.dumps(c.body, sort_keys=True))),
        }
        for c in result.calls
    ]
    return to_json({"dry_run": True, "verb": result.verb, "calls": calls})


@renderer("Launched", Format.json)
def launched(result, *, width=None) -> str:
    data = {"dry_run": False, "plan_id": result.plan_id, "changes": result.changes,
            "lines": list(result.lines)}  # fmt: skip
    return to_json(data)


@renderer("Defaults", Format.json)
def defaults(result, *, width=None) -> str:
    settings = [
        {"key": s.key, "value": s.value, "source": s.source, "overridden_by": s.overridden_by,
         "verbs": list(s.verbs)}
        for s in result.settings
    ]  # fmt: skip
    data = {"config_file": result.config_file,
            "environment_keys": list(result.environment_keys), "settings": settings}  # fmt: skip
    return to_json(data)


@renderer("CompletionScript", Format.json)
def completion(result, *, width=None) -> str:
    return to_json({"shell": result.shell, "script": result.script})
