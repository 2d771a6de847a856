"""Each hostile input found by trying the planner as a hostile user would: a clean exit naming
the file, never a traceback, a hang or unbounded memory (one test per defect found)."""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.catalog import load_catalog
from planner.errors import InputError
from planner.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
CHATBOT = ROOT / "examples" / "chatbot-fleet.yaml"
GOLDEN_PLAN = ROOT / "tests" / "golden" / "plans" / "chatbot-fleet.json"
CATALOG_HEADER = (
    "provider,region,zone,service,instance_type,accelerator,accelerator_count,"
    "accelerator_memory_gb,vcpus,memory_gib,price_on_demand,price_spot,source,as_of\n"
)
ROW = "aws,us-east-1,,ec2,g5.xlarge,A10G,1,24,4,16,{price},{spot},test,2026-11-25\n"

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
workloads: *i
"""


def serving(rps: str = "2", extra: str = "", sizes: str = "input_tokens: 500, output_tokens: 100"):
    return (
        "workloads:\n  - name: chat\n    kind: serving\n    model: llama-3.1-8b\n"
        f"    traffic: {{requests_per_second: {rps}, {sizes}}}\n{extra}"
    )


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


# --- 1. non-UTF-8 and binary files ----------


@pytest.mark.parametrize("content", [b"workloads:\n  - name: \xff\xfe\n", b"\x00\x01\x02binary"])
def test_binary_or_non_utf8_spec_exits_2_naming_file_and_line(cli, tmp_path, content):
    spec = write(tmp_path, "spec.yaml", content)
    result = cli("validate", spec)
    assert result.exit_code == 2
    assert f"{spec}:" in result.stderr and "Traceback" not in result.stderr


def test_non_utf8_catalog_plan_and_diff_inputs_exit_2(cli, tmp_path):
    bad = write(tmp_path, "bad.bin", b"provider,region\n\xc3\x28,x\n")
    assert cli("catalog", "list", "--catalog", bad).exit_code == 2
    result = cli("verify", bad, CHATBOT)
    assert result.exit_code == 2 and str(bad) in result.stderr
    result = cli("diff", GOLDEN_PLAN, bad)
    assert result.exit_code == 2 and str(bad) in result.stderr


def test_non_utf8_skypilot_folder_exits_2(cli, tmp_path):
    folder = tmp_path / "sky" / "aws"
    folder.mkdir(parents=True)
    (folder / "vms.csv").write_bytes(b"InstanceType,AcceleratorName\n\xff\xff,x\n")
    result = cli("catalog", "list", "--catalog", tmp_path / "sky")
    assert result.exit_code == 2 and "vms.csv:2: not UTF-8" in result.stderr


# --- 1. nesting and alias expansion ----------


def test_deeply_nested_yaml_and_json_exit_2_without_recursion_error(cli, tmp_path):
    deep_yaml = write(tmp_path, "deep.yaml", "workloads: " + "[" * 5000 + "]" * 5000)
    result = cli("validate", deep_yaml)
    assert result.exit_code == 2 and "nested more than" in result.stderr
    deep_json = write(tmp_path, "deep.json", '{"a":' * 5000 + "1" + "}" * 5000)
    for args in (("validate", deep_json), ("verify", deep_json, CHATBOT)):
        result = cli(*args)
        assert result.exit_code == 2 and "nested more than" in result.stderr


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(alphabet='[]{}"\\\n ax', max_size=200),
        st.recursive(
            st.one_of(st.none(), st.integers(), st.text(alphabet='[]{}"\\\n a', max_size=8)),
            lambda inner: st.one_of(
                st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
            ),
            max_leaves=80,
        ).map(json.dumps),
    )
)
def test_json_nesting_is_measured_alike_by_the_fast_check_and_the_character_scan(text):
    from planner._readfile import MAX_NESTING, _deepest, nesting_depth

    assert min(_deepest(text), MAX_NESTING + 1) == nesting_depth(text)[0]


def test_a_plan_file_over_the_plan_limit_is_refused_naming_the_limit(tmp_path, monkeypatch):
    from planner.plans import io

    plan = tmp_path / "plan.json"
    plan.write_text("{}" + " " * 4096)
    monkeypatch.setattr(io, "MAX_PLAN_BYTES", 1024)
    with pytest.raises(InputError, match="larger than"):
        io.load_plan(plan)


def test_billion_laughs_fails_fast_in_validate_and_plan(cli, tmp_path):
    spec = write(tmp_path, "laughs.yaml", BILLION_LAUGHS)
    for verb in ("validate", "plan"):
        result = cli(verb, spec)
        assert result.exit_code == 2
        assert "aliases are expanded" in result.stderr and "laughs.yaml:" in result.stderr


def test_an_alias_that_contains_itself_is_refused(tmp_path):
    with pytest.raises(InputError, match="contains it"):
        load_spec(write(tmp_path, "cycle.yaml", "workloads: &a [*a]\n"))


def test_ordinary_anchors_and_aliases_still_work(tmp_path):
    text = (
        "workloads:\n"
        "  - {name: a, kind: serving, model: llama-3.1-8b, placement: &p {providers: [aws]},\n"
        "     traffic: &t {requests_per_second: 1, input_tokens: 100, output_tokens: 10}}\n"
        "  - {name: b, kind: serving, model: llama-3.1-8b, placement: *p, traffic: *t}\n"
    )
    spec = load_spec(write(tmp_path, "s.yaml", text))
    assert spec.workloads[1].placement.providers == ("aws",)


# --- 1. numbers ----------


@pytest.mark.parametrize(
    ("rps", "message"),
    [
        (".inf", "finite number"),
        ("1e308", "less than or equal to"),
        ("true", "valid number"),
        (".nan", "finite number"),
        ('"5"', "valid number"),
    ],
)
def test_requests_per_second_must_be_a_finite_sane_number(tmp_path, rps, message):
    with pytest.raises(InputError, match=message) as caught:
        load_spec(write(tmp_path, "s.yaml", serving(rps)))
    assert "s.yaml:5: workloads[0].traffic.requests_per_second" in str(caught.value)


def test_yaml_1_2_exponents_are_numbers(tmp_path):
    spec = load_spec(write(tmp_path, "s.yaml", serving("2e1")))
    assert spec.workloads[0].traffic.requests_per_second == 20


@pytest.mark.parametrize("price", ["nan", "inf", "-1", "1e9"])
def test_catalog_prices_must_be_finite_and_sane(tmp_path, price):
    catalog = write(tmp_path, "c.csv", CATALOG_HEADER + ROW.format(price=price, spot=""))
    with pytest.raises(InputError, match=r"c.csv:2: column price_on_demand"):
        load_catalog([catalog])


def test_jobs_gpu_hours_inf_is_refused(cli, tmp_path):
    jobs = write(
        tmp_path,
        "jobs.yaml",
        "jobs:\n  - {name: a, gpu_hours: .inf, reference_accelerator: H100}\n"
        "capacity:\n  pools:\n    - {name: p, accelerator: H100, gpus: 8}\n",
    )
    result = cli("schedule", jobs)
    assert result.exit_code == 2
    assert "jobs.yaml:2: jobs[0].gpu_hours: input should be a finite number" in result.stderr


def test_trace_and_profile_numbers_are_bounded(tmp_path):
    from planner.perf import load_profiles
    from planner.schedule import read_trace

    trace = write(tmp_path, "t.csv", "arrival_s,input_tokens,output_tokens\n1e400,1,1\n")
    with pytest.raises(InputError, match=r"t.csv:2: arrival_s: must be a finite number"):
        read_trace(trace)
    profiles = write(
        tmp_path,
        "p.csv",
        "model,accelerator,tp,input_tokens,output_tokens,max_rps,tpot_ms,ttft_ms\n"
        "llama-3.1-8b,H100,1,100,100,inf,,\n",
    )
    with pytest.raises(InputError, match="line 2, column 'max_rps'"):
        load_profiles(profiles)


# --- 1. bounded resources ----------


def test_simulate_a_billion_requests_is_refused_with_the_reason(cli):
    result = cli("simulate", GOLDEN_PLAN, "--spec", CHATBOT, "--requests", "1000000000")
    assert result.exit_code == 2 and "5,000,000" in result.stderr


def test_validate_of_ten_thousand_workloads_prints_short_lines(cli, tmp_path):
    rows = "".join(
        f"  - {{name: w{i}, kind: serving, model: llama-3.1-8b, traffic: "
        "{requests_per_second: 1, input_tokens: 100, output_tokens: 10}}\n"
        for i in range(10_000)
    )
    spec = write(tmp_path, "big.yaml", "workloads:\n" + rows)
    result = cli("validate", spec)
    assert result.exit_code == 0 and "10000 workload(s)" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) < 1000
    broken = write(
        tmp_path, "broken.yaml", "workloads:\n" + rows.replace("model: llama", "model: x")
    )
    result = cli("validate", broken)
    assert result.exit_code == 2 and "and 9,950 more" in result.stderr
    assert len(result.stderr) < 50_000


# --- 1. unservable buckets and contexts ----------


def test_a_bucket_no_offering_can_serve_exits_3_naming_it(cli, tmp_path):
    spec = write(
        tmp_path,
        "docs.yaml",
        serving(
            sizes="buckets: [{input_tokens: 500, output_tokens: 100, fraction: 0.9}, "
            "{input_tokens: 100000, output_tokens: 500, fraction: 0.1}]"
        ),
    )
    catalog = write(
        tmp_path,
        "one-l4.csv",
        CATALOG_HEADER.replace("\n", "")
        + "\ngcp,us-central1,,gce,g2-standard-8,L4,1,24,8,32,0.85,0.3,test,2026-11-25\n",
    )
    result = cli("plan", spec, "--catalog", catalog)
    assert result.exit_code == 3, result.stderr
    assert "chat: no offering serves its bucket of 100000 input + 500 output" in result.stderr
    assert "KV cache" in result.stderr


def test_a_bucket_with_zero_measured_capacity_exits_3(cli, tmp_path):
    spec = write(
        tmp_path,
        "s.yaml",
        serving(
            sizes="buckets: [{input_tokens: 500, output_tokens: 100, fraction: 0.5}, "
            "{input_tokens: 2000, output_tokens: 100, fraction: 0.5}]",
            extra="    placement: {accelerators: [H100]}\n",
        ),
    )
    profiles = write(
        tmp_path,
        "p.csv",
        "model,accelerator,tp,input_tokens,output_tokens,max_rps,tpot_ms,ttft_ms\n"
        + "".join(
            f"llama-3.1-8b,H100,{tp},2000,100,0,,\nllama-3.1-8b,H100,{tp},500,100,5,,\n"
            for tp in (1, 2, 4, 8)
        ),
    )
    result = cli("plan", spec, "--profiles", profiles)
    assert result.exit_code == 3, result.stderr
    assert "bucket of 2000 input + 100 output tokens" in result.stderr
    assert "ZeroDivisionError" not in result.stderr


def test_a_context_longer_than_the_model_is_caught_by_validate(cli, tmp_path):
    spec = write(tmp_path, "s.yaml", serving(sizes="input_tokens: 200000, output_tokens: 100"))
    result = cli("validate", spec)
    assert result.exit_code == 2
    assert "exceeds llama-3.1-8b's maximum context of 131072 tokens" in result.stderr
    assert cli("plan", spec).exit_code == 2


# --- 2. catalogs never silently change what the user wrote ----------


def test_a_catalog_row_twice_in_one_file_names_both_lines(tmp_path):
    catalog = write(
        tmp_path,
        "c.csv",
        CATALOG_HEADER + ROW.format(price="15.29", spot="") + ROW.format(price="0.19", spot=""),
    )
    with pytest.raises(
        InputError, match=r"c.csv:3: aws us-east-1 ec2 g5.xlarge is already on line 2"
    ):
        load_catalog([catalog])


def test_an_override_across_catalog_files_is_reported(cli, tmp_path):
    first = write(tmp_path, "a.csv", CATALOG_HEADER + ROW.format(price="15.29", spot=""))
    second = write(tmp_path, "b.csv", CATALOG_HEADER + ROW.format(price="0.19", spot=""))
    loaded = load_catalog([first, second])
    assert loaded.offerings[0].price_on_demand == 0.19
    assert any("b.csv overrides 1 offering(s) of" in w for w in loaded.warnings)
    result = cli("catalog", "list", "--catalog", first, "--catalog", second)
    assert "note:" in result.stderr and "overrides" in result.stderr


def test_spot_above_on_demand_is_an_error_naming_the_line(tmp_path):
    catalog = write(tmp_path, "c.csv", CATALOG_HEADER + ROW.format(price="1.0", spot="2.5"))
    with pytest.raises(InputError, match=r"c.csv:2: column price_spot: 2.5 is above"):
        load_catalog([catalog])


def test_an_unquoted_thousands_separator_is_an_error_naming_the_line(cli, tmp_path):
    catalog = write(tmp_path, "c.csv", CATALOG_HEADER + ROW.format(price="1,055.04", spot=""))
    result = cli("catalog", "list", "--catalog", catalog)
    assert result.exit_code == 2
    assert "c.csv:2: 15 cells but the header (line 1) has 14" in result.stderr


def test_skypilot_input_keeps_dropping_spot_at_or_above_on_demand(tmp_path):
    folder = tmp_path / "aws"
    folder.mkdir()
    (folder / "vms.csv").write_text(
        "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,SpotPrice,Region,"
        "AvailabilityZone\n"
        "g5.xlarge,A10G,1,4,16,1.006,2.0,us-east-1,us-east-1a\n"
    )
    loaded = load_catalog([tmp_path])
    assert loaded.offerings[0].price_spot is None
    assert any("spot price not below on-demand" in w for w in loaded.warnings)


def test_plan_json_with_nan_is_not_a_plan(cli, tmp_path):
    plan = json.loads(GOLDEN_PLAN.read_text())
    text = json.dumps(plan).replace('"cost_per_hour": ', '"cost_per_hour": NaN, "x": ', 1)
    result = cli("verify", write(tmp_path, "p.json", text), CHATBOT)
    assert result.exit_code == 2


# --- 2. writers never overwrite a user's file or write through a symlink ----------


def test_schedule_chart_does_not_overwrite_an_existing_file_without_force(cli, tmp_path):
    chart = write(tmp_path, "gantt.png", "my own file")
    jobs = ROOT / "examples" / "jobs" / "jobs.yaml"
    result = cli("schedule", jobs, "--policy", "fcfs", "--chart", chart)
    assert result.exit_code == 2 and "pass --force" in result.stderr
    assert chart.read_text() == "my own file"
    result = cli("schedule", jobs, "--policy", "fcfs", "--chart", chart, "--force")
    assert result.exit_code == 0 and chart.read_bytes().startswith(b"\x89PNG")


def test_emit_force_never_writes_through_a_symlink_out_of_the_folder(cli, tmp_path):
    out = tmp_path / "out"
    assert cli("emit", GOLDEN_PLAN, "-t", "kubernetes", "-o", out).exit_code == 0
    victim = write(tmp_path, "victim.txt", "precious")
    emitted = sorted((out / "kubernetes").iterdir())[0]
    emitted.unlink()
    emitted.symlink_to(victim)
    result = cli("emit", GOLDEN_PLAN, "-t", "kubernetes", "-o", out, "--force")
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert victim.read_text() == "precious"
    (out / "kubernetes").rename(tmp_path / "moved")
    (out / "kubernetes").symlink_to(tmp_path, target_is_directory=True)
    result = cli("emit", GOLDEN_PLAN, "-t", "kubernetes", "-o", out, "--force")
    assert result.exit_code == 2 and "symbolic link" in result.stderr


def test_output_files_replace_a_symlink_instead_of_following_it(cli, tmp_path):
    victim = write(tmp_path, "victim.json", "precious")
    link = tmp_path / "plan.json"
    link.symlink_to(victim)
    spec = ROOT / "examples" / "sagemaker-endpoint.yaml"
    result = cli("plan", spec, "--format", "json", "-o", link)
    assert result.exit_code == 2 and "pass --force" in result.stderr
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "elsewhere.json")
    assert cli("plan", spec, "-o", dangling).exit_code == 2
    assert not (tmp_path / "elsewhere.json").exists()
    result = cli("plan", spec, "--format", "json", "-o", link, "--force")
    assert result.exit_code == 0
    assert victim.read_text() == "precious" and not link.is_symlink()
    assert json.loads(link.read_text())["plan_id"]


# --- 4. fields that reach a cloud or a shell ----------


@pytest.mark.parametrize(
    ("deploy", "rule"),
    [
        ('image: "vllm/vllm-openai:v1\\nkind: Secret"', "not an OCI image reference"),
        ('gcp_project: "x\'; touch /tmp/pwned"', "not a Google Cloud project id"),
        ('execution_role_arn: "arn:aws:iam::123456789012:role/a b"', "not an IAM role ARN"),
        ('weights: "hf://org/na\\"me"', "not a weights location"),
        (
            'security: {aws: {kms_key_arn: "arn:aws:kms:us-east-1:123456789012:key/x;y"}}',
            "not a KMS key ARN",
        ),
        (
            'security: {gcp: {kms_key_name: "projects/p/locations/x/keyRings/r/cryptoKeys/k k"}}',
            "not a Cloud KMS key name",
        ),
        (
            'security: {kubernetes: {gateway_labels: {"bad key!": gw}}}',
            "not a Kubernetes label key",
        ),
        ('extra_args: ["--x", "a\\nb"]', "control character"),
    ],
)
def test_deploy_fields_follow_their_ecosystems_grammar(tmp_path, deploy, rule):
    with pytest.raises(InputError, match=rule) as caught:
        load_spec(write(tmp_path, "s.yaml", serving() + "deploy:\n  " + deploy + "\n"))
    assert "s.yaml:" in str(caught.value)


def test_hugging_face_ids_with_quotes_are_refused(tmp_path):
    model = (
        "models:\n  - {name: m, params_b: 7, layers: 32, hidden_size: 4096, attention_heads: 32,"
        ' kv_heads: 8, hf_id: "org/m\'\\"x"}\n'
    )
    with pytest.raises(InputError, match="not a Hugging Face repo id"):
        load_spec(write(tmp_path, "s.yaml", serving() + model))


def test_launch_options_follow_the_same_grammar(cli):
    plan = ROOT / "tests" / "golden" / "plans" / "vertex-endpoint.json"
    result = cli("launch", plan, "--target", "vertex", "--project", "x'; touch y")
    assert result.exit_code == 2 and "--project" in result.stderr


# --- round 2: numbers on the command line, in the environment and in planner.toml ----------

SAGEMAKER_PLAN = ROOT / "tests" / "golden" / "plans" / "sagemaker-endpoint.json"
JOBS = ROOT / "examples" / "jobs" / "jobs.yaml"


@pytest.mark.parametrize(
    "args",
    [
        ("check", SAGEMAKER_PLAN, "--max-cost-per-hour", "nan"),
        ("check", SAGEMAKER_PLAN, "--max-cost-per-hour", "inf"),
        ("check", SAGEMAKER_PLAN, "--max-cost-per-hour", "-1"),
        ("check", SAGEMAKER_PLAN, "--max-cost-per-hour", "9" * 400),
        ("diff", SAGEMAKER_PLAN, SAGEMAKER_PLAN, "--min-change", "nan"),
        ("schedule", JOBS, "--time-limit", "nan"),
        ("schedule", JOBS, "--time-limit", "1e308"),
        ("plan", CHATBOT, "--workers", "2.7"),
        ("simulate", SAGEMAKER_PLAN, "--quantum-s", "1e-9"),
    ],
)
def test_a_numeric_option_that_is_not_finite_or_in_range_exits_2(cli, args):
    result = cli(*args)
    assert result.exit_code == 2, result.stdout
    assert "Invalid value for" in result.stderr and "Traceback" not in result.stderr


def test_a_nan_limit_can_no_longer_pass_the_gate(cli):
    assert cli("check", SAGEMAKER_PLAN, "--max-cost-per-hour", "nan").exit_code == 2
    assert cli("check", SAGEMAKER_PLAN, "--max-cost-per-hour", "1").exit_code == 1


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("PLANNER_TIME_LIMIT", "nan", "not a finite number"),
        ("PLANNER_TIME_LIMIT", "1e308", "outside 0 to 604800"),
        ("PLANNER_WORKERS", "2.7", "not a whole number"),
        ("PLANNER_WORKERS", "9" * 400, "a number of 400 characters"),
    ],
)
def test_a_numeric_environment_variable_is_checked_like_a_flag(cli, monkeypatch, name, value, why):
    monkeypatch.setenv(name, value)
    result = cli("validate", CHATBOT)
    assert result.exit_code == 2 and f"environment {name}" in result.stderr and why in result.stderr


@pytest.mark.parametrize(
    ("toml", "why"),
    [
        ("workers = 2.7\n", "planner.toml:1: workers: 2.7 is not a whole number"),
        ("[plan]\ntime-limit = nan\n", "planner.toml:2: time-limit: nan is not a finite number"),
        ("a = " + "[" * 500 + "]" * 500 + "\n", "nested more than 64 levels deep"),
        ("[" + ".".join(["a"] * 2000) + "]\n", "nested more than 64 levels deep"),
        ("workers = " + "9" * 5000 + "\n", "planner.toml"),
    ],
)
def test_a_bad_planner_toml_exits_2_for_every_verb(cli, tmp_path, monkeypatch, toml, why):
    (tmp_path / "planner.toml").write_text(toml)
    monkeypatch.chdir(tmp_path)
    for verb in (("validate", CHATBOT), ("models",)):
        result = cli(*verb)
        assert result.exit_code == 2 and why in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_observe_window_of_400_digits_exits_2(cli):
    result = cli("observe", "--plan", SAGEMAKER_PLAN, "--source", "prometheus", "--url",
                 "http://127.0.0.1:9", "--window", "9" * 400 + "s")  # fmt: skip
    assert result.exit_code == 2 and "--window of 401 characters" in result.stderr


@pytest.mark.parametrize("period", ["hour", "day", "month"])
def test_export_starting_at_the_end_of_time_exits_2(cli, period):
    result = cli("export", SAGEMAKER_PLAN, "--start", "9999-12-31T23:00:00Z", "--period", period)
    assert result.exit_code == 2 and "after the year 9999" in result.stderr


# --- round 2: work an option would make unbounded ------------------------------------------


def test_round_robin_with_a_tiny_quantum_is_refused_with_the_quantum_that_works(cli, tmp_path):
    jobs = write(tmp_path, "jobs.yaml", (
        "capacity:\n  pools:\n    - {name: p, accelerator: A100-80GB, gpus: 1, "
        "price_per_gpu_hour: 1}\njobs:\n"
        "  - {name: a, gpu_hours: 20000, reference_accelerator: A100-80GB, gpus: 1}\n"
        "  - {name: b, gpu_hours: 20000, reference_accelerator: A100-80GB, gpus: 1}\n"
        "options:\n  quantum_hours: 0.0001\n"))  # fmt: skip
    result = cli("schedule", jobs, "--policy", "rr")
    assert result.exit_code == 2 and "give quantum_hours of at least" in result.stderr
    spec = ROOT / "examples" / "sagemaker-endpoint.yaml"
    result = cli("simulate", SAGEMAKER_PLAN, "--spec", spec, "--policy", "rr", "--quantum-s",
                 "0.001", "--requests", "100000")  # fmt: skip
    assert result.exit_code == 2 and "give --quantum-s of at least" in result.stderr


# --- round 2: special files, long paths, files that appear meanwhile -----------------------


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "{}"),
        ("check", "{}", "--max-cost-per-hour", "5"),
        ("catalog", "list", "--catalog", "{}"),
        ("profiles", "import", "{}", "-o", "{out}"),
        ("diff", SAGEMAKER_PLAN, "{}"),
    ],
)
def test_a_fifo_as_an_input_file_exits_2_without_waiting(cli, tmp_path, args):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = cli(*[str(fifo) if a == "{}" else tmp_path / "o.csv" if a == "{out}" else a
                   for a in args])  # fmt: skip
    assert result.exit_code == 2 and "FIFO" in result.stderr and str(fifo) in result.stderr


def test_dev_zero_as_a_benchmark_file_exits_2_reading_a_bounded_amount(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", "from planner.cli import main; main()", "profiles", "import",
         "/dev/zero", "-o", str(tmp_path / "p.csv")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3)),
    )  # fmt: skip
    assert done.returncode == 2 and "character device" in done.stderr


def _node(tmp_path: Path, kind: str) -> Path:
    node = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(node)
    else:
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a null device of our own
    return node


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_output_to_a_device_or_fifo_never_replaces_the_node(cli, tmp_path, kind):
    node = _node(tmp_path, kind)
    before = os.lstat(node).st_mode
    for args in (("check", SAGEMAKER_PLAN, "--max-cost-per-hour", "50"),
                 ("report", SAGEMAKER_PLAN, "--format", "md")):  # fmt: skip
        result = cli(*args, "-o", node, "--force")
        assert result.exit_code == 2 and "not a regular file" in result.stderr
    assert os.lstat(node).st_mode == before


def test_a_path_too_long_for_the_file_system_exits_2(cli, tmp_path):
    long = tmp_path / ("a" * 300 + ".json")
    for args in (("validate", long), ("check", SAGEMAKER_PLAN, "--max-cost-per-hour", "50",
                                      "-o", long), ("plan", CHATBOT, "-o", long)):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 2 and "File name too long" in result.stderr
        assert "Traceback" not in result.stderr


def test_an_output_file_created_during_the_run_is_not_overwritten(tmp_path):
    from planner._writefile import refuse_overwrite, reset, write_output

    reset()
    target = tmp_path / "plan.json"
    refuse_overwrite(target, force=False)  # checked at the start: nothing there yet
    target.write_text("the user's own file")  # ... and then someone writes it
    with pytest.raises(InputError, match="created while the planner ran"):
        write_output(target, "{}")
    assert target.read_text() == "the user's own file"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary file left
    refuse_overwrite(target, force=True)
    write_output(target, "{}")
    assert target.read_text() == "{}"


# --- round 2: integers of hundreds of digits -------------------------------------------------


@pytest.mark.parametrize("digits", [400, 5000])
def test_a_plan_count_of_hundreds_of_digits_exits_2(cli, tmp_path, digits):
    text = SAGEMAKER_PLAN.read_text().replace('"count": 1,', f'"count": {"9" * digits},', 1)
    plan = write(tmp_path, "plan.json", text)
    result = cli("check", plan, "--max-cost-per-hour", "5")
    assert result.exit_code == 2 and f"{digits:,} digits" in result.stderr
    assert "plan.json" in result.stderr


@pytest.mark.parametrize(
    "body",
    ['{"completed": ' + "9" * 5000 + "}", '{"request_throughput": 1e999}'],
)
def test_benchmark_json_with_huge_numbers_exits_2(cli, tmp_path, body):
    bench = write(tmp_path, "bench.json", body)
    result = cli("profiles", "import", bench, "-o", tmp_path / "p.csv")
    assert result.exit_code == 2 and "bench.json:1:" in result.stderr


def test_skypilot_names_and_memory_sizes_of_hundreds_of_digits_are_not_tracebacks(cli, tmp_path):
    folder = tmp_path / "sky" / "gcp"
    folder.mkdir(parents=True)
    big = "9" * 400
    gpu_info = "\"{'Gpus': [{'MemoryInfo': {'SizeInMiB': " + big + '}}]}"'
    (folder / "vms.csv").write_text(
        "InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,Region,"
        "AvailabilityZone,Price,SpotPrice\n"
        f"a2-highgpu-{big}g,12.0,85.0,,,,us-central1,us-central1-a,3.67,1.1\n"
        f"n1-standard-8,8.0,30.0,XPU,1,{gpu_info},us-central1,us-central1-a,0.38,0.1\n"
    )
    result = cli("catalog", "list", "--catalog", tmp_path / "sky")
    assert result.exit_code in (0, 2) and "Traceback" not in result.stderr


# --- round 2: what reaches an output --------------------------------------------------------

EVIL_SOURCE = '"=HYPERLINK(""http://evil"",""x"")<img src=x onerror=alert(1)>"'


def _evil_plan(cli, tmp_path: Path) -> tuple[Path, Path]:
    catalog = write(tmp_path, "c.csv", CATALOG_HEADER + ROW.format(price="1.006", spot="0.45")
                    .replace(",test,", f",{EVIL_SOURCE},"))  # fmt: skip
    spec = write(tmp_path, "s.yaml", serving())
    plan = tmp_path / "plan.json"
    result = cli("plan", spec, "--catalog", catalog, "--format", "json", "-o", plan)
    assert result.exit_code == 0, result.stderr
    return plan, catalog


def test_a_formula_in_a_catalog_never_reaches_the_focus_export_live(cli, tmp_path):
    plan, catalog = _evil_plan(cli, tmp_path)
    result = cli("export", plan, "--catalog", catalog)
    assert result.exit_code == 0
    cells = [c for row in csv.reader(io.StringIO(result.stdout)) for c in row]
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


def test_html_from_a_catalog_is_shown_not_run_in_the_markdown_report(cli, tmp_path):
    plan, _ = _evil_plan(cli, tmp_path)
    result = cli("report", plan, "--format", "md")
    assert result.exit_code == 0
    assert "<img" not in result.stdout and "&lt;img src=x onerror=alert(1)&gt;" in result.stdout


@pytest.mark.parametrize(
    ("column", "value"),
    [("region", "us-east-1 # owned"), ("region", "<b>x</b>"), ("zone", "a\x1b]0;t\x07"),
     ("instance_type", "g5.xlarge<img src=x>"), ("accelerator", "A10G;X")],
)  # fmt: skip
def test_catalog_names_have_a_grammar_checked_on_read(cli, tmp_path, column, value):
    row = dict(zip(CATALOG_HEADER.strip().split(","),
                   ROW.format(price="1", spot="").strip().split(","), strict=True))  # fmt: skip
    row[column] = value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row.values())
    catalog = write(tmp_path, "c.csv", CATALOG_HEADER + buffer.getvalue())
    result = cli("catalog", "list", "--catalog", catalog)
    assert result.exit_code == 2 and f"column {column}: " in result.stderr


def test_a_plan_whose_names_break_the_grammar_is_refused(cli, tmp_path):
    text = SAGEMAKER_PLAN.read_text().replace('"region": "us-east-1"', '"region": "<b>x</b>"', 1)
    result = cli("emit", write(tmp_path, "plan.json", text), "-t", "kubernetes", "-o",
                 tmp_path / "out")  # fmt: skip
    assert result.exit_code == 2 and "region" in result.stderr and not (tmp_path / "out").exists()


def test_markdown_escapes_every_kind_of_markup():
    from planner.markup import csv_cell, md

    assert md("a|b") == "a\\|b"
    assert "<" not in md("<script>x</script>") and "\n" not in md("x\n# heading")
    assert md("# heading").startswith("\\") and md("[x](http://e)") == "\\[x\\](http://e)"
    assert md("llama-3.1-8b us-east-1 ml.g5.2xlarge") == "llama-3.1-8b us-east-1 ml.g5.2xlarge"
    assert [csv_cell(v) for v in ("=1", "+1", "-1", "@x", "\tx", "ok", -1.5)] == [
        "'=1", "'+1", "'-1", "'@x", "'\tx", "ok", -1.5]  # fmt: skip


def test_console_output_loses_escape_sequences_and_credentials(monkeypatch):
    from planner.safe_text import safe

    monkeypatch.setenv("SOME_API_TOKEN", "tok-0123456789abcdef")
    text = "a\x1b]0;title\x07b\x1b[31mc\x9b2Jd tok-0123456789abcdef AKIAIOSFODNN7EXAMPLE \u202eZ"
    assert safe(text) == "abcd [REDACTED] [REDACTED] Z"
