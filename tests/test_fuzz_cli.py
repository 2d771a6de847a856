"""Property: every verb that reads a file exits 0, 1, 2 or 3 on any content of that file, with
no traceback, within a deadline; a few cases run as subprocesses under a memory limit.

The in-process runs go through the same entry point as the console script (planner.cli.app.run);
an exception other than SystemExit escaping it is a traceback a user would see. Derandomized and
kept small (a handful of examples per verb).
"""

from __future__ import annotations

import json
import math
import os
import resource
import signal
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
BENCH = ROOT / "tests" / "data" / "bench"
FIT = (
    "scope,name,mfu,mbu,kv_mbu,step_overhead_ms,sequence_overhead_us,allreduce_latency_us,"
    "link_utilization,points,rms_log_error_before,rms_log_error_after\n"
    "family,hopper,0.52,0.72,0.71,2,4.3,20,0.52,2,0.23,0.17\n"
)
SWEEP_RESULT = json.dumps({"mode": "solve", "summary": None, "base": {
    "id": "base", "label": "base", "status": "optimal", "cost_per_hour": 10.0}, "results": [
    {"id": "s1", "label": "traffic=2", "status": "optimal", "cost_per_hour": 20.0}]})  # fmt: skip
ADVISOR = json.dumps(
    {
        "ranges": [
            {"index": 0, "label": "<5%", "max": 5},
            {"index": 1, "label": ">20%", "max": 100},
        ],
        "spot_advisor": {"us-east-1": {"Linux": {"g6.xlarge": {"r": 0}}}},
    }
)
EVICTIONS = json.dumps({"data": [{"skuName": "Standard_NC24ads_A100_v4", "location": "eastus",
                                  "evictionRate": "0-5"}]})  # fmt: skip
ESTIMATE = ["estimate", "--model", "llama-3.1-8b", "--accelerator", "H100", "--input-tokens",
            "100", "--output-tokens", "10"]  # fmt: skip

# The verbs, each with the file that is fuzzed ({}) and valid other arguments.
VERBS = {
    "commit advise": (PLAN, ["commit", "advise", "{}"]),
    "commit advise --scenarios": (
        SWEEP_RESULT,
        ["commit", "advise", str(PLAN), "--scenarios", "{}"],
    ),
    "calibrate": (
        BENCH / "vllm_rate2.json",
        [
            "calibrate",
            "{}",
            str(BENCH / "vllm_rate4.json"),
            "--model",
            "llama-3.1-8b",
            "--accelerator",
            "H100",
            "-o",
            "{out}",
        ],
    ),
    "estimate --fit": (FIT, [*ESTIMATE, "--fit", "{}"]),
    "estimate --concurrency --fit": (FIT, [*ESTIMATE, "--concurrency", "64", "--fit", "{}"]),
    "plan --rates": (
        ROOT / "examples" / "rates" / "savings-plan.yaml",
        ["plan", str(SPEC), "--rates", "{}", "--time-limit", "5"],
    ),
    "catalog spot-risk": (
        ADVISOR,
        ["catalog", "spot-risk", "{}", "--as-of", "2026-12-01", "--provider", "aws"],
    ),
    "catalog spot-risk azure": (
        EVICTIONS,
        ["catalog", "spot-risk", "{}", "--as-of", "2026-12-01", "--provider", "azure"],
    ),
    "emit skypilot": (PLAN, ["emit", "{}", "-t", "skypilot", "-o", "{out}"]),
    "plan recurring": (
        ROOT / "examples" / "recurring" / "nightly-daily.yaml",
        ["plan", "{}", "--time-limit", "5"],
    ),
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


# --- round 2: options, environment, planner.toml and special files ----------------------------

HOSTILE_NUMBERS = ["nan", "NaN", "inf", "-inf", "1e308", "-1e308", "-1", "2.7", "9" * 400,
                   "0x10", "1_000", "", " ", "1e-400", "-0", "١٢"]  # fmt: skip
numbers_as_text = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**500), max_value=10**500).map(str),
    st.text(max_size=20),
)


def _numeric_options():
    """(verb, option, parser) of every numeric option, as the verbs declare them."""
    import inspect

    from planner.cli import app
    from planner.cli.params import Number

    app.build()

    def walk(typer_app, prefix):
        for info in typer_app.registered_commands:
            name = prefix + (info.name or info.callback.__name__.replace("_", "-"))
            signature = inspect.signature(info.callback, eval_str=True)
            for param in signature.parameters.values():
                # declared as the default (typer.Option(...)) or in Annotated[type, Option]
                declared = (param.default, *getattr(param.annotation, "__metadata__", ()))
                for parser in (getattr(d, "parser", None) for d in declared):
                    if isinstance(parser, Number):
                        yield name, param.name, parser
        for group in typer_app.registered_groups:
            yield from walk(group.typer_instance, f"{prefix}{group.name} ")

    return sorted(walk(app.app, ""), key=lambda found: found[:2])


