"""Property: every loader turns any input into a value or an InputError (exit 2) that names the
file; never another exception. Inputs: random bytes, random YAML/JSON trees, random CSV cells,
and random mutations of the valid files the project ships.

Derandomized (the same examples every run) and sized to take a few seconds on two cores.
"""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner._readfile import text_of
from planner.catalog.load import read_native_csv
from planner.catalog.offering import CATALOG_COLUMNS
from planner.catalog.skypilot import read_skypilot_csv
from planner.errors import PlannerError
from planner.perf.profile_csv import REQUIRED_COLUMNS, load_profiles
from planner.plans.io import load_plan
from planner.quotas import parse_quotas
from planner.schedule.jobs_load import parse_jobs
from planner.schedule.trace import parse_trace
from planner.spec.load import parse_spec
from planner.sweep.load import parse_scenarios

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
VALID_YAML = {
    "spec": sorted(p.read_text() for p in EXAMPLES.glob("*.yaml")),
    "jobs": sorted(p.read_text() for p in (EXAMPLES / "jobs").glob("*.yaml")),
    "scenarios": sorted(p.read_text() for p in (EXAMPLES / "sweep").glob("*scenarios.yaml")),
}
GOLDEN_PLAN = (ROOT / "tests" / "golden" / "plans" / "sagemaker-endpoint.json").read_text()
SKYPILOT_COLUMNS = [
    "InstanceType",
    "AcceleratorName",
    "AcceleratorCount",
    "vCPUs",
    "MemoryGiB",
    "Price",
    "SpotPrice",
    "Region",
    "AvailabilityZone",
    "GpuInfo",
]
PROFILE_COLUMNS = list(REQUIRED_COLUMNS)
TRACE_COLUMNS = ["arrival_s", "input_tokens", "output_tokens", "workload", "priority"]

FUZZ = settings(
    max_examples=40,
    derandomize=True,
    deadline=timedelta(seconds=30),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

# --- strategies ----------------------------------------------------------------------------

hostile_numbers = st.sampled_from(
    [0, -1, 1, 2.5, 1e308, -1e308, 10**40, float("inf"), float("nan"), True, False, "1e9", "5"]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | hostile_numbers
)
keys = st.sampled_from(
    [
        "workloads", "name", "kind", "model", "traffic", "requests_per_second", "input_tokens",
        "output_tokens", "buckets", "fraction", "serving", "batch", "training", "jobs",
        "capacity", "pools", "gpus", "axes", "values", "range", "quotas", "deploy", "image",
        "placement", "slo", "gpu_hours", "accelerator", "provider", "region",
    ]
) | st.text(max_size=12)  # fmt: skip
trees = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=6),
    max_leaves=40,
)

TOKENS = [
    "*a", "&a ", "[", "]", "{", "}", ": ", "- ", "\t", "\x00", "\x07", ".inf", ".nan", "true",
    "1e999", "-1", "0", "'", '"', "\n", "\n  ", "!!python/object:os.system ", "<<: *a", "%YAML",
    "---", "...", "\ufeff", "\udcff", "é", "1,055.04", ",", "9" * 5000,
]  # fmt: skip


HOSTILE = [
    "a: " + "[" * 3000 + "]" * 3000,
    "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 200)),
    "".join(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 10)).replace(
        "*l0", '"lol"'
    ),
    "workloads: &a [*a]\n",
    "workloads: " + "9" * 5000,
    "workloads: 2026-13-45",
    "{[a]: 1}",
    "workloads: [" + "{}, " * 20000 + "]",
]
"""Documents that once crashed, hung or exhausted memory: deep, self-referencing, huge."""


@st.composite
def mutated(draw, texts: list[str]) -> str:
    """A valid file with a few random edits: deletions, duplications, insertions."""
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate", "replace"]))
        span = draw(st.integers(1, 40))
        if action == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS) | st.text(max_size=5)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + span :]
        elif action == "duplicate":
            text = text[:at] + text[at : at + span] * draw(st.integers(2, 50)) + text[at:]
        else:
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at + span :]
    return text


def yaml_or_json(tree) -> list[str]:
    out = [json.dumps(tree)]
    with contextlib.suppress(yaml.YAMLError):
        out.append(yaml.safe_dump(tree))
    return out


