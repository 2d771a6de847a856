"""A server on 127.0.0.1 that answers what a hostile or broken server would: any bytes, any
status and headers, a body dripped slowly or streamed without end, a redirect elsewhere.
It records the headers of every request, so a test can see which credentials reached it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.server import LocalServer


@dataclass
class Answer:
    """What to send: a status, headers, the body in chunks and a pause before each chunk."""

    status: int = 200
    body: bytes | Callable[[], Iterator[bytes]] = b""
    headers: dict[str, str] = field(default_factory=dict)
    pause_s: float = 0.0
    length: bool = True  # send a Content-Length for a bytes body


class HostileServer(LocalServer):
    """Serves `answer(path)` until closed; `seen` holds (path, headers) of every request."""

    def __init__(self, answer: Callable[[str], Answer]):
        self.seen: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                if size:
                    self.rfile.read(size)
                server.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                reply = answer(self.path)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if isinstance(reply.body, bytes) and reply.length:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                chunks = [reply.body] if isinstance(reply.body, bytes) else reply.body()
                try:
                    for chunk in chunks:
                        if reply.pause_s:
                            time.sleep(reply.pause_s)
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                return None

        super().__init__(Handler)


def forever(chunk: bytes) -> Callable[[], Iterator[bytes]]:
    """A body that never ends."""

    def chunks() -> Iterator[bytes]:
        while True:
            yield chunk

    return chunks
