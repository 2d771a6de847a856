"""`planner emit` says which targets wrote files, and a target with nothing to write is an
error, not a silent success."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EXAMPLES

BATCH = next(p for p in EXAMPLES if p.name == "nightly-batch-spot.yaml")


@pytest.fixture
def batch_plan(cli, tmp_path):
    out = tmp_path / "plan.json"
    assert cli("plan", BATCH, "--format", "json", "-o", out).exit_code == 0
    return out


def test_a_target_with_nothing_to_write_exits_2_and_writes_nothing(cli, batch_plan, tmp_path):
    result = cli("emit", batch_plan, "--target", "sagemaker", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "--target sagemaker has nothing to write" in result.stderr
    assert "skipped ticket-summaries" in result.stderr  # the reason, per allocation
    assert not (tmp_path / "out").exists()


def test_all_names_only_the_targets_that_wrote_files(cli, batch_plan, tmp_path):
    result = cli("emit", batch_plan, "--target", "all", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    wrote = sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir())
    assert f"for {', '.join(wrote)} in" in result.stdout
    assert "sagemaker" not in result.stdout
    assert "no files for sagemaker" in result.stderr
    data = json.loads(
        cli("emit", batch_plan, "-t", "all", "-o", tmp_path / "out", "--format", "json").stdout
    )
    assert data["targets"] == wrote
    assert "sagemaker" in data["targets_without_files"]
