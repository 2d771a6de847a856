"""The CLI starts without loading the planner's models or their libraries: `planner --version`
and `planner --help` import no spec, plan, report, solver or performance-model module and none
of pydantic, PyYAML, NumPy, OR-Tools, Jinja2 (what took --version from 0.12 s to 0.37 s), nor the
cloud registry (every cloud module: about 25 ms; help texts name its clouds when shown)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HEAVY = (
    "pydantic", "yaml", "numpy", "scipy", "ortools", "jinja2", "rich",
    "planner.spec", "planner.plans", "planner.report", "planner.solve", "planner.perf.capacity",
    "planner.verify", "planner.emit", "planner.clouds",
)  # fmt: skip

PROBE = """
import json, sys
from planner.cli.app import run
try:
    run(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_starting_the_cli_loads_no_heavy_module(args):
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    loaded = json.loads(done.stderr.strip().splitlines()[-1])
    heavy = [m for m in loaded if m.startswith(HEAVY)]
    assert heavy == []
    assert done.stdout.strip()