cells = st.sampled_from(
    ["", "nan", "inf", "-inf", "-1", "0", "1", "8", "1e308", "1,5", '"', '""', "aws", "gcp",
     "ec2", "gce", "H100", "L4", "A10G", "us-east-1", "llama-3.1-8b", "true", "{'Gpus': [{}]}",
     "{" * 200, "x" * 200, "\u00e9"]
) | st.text(max_size=10)  # fmt: skip


@st.composite
def csv_text(draw, columns: list[str]) -> str:
    header = draw(st.permutations(columns)) if draw(st.booleans()) else columns
    header = header[: draw(st.integers(1, len(header)))] if draw(st.booleans()) else header
    rows = draw(st.lists(st.lists(cells, min_size=1, max_size=len(columns) + 2), max_size=6))
    lines = [",".join(header)] + [",".join(row) for row in rows]
    if draw(st.booleans()):
        lines.insert(0, "# a comment line")
    return "\n".join(lines) + "\n"


def must_be_clean(call, *args) -> None:
    """`call(*args)` returns or raises a PlannerError; anything else fails the property."""
    try:
        call(*args)
    except PlannerError as err:
        assert str(err)


# --- YAML loaders --------------------------------------------------------------------------

YAML_LOADERS = {
    "spec": parse_spec,
    "jobs": parse_jobs,
    "scenarios": parse_scenarios,
    "quotas": parse_quotas,
}


@FUZZ
@given(kind=st.sampled_from(sorted(YAML_LOADERS)), tree=trees)
def test_yaml_loaders_take_any_yaml_or_json_tree(kind, tree):
    for text in yaml_or_json(tree):
        must_be_clean(YAML_LOADERS[kind], text, "fuzz.yaml")


@FUZZ
@given(kind=st.sampled_from(sorted(YAML_LOADERS)), text=st.sampled_from(HOSTILE))
def test_yaml_loaders_refuse_deep_recursive_and_huge_documents(kind, text):
    must_be_clean(YAML_LOADERS[kind], text, "fuzz.yaml")


@FUZZ
@given(kind=st.sampled_from(["spec", "jobs", "scenarios"]), data=st.data())
def test_yaml_loaders_take_any_mutation_of_a_valid_file(kind, data):
    text = data.draw(mutated(VALID_YAML[kind]))
    must_be_clean(YAML_LOADERS[kind], text, "fuzz.yaml")


@FUZZ
@given(kind=st.sampled_from(sorted(YAML_LOADERS)), raw=st.binary(max_size=400))
def test_yaml_loaders_take_any_bytes(kind, raw):
    def load(data: bytes) -> None:
        YAML_LOADERS[kind](text_of(data, "fuzz.yaml"), "fuzz.yaml")

    must_be_clean(load, raw)


# --- CSV loaders ---------------------------------------------------------------------------


@FUZZ
@given(text=csv_text(CATALOG_COLUMNS))
def test_catalog_csv_takes_any_cells(text):
    must_be_clean(read_native_csv, Path("fuzz.csv"), text)


@FUZZ
@given(cloud=st.sampled_from(["aws", "gcp", "azure"]), text=csv_text(SKYPILOT_COLUMNS))
def test_skypilot_csv_takes_any_cells(cloud, text):
    must_be_clean(read_skypilot_csv, Path(cloud) / "vms.csv", text)


@FUZZ
@given(text=csv_text(TRACE_COLUMNS))
def test_trace_takes_any_cells(text):
    must_be_clean(parse_trace, text, "fuzz.csv")


@FUZZ
@given(text=csv_text(PROFILE_COLUMNS), raw=st.binary(max_size=200))
def test_profiles_and_plans_take_any_file(tmp_path_factory, text, raw):
    folder = tmp_path_factory.mktemp("fuzz")
    for name, content in (("p.csv", text.encode()), ("r.csv", raw)):
        path = folder / name
        path.write_bytes(content)
        must_be_clean(load_profiles, path)
        must_be_clean(load_plan, path)


# --- plan files ----------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_plan_loader_takes_any_mutation_or_tree(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    text = data.draw(mutated([GOLDEN_PLAN]) | trees.map(json.dumps))
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    must_be_clean(load_plan, path)
