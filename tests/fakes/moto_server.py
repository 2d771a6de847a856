"""moto's server in a thread on 127.0.0.1 as every AWS client's endpoint (AWS_ENDPOINT_URL), so
the planner's clients read moto's answers through their own bounded transport, as they read
AWS's (moto's in-process mock answers inside botocore and would bypass that transport)."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class MotoServer:
    """One ThreadedMotoServer for the test session (started on first use)."""

    def __init__(self) -> None:
        self._server = None
        self.url = ""

    def start(self) -> str:
        if self._server is None:
            from moto.server import ThreadedMotoServer

            self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            self._server.start()
            host, port = self._server.get_host_and_port()
            self.url = f"http://{host}:{port}"
        return self.url

    def reset(self) -> None:
        if self.url:
            request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
            urllib.request.urlopen(request, timeout=30).close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


SERVER = MotoServer()


@contextmanager
def moto_aws(tmp_dir: str = "/nonexistent") -> Iterator[str]:
    """An empty moto behind AWS_ENDPOINT_URL, fake credentials only (no profile or config file
    of the machine read); yields moto's URL."""
    url = SERVER.start()
    SERVER.reset()
    with pytest.MonkeyPatch.context() as patch:
        for key, value in FAKE_CREDENTIALS.items():
            patch.setenv(key, value)
        patch.setenv("AWS_CONFIG_FILE", f"{tmp_dir}/none")
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", f"{tmp_dir}/none")
        patch.delenv("AWS_PROFILE", raising=False)
        patch.setenv("AWS_ENDPOINT_URL", url)
        try:
            yield url
        finally:
            SERVER.reset()
