"""The core install plans, verifies, emits, reports, schedules and simulates; a verb that needs
an optional dependency that is missing exits 2 and names the extra that brings it."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "tests" / "golden" / "plans"
SDKS = ("boto3", "botocore", "google.cloud", "google.auth", "google.api_core", "ray", "matplotlib")


def _hide(monkeypatch, *modules: str) -> None:
    """Make `modules` unimportable, as if their extra were not installed."""
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize(
    ("hidden", "extra", "args"),
    [
        (
            ("boto3",),
            "aws",
            (
                "launch",
                PLANS / "sagemaker-endpoint.json",
                "--target",
                "sagemaker",
                "--apply",
                "--yes",
            ),
        ),
        (
            ("google.cloud.aiplatform_v1",),
            "gcp",
            ("launch", PLANS / "vertex-endpoint.json", "--target", "vertex", "--apply", "--yes"),
        ),
        (
            ("boto3",),
            "aws",
            ("observe", "--plan", PLANS / "sagemaker-endpoint.json", "--source", "cloudwatch"),
        ),
        (
            ("boto3",),
            "aws",
            ("catalog", "refresh", "--provider", "aws", "--regions", "us-east-1", "-o", "X"),
        ),
        (
            ("ray",),
            "ray",
            (
                "sweep",
                ROOT / "examples/sweep/small-fleet.yaml",
                "--scenarios",
                ROOT / "examples/sweep/small-scenarios.yaml",
                "--executor",
                "ray",
            ),
        ),
        (
            ("matplotlib", "matplotlib.figure"),
            "plots",
            ("schedule", ROOT / "examples/jobs/jobs.yaml", "--policy", "fcfs", "--chart", "X"),
        ),
    ],
)
def test_a_verb_without_its_extra_exits_2_naming_the_extra(
    cli, monkeypatch, tmp_path, hidden, extra, args
):
    _hide(monkeypatch, *hidden)
    argv = [str(tmp_path / "out.png") if a == "X" else a for a in args]
    result = cli(*argv)
    assert result.exit_code == 2, result.stderr + result.stdout
    assert f"llm-placement-planner[{extra}]" in result.stderr
    assert "Traceback" not in result.stderr


def test_importing_the_solver_loads_no_cloud_sdk_ray_or_matplotlib():
    """`python -X importtime -c "import planner.solve"` lists every module it loads."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import planner.solve, planner.plans"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    loaded = {
        line.rsplit("|", 1)[-1].strip()
        for line in run.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "planner.solve" in loaded
    heavy = sorted(m for m in loaded if m.startswith(SDKS))
    assert heavy == []
