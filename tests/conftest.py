"""Shared fixtures: running the CLI in-process, and the SkyPilot catalog excerpts in ../shared."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests never depend on how fast the machine is (no per-example deadline, no
# too-slow health check) and draw the same examples on every run, so CI results repeat.
settings.register_profile(
    "planner", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile("planner")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
PLAN_DATE = dt.date(2026, 11, 15)
"""The date tests plan the examples for (inside examples/hybrid-fleet.yaml's reservation term),
so no result depends on the day the tests run."""
SKYPILOT = ROOT.parent / "shared" / "catalogs" / "skypilot"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys):
    """Run `planner ARGS...` in-process; returns exit code, stdout and stderr."""
    from planner.cli.app import run

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            run([str(a) for a in args])
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return invoke


@pytest.fixture
def skypilot_dir() -> Path:
    """SkyPilot's real catalog rows, kept outside the project in ../shared (not copied in)."""
    if not (SKYPILOT / "aws").is_dir():
        pytest.skip(f"SkyPilot catalog excerpts not found at {SKYPILOT} (../shared is absent)")
    return SKYPILOT


@pytest.fixture(scope="session", autouse=True)
def _stop_moto_server():
    """moto's shared server (tests.fakes.moto_server), stopped when the session ends."""
    yield
    from tests.fakes.moto_server import SERVER

    SERVER.stop()
