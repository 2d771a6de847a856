"""The Vertex AI launcher against a fake Vertex REST server on 127.0.0.1 (real GAPIC clients).

The server keeps models and endpoints in memory, answers long-running operations as already
done, records every request, and can be told to fail one route. Routing is on the path only:
the clients add `?$alt=json;enum-encoding=int`, so enums arrive as integers.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from planner.plans.io import load_plan

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "tests" / "data" / "plan-v1-vertex-two-machine-types.json"
"""One endpoint on two machine types (a traffic split), as schema version 1 saved it."""
V1 = "type.googleapis.com/google.cloud.aiplatform.v1."
LOCATION = r"/v1/(projects/[^/]+/locations/[^/]+)"


class FakeVertex:
    """State and request log of the fake server."""

    def __init__(self) -> None:
        self.models: dict[str, dict] = {}
        self.endpoints: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.fail: set[str] = set()
        self.lock = threading.Lock()

    def done(self, kind: str | None, body: dict | None = None) -> dict:
        op = {"name": "projects/p/locations/l/operations/1", "done": True}
        if kind:
            op["response"] = {"@type": V1 + kind, **(body or {})}
        else:
            op["response"] = {"@type": "type.googleapis.com/google.protobuf.Empty"}
        return op

    def handle(self, method: str, path: str, query: dict, body: dict) -> tuple[int, dict]:
        """Answer one request: (HTTP status, JSON body)."""
        with self.lock:
            self.requests.append((method, path, body))
            for route in self.fail:
                if path.endswith(route):
                    return 429, {
                        "error": {
                            "code": 429,
                            "message": "injected: quota exceeded",
                            "status": "RESOURCE_EXHAUSTED",
                        }
                    }
            return self._route(method, path, query, body)

    def _route(self, method: str, path: str, query: dict, body: dict) -> tuple[int, dict]:
        if m := re.fullmatch(LOCATION + r"/models:upload", path):
            name = f"{m[1]}/models/{body['modelId']}"
            self.models[name] = {**body["model"], "name": name}
            return 200, self.done("UploadModelResponse", {"model": name})
        if m := re.fullmatch(LOCATION + r"/endpoints", path):
            name = f"{m[1]}/endpoints/{query['endpointId'][0]}"
            self.endpoints[name] = {**body, "name": name, "deployedModels": []}
            return 200, self.done("Endpoint", self.endpoints[name])
        if m := re.fullmatch(r"/v1/(.+/endpoints/[^/:]+):deployModel", path):
            endpoint = self.endpoints[m[1]]
            endpoint["deployedModels"].append(body["deployedModel"])
            endpoint["trafficSplit"] = body.get("trafficSplit", {})
            return 200, self.done("DeployModelResponse", {"deployedModel": body["deployedModel"]})
        if m := re.fullmatch(r"/v1/(.+/endpoints/[^/:]+):undeployModel", path):
            endpoint = self.endpoints[m[1]]
            endpoint["deployedModels"] = [
                d for d in endpoint["deployedModels"] if d["id"] != body["deployedModelId"]
            ]
            return 200, self.done("UndeployModelResponse")
        m = re.fullmatch(r"/v1/(.+/(models|endpoints)/[^/:]+)", path)
        if m is None:
            return 404, {"error": {"code": 404, "message": path, "status": "NOT_FOUND"}}
        store = self.models if m[2] == "models" else self.endpoints
        if m[1] not in store:
            return 404, {"error": {"code": 404, "message": m[1], "status": "NOT_FOUND"}}
        if method == "GET":
            return 200, store[m[1]]
        if method == "PATCH":
            store[m[1]].update({k: body[k] for k in query["updateMask"][0].split(",")})
            return 200, store[m[1]]
        del store[m[1]]
        return 200, self.done(None)

    def calls(self, suffix: str) -> list[dict]:
        return [b for method, p, b in self.requests if method == "POST" and p.endswith(suffix)]


@pytest.fixture
def vertex():
    """A fake Vertex server on 127.0.0.1; yields (state, api endpoint URL)."""
    state = FakeVertex()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            status, answer = state.handle(self.command, url.path, parse_qs(url.query), body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = do_PATCH = _serve

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


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
