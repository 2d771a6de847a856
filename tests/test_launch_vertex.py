"""The Vertex AI launcher against a fake Vertex REST server on 127.0.0.1 (real GAPIC clients,
tests.fakes.vertex)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from planner.plans.io import load_plan
from tests.fakes.vertex import VertexServer

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "tests" / "data" / "plan-v1-vertex-two-machine-types.json"
"""One endpoint on two machine types (a traffic split), as schema version 1 saved it."""


@pytest.fixture
def vertex():
    """A fake Vertex server on 127.0.0.1; yields (state, api endpoint URL)."""
    with VertexServer() as server:
        yield server.state, server.url


@pytest.fixture
def launcher(vertex):
    from providers.gcp.vertex import VertexLauncher, gapic_clients

    _state, url = vertex
    return VertexLauncher(gapic_clients(url), "test-project", timeout_s=30)


def test_deploys_the_plans_machines_accelerators_and_replica_bounds(vertex, launcher):
    from google.cloud.aiplatform_v1 import AcceleratorType

    state, _ = vertex
    plan = load_plan(PLAN)
    report = launcher.apply(plan)
    assert report.changes == 5
    deploys = state.calls(":deployModel")
    vertex_allocs = [a for a in plan.allocations if a.service == "vertex"]
    assert len(deploys) == len(vertex_allocs) == 2
    for body, alloc in zip(deploys, vertex_allocs, strict=True):
        resources = body["deployedModel"]["dedicatedResources"]
        spec = resources["machineSpec"]
        assert spec["machineType"] == alloc.instance_type
        assert AcceleratorType(spec["acceleratorType"]).name == "NVIDIA_TESLA_A100"
        assert spec["acceleratorCount"] == alloc.accelerators_per_instance
        assert 1 <= resources["minReplicaCount"] <= alloc.count <= resources["maxReplicaCount"]
    workload = plan.workloads[0]
    assert sum(d["deployedModel"]["dedicatedResources"]["maxReplicaCount"] for d in deploys) >= (
        workload.max_replicas
    )
    assert sum(deploys[-1]["trafficSplit"].values()) == 100
    uploads = state.calls("models:upload")
    assert [u["model"]["containerSpec"]["imageUri"] for u in uploads] == [
        "vllm/vllm-openai:v0.8.5"
    ] * 2
    endpoint = next(iter(state.endpoints.values()))
    assert endpoint["labels"]["planner-plan-id"] == plan.plan_id


def test_second_apply_changes_nothing(vertex, launcher):
    state, _ = vertex
    plan = load_plan(PLAN)
    launcher.apply(plan)
    posts = len([r for r in state.requests if r[0] != "GET"])
    report = launcher.apply(plan)
    assert report.changes == 0
    assert len([r for r in state.requests if r[0] != "GET"]) == posts


def test_failed_deploy_rolls_back_everything(vertex, launcher):
    from planner.errors import PlannerError

    state, _ = vertex
    state.fail.add(":deployModel")
    with pytest.raises(PlannerError) as caught:
        launcher.apply(load_plan(PLAN))
    message = str(caught.value)
    assert "quota exceeded" in message and "Rolled back" in message
    assert state.models == {} and state.endpoints == {}


def test_teardown_removes_what_the_plan_made(vertex, launcher):
    state, _ = vertex
    plan = load_plan(PLAN)
    launcher.apply(plan)
    report = launcher.teardown(plan)
    assert report.changes == 5
    assert state.models == {} and state.endpoints == {}
    assert launcher.teardown(plan).changes == 0


def test_cli_apply_and_teardown_as_a_subprocess(vertex, tmp_path):
    state, url = vertex
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PLANNER_VERTEX_API_ENDPOINT": url}
    run = [sys.executable, "-c", "from planner.cli import main; main()"]

    def planner(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*run, *args], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
        )

    dry = planner("launch", str(PLAN), "--target", "vertex", "--project", "acme-test")
    assert dry.returncode == 0, dry.stderr
    assert "DeployModel" in dry.stdout and state.requests == []
    first = planner(
        "launch", str(PLAN), "--target", "vertex", "--project", "acme-test", "--apply", "--yes"
    )
    assert first.returncode == 0, first.stderr
    assert "5 change(s)" in first.stdout
    again = planner(
        "launch", str(PLAN), "--target", "vertex", "--project", "acme-test", "--apply", "--yes"
    )
    assert "0 change(s)" in again.stdout
    gone = planner(
        "teardown", str(PLAN), "--target", "vertex", "--project", "acme-test", "--apply", "--yes"
    )
    assert gone.returncode == 0, gone.stderr
    assert state.endpoints == {} and state.models == {}
