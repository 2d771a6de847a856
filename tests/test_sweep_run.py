"""Sweeps on the local executor: every scenario solved (or a fixed plan checked) and reported
in id order; infeasible scenarios explained without stopping the others; failing tasks
retried, then reported in their place."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from planner.catalog import load_catalog
from planner.compute.executors import Failure
from planner.compute.local import LocalExecutor
from planner.spec import load_spec
from planner.sweep.load import parse_scenarios
from planner.sweep.runner import run_sweep
from planner.sweep.scenarios import expand
from tests.conftest import ROOT

SMALL = ROOT / "examples" / "sweep" / "small-fleet.yaml"
GRID = """\
axes:
  - kind: traffic
    workloads: [chat]
    values: [1.0, 2.5, 20]     # 20x needs more than the 14 replicas chat may use
  - kind: region_outage
    values: [none, us-east-1]
"""


@pytest.fixture(scope="module")
def grid_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep") / "grid.yaml"
    path.write_text(GRID)
    return path


@pytest.fixture(scope="module")
def solved(grid_file):
    """The grid swept through the CLI once, as JSON (shared by the tests that read it)."""
    from planner.cli.app import run

    out = grid_file.parent / "sweep.json"
    try:
        run(["sweep", str(SMALL), "--scenarios", str(grid_file), "--workers", "2",
             "--no-progress", "--format", "json", "-o", str(out)])  # fmt: skip
    except SystemExit as stop:
        assert not stop.code
    return json.loads(out.read_text())


def test_every_scenario_is_solved_and_sorted_by_id(solved):
    results = solved["results"]
    assert len(results) == 6
    assert [r["id"] for r in results] == sorted(r["id"] for r in results)
    assert solved["base"]["status"] == "optimal"
    base = next(r for r in results if r["label"] == "base")
    assert base["objective_value"] == solved["base"]["objective_value"]
    assert base["change"] == 0
    busier = next(r for r in results if r["label"] == "traffic[chat]=2.5")
    assert busier["change"] > 0


def test_infeasible_scenarios_name_the_conflict_and_the_sweep_goes_on(solved):
    infeasible = [r for r in solved["results"] if r["status"] == "infeasible"]
    assert {r["label"] for r in infeasible} == {
        "traffic[chat]=20",
        "traffic[chat]=20, outage=us-east-1",
    }
    for r in infeasible:
        assert "chat may use at most 14 replicas" in r["reason"]
        assert r["objective_value"] is None
    summary = solved["summary"]
    assert (summary["solved"], summary["infeasible"], summary["errors"]) == (4, 2, 0)
    (reason,) = summary["by_reason"]
    assert "chat may use at most N replicas" in reason
    assert summary["by_reason"][reason] == 2
    costs = sorted(r["objective_value"] for r in solved["results"] if r["objective_value"])
    assert summary["cost"]["min"] == costs[0] and summary["cost"]["max"] == costs[-1]


def test_table_and_markdown_show_status_change_and_why(cli, grid_file):
    table = cli("sweep", SMALL, "--scenarios", grid_file, "--workers", "1")
    assert table.exit_code == 0, table.stderr
    assert "infeasible" in table.stdout and "chat may use at most 14 replicas" in table.stdout
    assert "6 scenarios: 4 solved, 2 infeasible, 0 error(s)" in table.stdout
    assert "Cost: min" in table.stdout and "p95" in table.stdout
    assert "6/6" in table.stderr or "7/7" in table.stderr  # the progress bar, on stderr
    md = cli("sweep", SMALL, "--scenarios", grid_file, "--format", "md", "--no-progress")
    assert md.stdout.startswith("| scenario | what | status | cost | vs base | why |")
    assert "- Infeasible by reason:" in md.stdout


def test_output_is_never_overwritten_without_force(cli, grid_file, tmp_path):
    out = tmp_path / "sweep.json"
    out.write_text("keep me")
    result = cli("sweep", SMALL, "--scenarios", grid_file, "-o", out, "--no-progress")
    assert result.exit_code == 2
    assert "exists; pass --force" in result.stderr
    assert out.read_text() == "keep me"


def test_a_fixed_plan_is_checked_with_verify_and_unmet_demand_reported(cli, grid_file, tmp_path):
    plan = tmp_path / "plan.json"
    assert cli("plan", SMALL, "--format", "json", "-o", plan).exit_code == 0
    out = tmp_path / "fixed.json"
    result = cli("sweep", SMALL, "--scenarios", grid_file, "--plan", plan, "--no-progress",
                 "--format", "json", "-o", out)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    sweep = json.loads(out.read_text())
    assert sweep["mode"] == "plan" and sweep["base"]["status"] == "ok"
    by_label = {r["label"]: r for r in sweep["results"]}
    assert by_label["base"]["status"] == "ok" and by_label["base"]["unmet"] == []
    # the base plan serves most of chat from us-east-1: losing the region loses that share
    lost = by_label["outage=us-east-1"]
    assert lost["status"] == "violated"
    assert any(item.startswith("chat: ") and "us-east-1" in item for item in lost["lost"])
    assert any("cannot carry 12 requests/s" in v for v in lost["violations"])
    (unmet,) = [u for u in lost["unmet"] if u["workload"] == "chat"]
    assert unmet["unit"] == "requests/s" and unmet["demand"] == 12
    assert 0 <= unmet["served"] < 6
    # more traffic than it was sized for: part of it is served
    busy = by_label["traffic[chat]=2.5"]
    assert busy["status"] == "violated"
    (unmet,) = busy["unmet"]
    assert 12 <= unmet["served"] < 30 and unmet["demand"] == 30
    assert sweep["summary"]["violated"] == 5


def test_failing_tasks_are_retried_then_reported_in_place(tmp_path):
    from tests.sweep_faults import flaky

    items = ["a", "once", "always", "b"]
    results = LocalExecutor(workers=2, retries=2).map(flaky, str(tmp_path), items)
    assert results[:2] == ["A", "ONCE"] and results[3] == "B"
    assert results[2] == Failure("RuntimeError: always fails", attempts=3)


def test_a_failed_task_becomes_an_error_outcome_and_exit_1(monkeypatch, tmp_path, cli):
    spec, catalog = load_spec(SMALL), load_catalog()
    scenarios = expand(parse_scenarios(GRID))

    class Broken:
        name = "broken"

        def map(self, fn, shared, items, on_result=None):
            failed = Failure("MemoryError", 3)
            return [failed if i == 2 else fn(shared, s) for i, s in enumerate(items)]

    sweep = run_sweep(spec, catalog, scenarios[:3], Broken()).sweep
    failed = next(r for r in sweep.results if r.id == scenarios[1].id)
    assert failed.status == "error" and failed.reason == "failed after 3 attempt(s): MemoryError"
    assert sweep.summary.errors == 1 and sweep.summary.solved == 2

    import planner.compute.executors as executors

    monkeypatch.setattr(executors, "make_executor", lambda *a, **k: Broken())
    grid = tmp_path / "grid.yaml"
    grid.write_text(GRID)
    result = cli("sweep", SMALL, "--scenarios", grid, "--no-progress")
    assert result.exit_code == 1
    assert "1 error(s)" in result.stdout


def test_help_imports_neither_ray_nor_the_solver():
    code = (
        "import sys\nfrom planner.cli.app import run\n"
        "for args in (['--help'], ['sweep', '--help'], ['plan', '--help']):\n"
        "    try:\n        run(args)\n    except SystemExit:\n        pass\n"
        "print([m for m in ('ray', 'ortools', 'planner.sweep.runner') if m in sys.modules])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=ROOT, env={**os.environ, "COLUMNS": "100"},
    )  # fmt: skip
    assert "--scenarios" in proc.stdout and "--robust" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "[]"
