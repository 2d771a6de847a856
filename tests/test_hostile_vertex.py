"""Vertex AI is a server like any other: against a hostile Vertex endpoint on 127.0.0.1 (the
real GAPIC clients over REST, pointed there by --api-endpoint), `launch` and `teardown` exit
cleanly (0-3, no traceback) in bounded time and memory, with a message naming the URL and the
field; no redirect followed, no credential sent elsewhere or shown."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.plans.io import load_plan
from tests.fakes.hostile import Answer, HostileServer, forever
from tests.fakes.vertex import V1, VertexServer

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "tests" / "data" / "plan-v1-vertex-two-machine-types.json"
ENDPOINT = "projects/acme-test/locations/us-central1/endpoints/"
TOKEN = "ya29.a0AfB_byC-planner-test-token-0123456789abcdef"
JSON = {"Content-Type": "application/json"}


def _clean(result) -> None:
    assert result.exit_code in (0, 1, 2, 3), (result.exit_code, result.stderr[-2000:])
    assert "Traceback" not in result.stderr + result.stdout
    assert TOKEN not in result.stderr + result.stdout


def _launch(cli, url: str, *extra: str):
    return cli("launch", PLAN, "--target", "vertex", "--project", "acme-test", "--apply", "--yes",
               "--api-endpoint", url, "-q", *extra)  # fmt: skip


def _on_get_endpoint(answer: Answer):
    """Answer `answer` to the first read of the plan's endpoint; the fake's own answer else."""

    def hostile(method: str, path: str) -> Answer | None:
        return answer if method == "GET" and ENDPOINT in path else None

    return hostile


def _json(body, status: int = 200) -> Answer:
    return Answer(status, json.dumps(body).encode(), JSON)


def _endpoint(**fields) -> dict:
    base = {"name": "x", "labels": {"managed-by": "llm-placement-planner"}, "deployedModels": []}
    return {**base, **fields}


def test_an_endless_vertex_answer_is_cut_at_the_size_cap(cli, monkeypatch):
    import providers.gcp.gapic as gapic

    monkeypatch.setattr(gapic, "MAX_RESPONSE_BYTES", 1024 * 1024)
    with VertexServer() as server:
        server.state.hostile = _on_get_endpoint(
            Answer(200, forever(b"x" * 65536), JSON, length=False)
        )
        result = _launch(cli, server.url)
    _clean(result)
    assert result.exit_code == 2 and "larger than 1,048,576 bytes" in result.stderr, result.stderr
    assert server.url in result.stderr


def test_a_slow_drip_from_vertex_stops_at_the_total_deadline(cli, monkeypatch):
    import providers.gcp.gapic as gapic

    monkeypatch.setattr(gapic, "DEADLINE_S", 1.0)
    with VertexServer() as server:
        server.state.hostile = _on_get_endpoint(
            Answer(200, forever(b" "), JSON, pause_s=0.05, length=False)
        )
        started = time.monotonic()
        result = _launch(cli, server.url)
    _clean(result)
    assert result.exit_code == 2 and "still arriving after the deadline" in result.stderr
    assert time.monotonic() - started < 60  # requests' own reading never stops


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"name": "x", "labels": {', "(the answer)"),
        (b"[1, 2]", "(the answer)"),
        (b'{"name": "x", "deployedModels": [{"id": "1", "dedicatedResources": '
         b'{"minReplicaCount": NaN}}]}', "(the answer)"),
        (json.dumps(_endpoint(deployedModels=[{"id": "1", "dedicatedResources": {
            "minReplicaCount": 1e308}}])).encode(), "deployedModels[0].dedicatedResources"),
        (json.dumps(_endpoint(deployedModels=[{"id": "1", "dedicatedResources": {
            "maxReplicaCount": -5}}])).encode(), "deployedModels[0].dedicatedResources"),
        (json.dumps(_endpoint(trafficSplit={"1": -20})).encode(), "trafficSplit.1"),
        (json.dumps(_endpoint(trafficSplit={"1": 80, "2": 80})).encode(), "trafficSplit"),
        (json.dumps(_endpoint(deployedModels="abc")).encode(), "deployedModels"),
        (json.dumps(_endpoint(deployedModels=[{"id": "\x1b]0;pwned\x07"}])).encode(),
         "deployedModels[0].id"),
        (json.dumps(_endpoint(labels={"managed-by": ["a"]})).encode(), "labels.managed-by"),
    ],
)  # fmt: skip
def test_an_endpoint_answer_of_the_wrong_shape_exits_2_naming_the_url_and_field(cli, body, field):
    with VertexServer() as server:
        server.state.hostile = _on_get_endpoint(Answer(200, body, JSON))
        result = _launch(cli, server.url)
    _clean(result)
    assert result.exit_code == 2, result.stderr
    assert server.url in result.stderr and ENDPOINT in result.stderr
    assert f"field '{field}" in result.stderr or "not JSON" in result.stderr, result.stderr
    assert server.state.calls("models:upload") == []  # nothing made on a nonsense answer


@pytest.mark.parametrize(
    "body",
    [b"[1]", b'{"error": "down"}', b'{"error": {"message": {"a": 1}}}',
     b'{"error": {"message": "x", "details": [1, 2]}}'],
)  # fmt: skip
def test_an_error_answer_of_the_wrong_shape_exits_2(cli, body):
    with VertexServer() as server:
        server.state.hostile = _on_get_endpoint(Answer(503, body, JSON))
        result = _launch(cli, server.url)
    _clean(result)
    assert result.exit_code == 2 and server.url in result.stderr, result.stderr


def test_an_operation_answering_another_type_exits_2_and_rolls_back(cli):
    def hostile(method: str, path: str) -> Answer | None:
        if path.endswith(":deployModel"):
            op = {"name": "o", "done": True, "response": {"@type": V1 + "Model", "name": "m"}}
            return _json(op)
        return None

    with VertexServer() as server:
        server.state.hostile = hostile
        result = _launch(cli, server.url)
    _clean(result)
    assert result.exit_code == 2 and "not one Vertex AI sends" in result.stderr, result.stderr
    assert "Rolled back" in result.stderr
    assert server.state.models == {} and server.state.endpoints == {}


def test_an_operation_that_never_finishes_stops_at_the_timeout(cli):
    def hostile(method: str, path: str) -> Answer | None:
        if path.endswith("models:upload") or "/operations/" in path:
            return _json({"name": "projects/p/locations/l/operations/7", "done": False})
        return None

    with VertexServer() as server:
        server.state.hostile = hostile
        result = _launch(cli, server.url, "--timeout", "1")
    _clean(result)
    assert result.exit_code == 1 and "had not finished after 1 s" in result.stderr, result.stderr


def test_a_503_storm_gets_a_bounded_number_of_tries(cli, monkeypatch):
    import providers.gcp.gapic as gapic

    monkeypatch.setattr(gapic, "POLL_RETRY_S", 1.0)
    unavailable = _json({"error": {"code": 503, "message": "try later"}}, 503)

    def hostile(method: str, path: str) -> Answer | None:
        if path.endswith("models:upload"):
            return _json({"name": "projects/p/locations/l/operations/7", "done": False})
        return unavailable if "/operations/" in path or path.endswith(":undeployModel") else None

    with VertexServer() as server:
        server.state.hostile = hostile
        result = _launch(cli, server.url)
    _clean(result)
    assert result.exit_code == 1 and "try later" in result.stderr, result.stderr
    polls = [p for m, p, _ in server.state.requests if "/operations/" in p]
    assert 1 <= len(polls) <= 6


def test_a_redirect_to_another_origin_is_refused_and_the_token_stays(vertex_launcher):
    with HostileServer(lambda path: _json(_endpoint())) as elsewhere, VertexServer() as server:
        server.state.hostile = _on_get_endpoint(
            Answer(302, b"", {"Location": f"{elsewhere.url}/v1/{ENDPOINT}e"})
        )
        launcher = vertex_launcher(server.url)
        with pytest.raises(Exception) as caught:
            launcher.apply(load_plan(PLAN))
    message = str(caught.value)
    assert "redirected (HTTP 302) to another origin" in message, message
    assert getattr(caught.value, "exit_code", None) == 2
    assert elsewhere.seen == [] and TOKEN not in message
    assert server.state.headers[0]["authorization"] == f"Bearer {TOKEN}"  # sent where named


def test_a_token_with_a_newline_is_refused_without_showing_it(vertex_launcher):
    from planner.errors import InputError

    with VertexServer() as server:
        launcher = vertex_launcher(server.url, TOKEN + "\r\nX-Evil: 1")
        with pytest.raises(InputError) as caught:
            launcher.apply(load_plan(PLAN))
    assert "control character" in str(caught.value) and TOKEN not in str(caught.value)
    assert server.state.requests == []


def test_an_unreachable_api_endpoint_exits_1_naming_it(cli):
    with VertexServer() as server:
        url = server.url
    result = _launch(cli, url)
    _clean(result)
    assert result.exit_code == 1 and url in result.stderr, result.stderr


@pytest.fixture
def vertex_launcher():
    """A launcher whose clients send a bearer token (google-auth credentials), as with a real
    account, to the fake at `url`."""
    from google.oauth2.credentials import Credentials

    from providers.gcp.vertex import VertexLauncher, gapic_clients

    def make(url: str, token: str = TOKEN) -> VertexLauncher:
        clients = gapic_clients(url, credentials=Credentials(token=token))
        return VertexLauncher(clients, "acme-test", timeout_s=30)

    return make


# --- fuzz: any answer to the endpoint read ----------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
endpoint_fields = st.fixed_dictionaries(
    {},
    optional={"labels": json_values, "deployedModels": json_values, "trafficSplit": json_values,
              "name": json_values},
)  # fmt: skip


@settings(max_examples=15, database=None, suppress_health_check=list(HealthCheck))
@given(
    status=st.sampled_from([200, 200, 404, 500, 503]),
    body=st.one_of(
        json_values.map(lambda v: json.dumps(v).encode()),
        endpoint_fields.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=100),
    ),
)
def test_any_endpoint_answer_exits_cleanly(cli, status, body):
    with VertexServer() as server:
        server.state.hostile = _on_get_endpoint(Answer(status, body, JSON))
        result = _launch(cli, server.url)
    _clean(result)
