"""`launch --apply` and `teardown --apply` ask before they change a cloud account; `--yes`
answers for CI, and without a terminal to ask on they refuse (exit 2) rather than act."""

from __future__ import annotations

import io
import json

import pytest

from tests.conftest import EXAMPLES

SPEC = next(p for p in EXAMPLES if p.name == "sagemaker-endpoint.yaml")
NOWHERE = "http://127.0.0.1:9"  # nothing listens: a call that was made would fail loudly


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def plan(cli, tmp_path):
    out = tmp_path / "plan.json"
    assert cli("plan", SPEC, "--format", "json", "-o", out).exit_code == 0
    return out


@pytest.mark.parametrize("verb", ["launch", "teardown"])
def test_apply_without_yes_and_without_a_terminal_exits_2(cli, plan, verb):
    result = cli(verb, plan, "--target", "sagemaker", "--apply", "--endpoint-url", NOWHERE)
    assert result.exit_code == 2
    assert "pass --yes to go ahead" in result.stderr
    plan_id = json.loads(plan.read_text())["plan_id"]
    assert plan_id in result.stderr


@pytest.mark.parametrize("verb", ["launch", "teardown"])
def test_answering_no_at_the_terminal_does_nothing(cli, plan, verb, monkeypatch):
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    result = cli(verb, plan, "--target", "sagemaker", "--apply", "--endpoint-url", NOWHERE)
    assert result.exit_code == 1
    assert "Nothing was done." in result.stderr
    assert "127.0.0.1" not in result.stderr  # no call was attempted


def test_the_dry_run_needs_no_confirmation(cli, plan):
    result = cli("launch", plan, "--target", "sagemaker")
    assert result.exit_code == 0, result.stderr
    assert "Dry run" in result.stdout