def test_every_option_that_takes_a_number_refuses_nan_and_infinity():
    import typer

    from planner.cli import app
    from planner.cli.config import _commands

    declared = {(verb, name) for verb, name, _ in _numeric_options()}
    assert len(declared) >= 45
    numeric = set()
    for verb, command in _commands(app.build()).items():
        context = typer.Context(command)
        for param in command.params:
            if param.param_type_name != "option" or getattr(param, "is_flag", False):
                continue
            taken = None
            for probe in ("1", "2"):  # a number every numeric option's range holds
                try:
                    taken = param.process_value(context, [] if param.multiple else probe)
                    break
                except typer.TyperException:
                    continue
            if isinstance(taken, (int, float)) and not isinstance(taken, bool):
                numeric.add((verb, param.name))
                for value in ("nan", "inf", "1e308", "9" * 400):
                    with pytest.raises(typer.BadParameter):
                        param.process_value(context, value)
    assert numeric == declared


@settings(max_examples=60, derandomize=True, database=None, deadline=None)
@given(value=numbers_as_text, pick=st.integers(min_value=0))
def test_every_numeric_option_takes_only_finite_numbers_in_its_range(value, pick):
    options = _numeric_options()
    verb, name, parser = options[pick % len(options)]
    try:
        number = parser.parse(value)
    except ValueError as err:
        assert str(err) and len(str(err)) < 200  # a message, never the 400 digits
        return
    assert number is not None and math.isfinite(number), (verb, name, value)
    assert parser.low <= number <= parser.high, (verb, name, value)
    if parser.kind is int:
        assert isinstance(number, int)


@settings(max_examples=10, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(value=numbers_as_text)
def test_a_limit_on_the_command_line_exits_cleanly(cli, value):
    result = cli("check", PLAN, "--max-cost-per-hour", value)
    assert result.exit_code in (0, 1, 2), result.stderr
    assert "Traceback" not in result.stderr
    if result.exit_code == 0:
        assert math.isfinite(float(value))


@settings(max_examples=10, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(name=st.sampled_from(["PLANNER_TIME_LIMIT", "PLANNER_WORKERS", "PLANNER_FORMAT",
                             "PLANNER_CATALOG", "PLANNER_EXECUTOR"]),
       value=numbers_as_text.filter(lambda v: "\x00" not in v))  # fmt: skip
def test_any_planner_environment_variable_exits_cleanly(cli, monkeypatch, name, value):
    with monkeypatch.context() as patched:
        patched.setenv(name, value)
        result = cli("validate", SPEC)
    assert result.exit_code in (0, 2), result.stderr
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        assert name in result.stderr


toml_texts = st.one_of(
    st.builds(lambda k, v: f"{k} = {v}\n",
              st.sampled_from(["workers", "time-limit", "format", "catalog", "gap", "x", "fit",
                               "profiles", "quotas"]),
              st.sampled_from(HOSTILE_NUMBERS[:10]).map(lambda v: v or '""')),
    st.text(alphabet='[]{}=".\n ab1', max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.integers(min_value=1, max_value=3000).map(lambda n: "a = " + "[" * n + "]" * n),
)  # fmt: skip


@settings(max_examples=15, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(text=toml_texts)
def test_any_planner_toml_exits_cleanly(cli, tmp_path_factory, monkeypatch, text):
    folder = tmp_path_factory.mktemp("config")
    (folder / "planner.toml").write_text(text, encoding="utf-8", errors="surrogateescape")
    monkeypatch.chdir(folder)
    result = cli("models")
    assert result.exit_code in (0, 2), result.stderr
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        assert "planner.toml" in result.stderr


class _Deadline:
    """Fails the test instead of hanging when a reader blocks (SIGALRM, main thread only)."""

    def __init__(self, seconds: int):
        self.seconds = seconds

    def __enter__(self):
        def fire(*_):
            raise TimeoutError(f"still running after {self.seconds} s")

        self.previous = signal.signal(signal.SIGALRM, fire)
        signal.alarm(self.seconds)

    def __exit__(self, *exc):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self.previous)


@pytest.mark.parametrize("verb", sorted(VERBS))
@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "folder"])
def test_every_verb_refuses_a_special_file_at_once(cli, tmp_path, verb, special):
    _, template = VERBS[verb]
    if special == "fifo":
        target = tmp_path / "pipe"
        os.mkfifo(target)
    elif special == "folder":
        target = tmp_path / "folder"
        target.mkdir()
    else:
        target = Path(special)
    args = [a.format(out=tmp_path / "out") if "{out}" in a else a for a in template]
    with _Deadline(120):
        result = cli(*[str(target) if a == "{}" else a for a in args])
    assert result.exit_code == 2, (verb, result.stderr[-500:])
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["PLANNER_FIT", "PLANNER_PROFILES", "PLANNER_QUOTAS",
                                  "PLANNER_CATALOG", "PLANNER_CONFIG"])  # fmt: skip
@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "folder", "long", "control"])
def test_a_file_an_environment_variable_names_is_refused_at_once(
    cli, tmp_path, monkeypatch, name, special
):
    if special == "fifo":
        target = str(tmp_path / "pipe")
        os.mkfifo(target)
    elif special == "folder":
        target = str(tmp_path)
    elif special == "long":
        target = str(tmp_path / ("a" * 300))
    elif special == "control":
        target = str(tmp_path / "a\x1b]0;x\x07b")
    else:
        target = special
    monkeypatch.setenv(name, target)
    args = ["models"] if name == "PLANNER_CONFIG" else ["verify", PLAN, SPEC]
    with _Deadline(60):
        result = cli(*args)
    assert result.exit_code == 2, (name, special, result.stderr[-500:])
    assert "Traceback" not in result.stderr and "\x1b" not in result.stderr
