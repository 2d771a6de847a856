"""Property: every verb that reads a file exits 0, 1, 2 or 3 on any content of that file, with
no traceback, within a deadline; a few cases run as subprocesses under a memory limit.

The in-process runs go through the same entry point as the console script (planner.cli.app.run);
an exception other than SystemExit escaping it is a traceback a user would see. Derandomized and
kept small (a handful of examples per verb).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_loaders import HOSTILE, mutated, trees

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "examples" / "sagemaker-endpoint.yaml"
PLAN = ROOT / "tests" / "golden" / "plans" / "sagemaker-endpoint.json"
JOBS = ROOT / "examples" / "jobs" / "jobs.yaml"
CATALOG_HEADER = (
    "provider,region,zone,service,instance_type,accelerator,accelerator_count,"
    "accelerator_memory_gb,vcpus,memory_gib,price_on_demand,price_spot,source,as_of\n"
)
CATALOG = CATALOG_HEADER + (
    "aws,us-east-1,,sagemaker,ml.g5.2xlarge,A10G,1,24,8,32,1.52,,test,2026-11-25\n"
    "aws,us-east-1,,ec2,g5.xlarge,A10G,1,24,4,16,1.006,0.45,test,2026-11-25\n"
)
PROFILES = (
    "model,accelerator,tp,input_tokens,output_tokens,max_rps,tpot_ms,ttft_ms\n"
    "llama-3.1-8b,H100,1,100,10,40,20,\n"
)
TRACE = "arrival_s,input_tokens,output_tokens\n0.0,300,100\n0.5,200,50\n1.0,900,120\n"
SCENARIOS = "axes:\n  - kind: traffic\n    values: [1.0, 1.5]\n"

# The verbs, each with the file that is fuzzed ({}) and valid other arguments.
VERBS = {
    "validate": (SPEC, ["validate", "{}"]),
    "plan": (SPEC, ["plan", "{}", "--time-limit", "5"]),
    "plan --catalog": (CATALOG, ["plan", str(SPEC), "--catalog", "{}", "--time-limit", "5"]),
    "verify": (PLAN, ["verify", "{}", str(SPEC)]),
    "verify spec": (SPEC, ["verify", str(PLAN), "{}"]),
    "emit": (PLAN, ["emit", "{}", "-t", "all", "-o", "{out}"]),
    "report": (PLAN, ["report", "{}", "--format", "md"]),
    "diff": (PLAN, ["diff", str(PLAN), "{}"]),
    "check": (PLAN, ["check", "{}", "--max-cost-per-hour", "50"]),
    "export": (PLAN, ["export", "{}"]),
    "simulate": (PLAN, ["simulate", "{}", "--spec", str(SPEC), "--requests", "500"]),
    "simulate --trace": (TRACE, ["simulate", str(PLAN), "--spec", str(SPEC), "--trace", "{}"]),
    "autoscale": (PLAN, ["autoscale", "{}", "--spec", str(SPEC)]),
    "schedule": (JOBS, ["schedule", "{}", "--policy", "fcfs"]),
    "sweep": (SCENARIOS, ["sweep", str(SPEC), "--scenarios", "{}", "--plan", str(PLAN)]),
    "catalog list": (CATALOG, ["catalog", "list", "--catalog", "{}"]),
    "estimate --profiles": (
        PROFILES,
        [
            "estimate",
            "--model",
            "llama-3.1-8b",
            "--accelerator",
            "H100",
            "--input-tokens",
            "100",
            "--output-tokens",
            "10",
            "--profiles",
            "{}",
        ],
    ),
}


def _text(source: Path | str) -> str:
    return source.read_text() if isinstance(source, Path) else source


def contents(valid: str, *, mutate: bool) -> st.SearchStrategy[bytes]:
    """Random bytes, random JSON trees, documents that once hung, and (where running the
    result stays cheap) random edits of a valid file."""
    options = [
        st.binary(max_size=300),
        trees.map(lambda tree: json.dumps(tree).encode()),
        st.sampled_from(HOSTILE).map(str.encode),
    ]
    if mutate:
        options.append(mutated([valid]).map(lambda t: t.encode("utf-8", "surrogatepass")))
    return st.one_of(options)


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_exits_cleanly_on_any_file(cli, tmp_path, verb):
    valid, template = VERBS[verb]
    strategy = contents(_text(valid), mutate=verb not in ("sweep",))

    @settings(
        max_examples=8,
        derandomize=True,
        deadline=timedelta(seconds=90),
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(content=strategy)
    def run(content: bytes) -> None:
        target = tmp_path / "fuzzed"
        target.write_bytes(content)
        args = [a.format(out=tmp_path / "out") if "{out}" in a else a for a in template]
        result = cli(*[str(target) if a == "{}" else a for a in args])
        assert result.exit_code in (0, 1, 2, 3), (result.exit_code, result.stderr[-2000:])
        assert "Traceback" not in result.stderr

    run()


def _limited(gigabytes: int):
    def apply() -> None:
        limit = gigabytes * 1024**3
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


@pytest.mark.parametrize("text", HOSTILE[:4], ids=["deep-list", "deep-map", "laughs", "cycle"])
@pytest.mark.parametrize("verb", ["validate", "plan"])
def test_hostile_specs_exit_2_as_a_process_within_memory_and_time(tmp_path, verb, text):
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    done = subprocess.run(
        [sys.executable, "-c", "from planner.cli import main; main()", verb, str(spec)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limited(4),
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "spec.yaml" in done.stderr


def test_a_billion_requests_simulation_is_refused_within_memory(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", "from planner.cli import main; main()", "simulate", str(PLAN),
         "--spec", str(SPEC), "--requests", "1000000000"],
        capture_output=True, text=True, timeout=300, preexec_fn=_limited(4), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert "5,000,000" in done.stderr
