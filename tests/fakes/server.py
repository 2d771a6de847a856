"""A tiny HTTP server on 127.0.0.1 (port 0) in a thread, answering through a routing function."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Request:
    """What the fake received: method, path, decoded query, headers and JSON body."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Reply:
    """What the fake answers: a status, a JSON body and headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[Request], Reply]


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 (port 0) serving `handler` in a daemon thread, as a
    context manager: the lifecycle every fake server here shares."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], poll_interval: float = 0.5):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class FakeServer(LocalServer):
    """Serves `route` on 127.0.0.1 until closed; `requests` records every request in order."""

    def __init__(self, route: Route, content_type: str = "application/json"):
        self.requests: list[Request] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                split = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
                size = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(size) if size else b""
                request = Request(
                    self.command,
                    split.path,
                    query,
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw) if raw else None,
                )
                fake.requests.append(request)
                reply = route(request)
                data = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                return None

        super().__init__(Handler, poll_interval=0.02)


class Faults:
    """Scripted failures by name: throttle the first n requests, or fail every request."""

    def __init__(self, throttle: dict[str, int] | None = None, fail: set[str] | None = None):
        self.throttle = dict(throttle or {})
        self.fail = set(fail or ())

    def check(self, name: str) -> str | None:
        """'fail', 'throttle' or None for a request called `name`."""
        if name in self.fail:
            return "fail"
        if self.throttle.get(name, 0) > 0:
            self.throttle[name] -= 1
            return "throttle"
        return None
