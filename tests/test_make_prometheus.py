"""`make test` gets the real Prometheus for the observe tests without touching the host: the
Makefile downloads and unpacks Debian's package under the project, never `apt-get install`s it
or enables a service."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import ROOT


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_prometheus_target_unpacks_into_the_project_and_installs_nothing(tmp_path):
    dry = subprocess.run(
        ["make", "-n", "-B", "prometheus", f"PROMETHEUS_DIR={tmp_path / 'p'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    commands = dry.stdout
    assert "apt-get download prometheus" in commands and "dpkg -x" in commands
    assert str(tmp_path / "p") in commands
    for forbidden in ("apt-get install", "apt-get update", "systemctl", "dpkg -i", "service "):
        assert forbidden not in commands
