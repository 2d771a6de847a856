"""A fake Vertex AI REST server on 127.0.0.1 for the real GAPIC clients.

It keeps models and endpoints in memory, answers long-running operations as already done,
records every request, and can be told to fail one route (HTTP 429) or to answer any request
as a hostile server would (`hostile`: any bytes, status and headers, a slow drip, a body
without end). Routing is on the path only: the clients add `?$alt=json;enum-encoding=int`,
so enums arrive as integers.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.hostile import Answer
from tests.fakes.server import LocalServer

V1 = "type.googleapis.com/google.cloud.aiplatform.v1."
LOCATION = r"/v1/(projects/[^/]+/locations/[^/]+)"

Hostile = Callable[[str, str], Answer | None]
"""(method, path) -> what to answer instead of the fake's own answer, or None."""


class FakeVertex:
    """State and request log of the fake server."""

    def __init__(self) -> None:
        self.models: dict[str, dict] = {}
        self.endpoints: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.headers: list[dict[str, str]] = []
        self.fail: set[str] = set()
        self.hostile: Hostile | None = None
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


class VertexServer(LocalServer):
    """Serves a FakeVertex on 127.0.0.1 until closed; `url` is its API endpoint."""

    def __init__(self, state: FakeVertex | None = None):
        self.state = state or FakeVertex()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw or b"{}")
                with state.lock:
                    state.requests.append((self.command, url.path, body))
                    state.headers.append({k.lower(): v for k, v in self.headers.items()})
                hostile = state.hostile(self.command, url.path) if state.hostile else None
                if hostile is None:
                    status, answer = state.handle(self.command, url.path, parse_qs(url.query), body)
                    data = json.dumps(answer).encode()
                    hostile = Answer(status, data, {"Content-Type": "application/json"})
                self._send(hostile)

            def _send(self, reply: Answer) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if isinstance(reply.body, bytes) and reply.length:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                chunks: Iterator[bytes] | list[bytes] = (
                    [reply.body] if isinstance(reply.body, bytes) else reply.body()
                )
                try:
                    for chunk in chunks:
                        if reply.pause_s:
                            time.sleep(reply.pause_s)
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return

            do_GET = do_POST = do_DELETE = do_PATCH = _serve

            def log_message(self, *args: Any) -> None:
                return None

        super().__init__(Handler)
