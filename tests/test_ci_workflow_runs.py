"""examples/ci/placement-plan.yml works as written: its `run:` steps are run in order, in a copy
of a repository that keeps a spec under review, with the test venv's `planner` on PATH and only
`gh` replaced (by a script that records its arguments; there is no GitHub here). The install
step is checked, not run: it installs the planner from its checked-out repository."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_check_ci_workflow import WORKFLOW, load_workflow

BASE_SPEC = (ROOT / "examples" / "eu-residency.yaml").read_text()
GH_STUB = """#!/bin/sh
# Records every call; answers the comment listing with what $GH_COMMENTS holds.
printf '%s\\n' "$*" >> "$GH_LOG"
case "$*" in
  "api repos/"*"/comments --paginate"*) [ -n "$GH_COMMENTS" ] && printf '%s\\n' "$GH_COMMENTS" ;;
esac
exit 0
"""


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _repository(tmp_path: Path, head_spec: str) -> tuple[Path, str]:
    """A repository whose base commit has fleet/fleet.yaml and whose head changes it."""
    repo = tmp_path / "repo"
    (repo / "fleet").mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / "fleet" / "fleet.yaml").write_text(BASE_SPEC)
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base")
    base = _git(repo, "rev-parse", "HEAD")
    (repo / "fleet" / "fleet.yaml").write_text(head_spec)
    _git(repo, "commit", "-qam", "head")
    return repo, base


def _expressions(base_sha: str) -> dict[str, str]:
    return {
        "github.event.pull_request.base.sha": base_sha,
        "github.event.pull_request.number": "7",
        "github.token": "test-token",
    }


def _substitute(value: str, known: dict[str, str], env: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        name = match.group(1).strip()
        if name.startswith("env."):
            return env[name[4:]]
        assert name in known, f"the test does not know the expression {name}"
        return known[name]

    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", one, str(value))


def run_workflow(
    tmp_path: Path, head_spec: str, comments: str = "", settings: dict | None = None
) -> dict:
    """Run every `run:` step in order like GitHub does (bash -e, stop at the first failure
    unless continue-on-error); return what each step did and what gh was asked."""
    repo, base = _repository(tmp_path, head_spec)
    data = load_workflow(WORKFLOW.read_text())
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "gh").write_text(GH_STUB)
    (stub / "gh").chmod(0o755)
    summary = tmp_path / "summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env |= {
        "PATH": f"{stub}:{Path(sys.executable).parent}:{env.get('PATH', '')}",
        "GITHUB_REPOSITORY": "acme/fleet",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GH_LOG": str(tmp_path / "gh.log"),
        "GH_COMMENTS": comments,
    }
    known = _expressions(base)
    env |= {k: _substitute(v, known, env) for k, v in data["env"].items()}
    env |= settings or {}  # what a user sets in the workflow's env block
    steps: list[dict] = []
    failed = False
    for step in data["jobs"]["plan"]["steps"]:
        if "run" not in step:
            continue
        if failed and "always()" not in str(step.get("if", "")):
            steps.append({"name": step["name"], "skipped": True})
            continue
        if step["name"] == "Install the planner":
            steps.append({"name": step["name"], "checked": step["run"]})
            continue
        step_env = env | {k: _substitute(v, known, env) for k, v in step.get("env", {}).items()}
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
            cwd=repo, env=step_env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        steps.append({"name": step["name"], "rc": done.returncode, "out": done.stdout,
                      "err": done.stderr})  # fmt: skip
        if done.returncode and not step.get("continue-on-error"):
            failed = True
    log = tmp_path / "gh.log"
    return {
        "steps": steps,
        "gh": log.read_text().splitlines() if log.exists() else [],
        "repo": repo,
        "summary": summary.read_text() if summary.exists() else "",
    }


def _by_name(result: dict) -> dict[str, dict]:
    return {s["name"]: s for s in result["steps"]}


def test_the_install_step_installs_from_the_planners_repository():
    data = load_workflow(WORKFLOW.read_text())
    steps = data["jobs"]["plan"]["steps"]
    install = next(s for s in steps if s["name"] == "Install the planner")
    assert re.search(r"pip install \"\./\.planner(\[[a-z,]+\])?\"", install["run"])
    checkout = next(s for s in steps if s.get("with", {}).get("path") == ".planner")
    assert checkout["uses"].startswith("actions/checkout@")
    assert "llm-placement-planner[" not in install["run"].replace("./.planner[", "")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_cost_change_posts_one_marked_comment_then_updates_it(tmp_path):
    head = re.sub(r"requests_per_second: (\d+)", lambda m: f"requests_per_second: {int(m[1]) * 3}",
                  BASE_SPEC)  # fmt: skip
    assert head != BASE_SPEC
    first = run_workflow(tmp_path / "first", head)
    steps = _by_name(first)
    for name in ("Plan the base branch's spec", "Plan the pull request's spec",
                 "Emit deployment files", "Diff and report", "Budget and SLO gate"):  # fmt: skip
        assert steps[name]["rc"] == 0, (name, steps[name]["err"])
    diff_md = (first["repo"] / "out" / "diff.md").read_text()
    assert diff_md.startswith("<!-- llm-placement-planner:diff -->")
    assert "<!-- llm-placement-planner:diff -->" in first["summary"]
    assert (first["repo"] / "out" / "deploy" / "index.json").exists()
    calls = first["gh"]
    assert calls[0].startswith("api repos/acme/fleet/issues/7/comments --paginate")
    assert calls[1] == "api --method POST repos/acme/fleet/issues/7/comments -F body=@out/diff.md"
    assert len(calls) == 2
    # tripled traffic is more than a 10% increase: the cost gate fails the job
    assert steps["Cost increase gate"]["rc"] == 1

    again = run_workflow(tmp_path / "again", head, comments="4242")
    assert again["gh"][1] == (
        "api --method PATCH repos/acme/fleet/issues/comments/4242 -F body=@out/diff.md"
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_no_cost_change_means_no_comment_and_a_green_job(tmp_path):
    same = BASE_SPEC + "\n# a comment only\n"
    result = run_workflow(tmp_path, same)
    assert result["gh"] == []
    assert all(s.get("rc", 0) == 0 for s in result["steps"]), result["steps"]
    diff = json.loads((result["repo"] / "out" / "diff.json").read_text())
    assert diff["min_change"]["exceeded"] is False


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_budget_gate_fails_the_job(tmp_path, monkeypatch):
    over = re.sub(r"requests_per_second: (\d+)", lambda m: f"requests_per_second: {int(m[1]) * 2}",
                  BASE_SPEC)  # fmt: skip
    result = run_workflow(tmp_path, over, settings={"MAX_COST_PER_HOUR": "5"})
    gate = _by_name(result)["Budget and SLO gate"]
    assert gate["rc"] == 1 and "FAIL" in gate["err"]
    assert _by_name(result)["Cost increase gate"].get("skipped")
