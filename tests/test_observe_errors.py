"""A source that cannot be reached, refuses access or rejects a query: a clear message naming the
source and URL, and a non-zero exit. No real monitoring system: stand-ins on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "tests" / "golden" / "plans" / "sagemaker-endpoint.json"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def answering() -> Iterator:
    """Start a stand-in that answers every GET with (status, body); yields a function that
    starts one and returns its URL."""
    servers = []

    def start(status: int, body: bytes, content_type: str = "application/json") -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _observe(cli, url: str, *more: str):
    return cli("observe", "--plan", PLAN, "--source", "prometheus", "--url", url, *more)


def test_unreachable_prometheus(cli):
    url = f"http://127.0.0.1:{_closed_port()}"
    result = _observe(cli, url)
    assert result.exit_code == 1
    assert f"prometheus at {url}: cannot connect" in result.stderr
    assert "Traceback" not in result.stderr


def test_refused_credentials_are_named_and_not_printed(cli, answering):
    url = answering(401, b"Unauthorized", "text/plain")
    host = url.removeprefix("http://")
    result = _observe(cli, f"http://admin:s3cret@{host}")
    assert result.exit_code == 1
    assert f"prometheus at {url}: access refused (HTTP 401)" in result.stderr
    assert "s3cret" not in result.stderr


def test_a_rejected_query_says_why(cli, answering):
    body = {"status": "error", "errorType": "bad_data", "error": "parse error at char 9"}
    url = answering(400, json.dumps(body).encode())
    result = _observe(cli, url)
    assert result.exit_code == 1
    assert f"prometheus at {url}: query failed (HTTP 400, bad_data: parse error at char 9)" in (
        result.stderr
    )
    assert "vllm:request_success_total" in result.stderr  # the query is shown


def test_something_that_is_not_prometheus(cli, answering):
    url = answering(200, b"<html>hello</html>", "text/html")
    result = _observe(cli, url)
    assert result.exit_code == 2  # a server's answer of the wrong shape is bad input
    assert f"prometheus at {url}: the answer is not Prometheus API JSON" in result.stderr


def test_bad_options_exit_2(cli):
    assert _observe(cli, "http://127.0.0.1:9", "--window", "a day").exit_code == 2
    assert _observe(cli, "http://127.0.0.1:9", "--window", "1h", "--step", "7m").exit_code == 2
    no_url = cli("observe", "--plan", PLAN, "--source", "prometheus")
    assert no_url.exit_code == 2 and "--url" in no_url.stderr
    not_http = _observe(cli, "ftp://127.0.0.1:9")
    assert not_http.exit_code == 2 and "not an http(s) URL" in not_http.stderr


def test_unreachable_cloudwatch(cli, monkeypatch, tmp_path):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    url = f"http://127.0.0.1:{_closed_port()}"
    result = cli(
        "observe",
        "--plan",
        PLAN,
        "--source",
        "cloudwatch",
        "--endpoint-url",
        url,
        "--window",
        "1h",
        "--step",
        "5m",
    )
    assert result.exit_code == 1
    assert f"cloudwatch in us-east-1 at {url}: cannot connect" in result.stderr


def test_missing_aws_credentials(cli, monkeypatch, tmp_path):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    url = f"http://127.0.0.1:{_closed_port()}"
    result = cli(
        "observe",
        "--plan",
        PLAN,
        "--source",
        "cloudwatch",
        "--endpoint-url",
        url,
        "--window",
        "1h",
        "--step",
        "5m",
    )
    assert result.exit_code == 1
    assert f"cloudwatch in us-east-1 at {url}: access refused (NoCredentialsError" in (
        result.stderr
    )
