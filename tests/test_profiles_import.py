"""`planner profiles import`: benchmark tools' result files become profiles that plans use."""

from __future__ import annotations

import json
import math
import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.perf import SLO, load_profiles
from planner.perf.bench_import import profile_points, read_bench_file

BENCH = Path(__file__).resolve().parent / "data" / "bench"
VLLM_SWEEP = sorted(BENCH.glob("vllm_rate*.json"))

SPEC = textwrap.dedent("""\
    workloads:
      - name: chat
        kind: serving
        model: llama-3.1-8b
        traffic: {requests_per_second: 20, input_tokens: 1000, output_tokens: 250}
        slo: {tpot_ms: 15, ttft_p95_ms: 200}
        placement: {providers: [aws], accelerators: [H100], spot: false}
    """)


def test_each_tool_format_reads_into_one_run():
    vllm = read_bench_file(BENCH / "vllm_rate4.json")
    assert (vllm.tool, vllm.accelerator, vllm.tp) == ("vllm bench serve", "H100", 1)
    assert (vllm.input_tokens, vllm.output_tokens) == (1000, 250)
    assert vllm.requests_per_s == 3.95 and vllm.tpot_ms == 11.8 and vllm.ttft_ms == 88.0  # p95
    json_run = read_bench_file(BENCH / "profile_export_genai_perf.json")
    csv_run = read_bench_file(BENCH / "profile_export_genai_perf.csv")
    assert json_run.concurrency == 16
    for run in (json_run, csv_run):
        assert (run.input_tokens, run.output_tokens, run.requests_per_s) == (550, 150, 2.61)
        assert run.tpot_ms == 39.8 and run.ttft_ms == 262.9  # mean TPOT, p95 TTFT
    llmperf = read_bench_file(BENCH / "llmperf_550_150_summary.json")
    assert llmperf.requests_per_s == pytest.approx(93.2 / 60)
    assert llmperf.tpot_ms == pytest.approx(33.4) and llmperf.ttft_ms == pytest.approx(248)
    assert llmperf.concurrency == 8


def test_a_rate_sweep_becomes_the_best_rate_within_the_slo():
    runs = [read_bench_file(p) for p in VLLM_SWEEP]
    (point,), notes = profile_points(runs, slo=SLO(tpot_ms=15, ttft_ms=200))
    assert not notes
    assert point.max_rps == 3.95  # rate 8 misses the TPOT, rate 2 is slower
    assert (point.model, point.accelerator, point.tp, point.bucket) == (
        "llama-3.1-8b",
        "H100",
        1,
        (1000, 250),
    )
    tight, notes = profile_points(runs, slo=SLO(tpot_ms=5))
    assert not tight and "none of 3 run(s) met the SLO" in notes[0]


def test_without_an_slo_every_run_is_a_row_at_its_own_latencies():
    runs = [read_bench_file(p) for p in VLLM_SWEEP]
    points, _ = profile_points(runs)
    assert sorted(p.max_rps for p in points) == [1.98, 3.95, 7.10]
    assert {p.slo.tpot_ms for p in points} == {9.1, 11.8, 24.6}


def test_imported_profiles_are_what_the_plan_uses(cli, tmp_path):
    out = tmp_path / "profiles.csv"
    result = cli(
        "profiles", "import", *VLLM_SWEEP, "-o", out, "--tpot-ms", "15", "--ttft-ms", "120"
    )
    assert result.exit_code == 0, result.stderr
    (point,) = load_profiles(out).points
    assert point.max_rps == 3.95
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    plan = cli("plan", spec, "--profiles", out, "--format", "json")
    assert plan.exit_code == 0, plan.stderr
    allocations = [a for a in json.loads(plan.stdout)["allocations"] if a["workload"] == "chat"]
    assert allocations and all(a["capacity_source"] == "profile" for a in allocations)
    assert sum(a["count"] for a in allocations) == 7  # 20 rps at the measured 3.95 per replica
    without = cli("plan", spec, "--format", "json")
    assert all(
        a["capacity_source"] == "roofline" for a in json.loads(without.stdout)["allocations"]
    )


def test_import_refuses_to_overwrite_without_force(cli, tmp_path):
    out = tmp_path / "profiles.csv"
    out.write_text("mine\n")
    result = cli("profiles", "import", VLLM_SWEEP[0], "-o", out)
    assert result.exit_code == 2 and "--force" in result.stderr and out.read_text() == "mine\n"
    assert cli("profiles", "import", VLLM_SWEEP[0], "-o", out, "--force").exit_code == 0


def test_import_says_what_it_wrote_in_one_line_or_as_json(cli, tmp_path):
    out = tmp_path / "profiles.csv"
    line = cli("profiles", "import", *VLLM_SWEEP, "-o", out, "--tpot-ms", "15")
    assert line.exit_code == 0 and line.stdout.count("\n") == 1
    assert line.stdout.startswith("Wrote 1 profile row(s)") and str(out) in line.stdout
    again = cli("profiles", "import", *VLLM_SWEEP, "-o", out, "--tpot-ms", "15", "--force",
                "--format", "json")  # fmt: skip
    summary = json.loads(again.stdout)
    assert summary["file"] == str(out) and summary["rows"] == 1
    assert summary["runs"] == len(VLLM_SWEEP) and summary["files"] == [str(f) for f in VLLM_SWEEP]


@pytest.mark.parametrize(
    ("name", "change", "field"),
    [
        ("vllm_rate2.json", {"request_throughput": "fast"}, "request_throughput"),
        ("vllm_rate2.json", {"completed": 0}, "completed"),
        ("vllm_rate2.json", {"mean_tpot_ms": None}, "mean_tpot_ms"),
        ("vllm_rate2.json", {"model_id": "no-such-model"}, "model"),
        ("vllm_rate2.json", {"accelerator": None}, "accelerator"),
        (
            "profile_export_genai_perf.json",
            {"time_to_first_token": {"unit": "ms"}},
            "time_to_first_token.p95",
        ),
        (
            "llmperf_550_150_summary.json",
            {"results_num_completed_requests_per_min": -1},
            "results_num_completed_requests_per_min",
        ),
    ],
)
def test_a_malformed_result_file_exits_2_naming_file_and_field(cli, tmp_path, name, change, field):
    data = json.loads((BENCH / name).read_text())
    data.update(change)
    bad = tmp_path / name
    bad.write_text(json.dumps(data))
    result = cli("profiles", "import", bad, "-o", tmp_path / "out.csv")
    assert result.exit_code == 2
    assert str(bad) in result.stderr and f"'{field}'" in result.stderr
    assert "Traceback" not in result.stderr


def test_files_that_are_no_result_file_exit_2(cli, tmp_path):
    for text, expected in (
        ("[1, 2]", "individual_responses"),
        ("{not json", "not valid JSON"),
        ('{"a": 1}', "not a result file"),
    ):
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        result = cli("profiles", "import", bad, "-o", tmp_path / "out.csv")
        assert result.exit_code == 2 and expected in result.stderr


@settings(max_examples=60, deadline=None)
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                "request_throughput",
                "mean_tpot_ms",
                "mean_ttft_ms",
                "completed",
                "total_input_tokens",
                "total_output_tokens",
                "time_to_first_token",
                "results_ttft_s_mean",
            ]
        ),
        st.one_of(
            st.none(),
            st.booleans(),
            st.floats(allow_nan=True),
            st.text(max_size=5),
            st.integers(-5, 10**6),
            st.dictionaries(st.text(max_size=3), st.floats()),
        ),
    )
)
def test_any_json_object_reads_or_fails_with_an_input_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "r.json"
    path.write_text(json.dumps(data))
    try:
        run = read_bench_file(path)
    except InputError as err:
        assert str(path) in str(err)
    else:
        assert run.requests_per_s > 0 and run.tpot_ms > 0


INDIVIDUAL = BENCH / "llmperf_550_150_individual_responses.json"


def _mean_e2e() -> float:
    records = [r for r in json.loads(INDIVIDUAL.read_text()) if r["error_code"] is None]
    assert len(records) == 38  # the two failed requests are left out
    return sum(r["end_to_end_latency_s"] for r in records) / len(records)


def test_llmperf_individual_responses_take_the_measured_rate_of_their_summary():
    run = read_bench_file(INDIVIDUAL)
    assert run.concurrency == 8  # from the summary beside it
    # the summary's completed requests per minute, not Little's law at the nominal 8 users
    assert run.requests_per_s == pytest.approx(93.2 / 60)
    assert run.requests_per_s != pytest.approx(8 / _mean_e2e(), rel=1e-3)
    assert run.model == "meta-llama/Llama-3.1-8B-Instruct"
    assert run.ttft_ms == pytest.approx(160)  # p95 of the requests' ttft_s
    assert run.tpot_ms == pytest.approx(33.1)
    assert (round(run.input_tokens), round(run.output_tokens)) == (550, 150)


def test_individual_responses_without_their_summary_need_the_concurrency(cli, tmp_path):
    alone = tmp_path / INDIVIDUAL.name
    alone.write_text(INDIVIDUAL.read_text())
    args = ("profiles", "import", alone, "--accelerator", "A10G", "--tp", "1")
    refused = cli(*args, "--model", "llama-3.1-8b", "-o", tmp_path / "a.csv")
    assert refused.exit_code == 2 and "--concurrency" in refused.stderr
    ok = cli(*args, "--model", "llama-3.1-8b", "--concurrency", "8", "-o", tmp_path / "b.csv")
    assert ok.exit_code == 0, ok.stderr
    (point,) = load_profiles(tmp_path / "b.csv").points
    # no summary: the rate by Little's law for 8 users in a closed loop
    assert point.max_rps == pytest.approx(8 / _mean_e2e(), rel=1e-5)


def test_a_summary_given_with_its_individual_responses_is_read_once(cli, tmp_path):
    summary = BENCH / "llmperf_550_150_summary.json"
    out = tmp_path / "p.csv"
    result = cli("profiles", "import", summary, INDIVIDUAL, "--accelerator", "A10G", "--tp", "1",
                 "-o", out)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "the same run" in result.stderr
    (point,) = load_profiles(out).points
    assert point.max_rps == pytest.approx(read_bench_file(INDIVIDUAL).requests_per_s, rel=1e-5)
    assert "individual responses" in out.read_text()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ttft_s": "slow"}, "[3].ttft_s"),
        ({"end_to_end_latency_s": None}, "[3].end_to_end_latency_s"),
    ],
)
def test_a_bad_request_record_names_its_index_and_field(tmp_path, change, field):
    records = json.loads(INDIVIDUAL.read_text())
    records[3] = {**records[3], **change}
    bad = tmp_path / INDIVIDUAL.name
    bad.write_text(json.dumps(records))
    with pytest.raises(InputError, match=rf"'{re.escape(field)}'"):
        read_bench_file(bad, concurrency=8)


@settings(max_examples=60, deadline=None)
@given(
    records=st.lists(
        st.dictionaries(
            st.sampled_from(
                [
                    "error_code",
                    "ttft_s",
                    "inter_token_latency_s",
                    "end_to_end_latency_s",
                    "number_input_tokens",
                    "number_output_tokens",
                ]
            ),
            st.one_of(
                st.none(), st.floats(allow_nan=True), st.integers(-3, 10**5), st.text(max_size=3)
            ),
        ),
        max_size=6,
    )
)
def test_any_request_list_reads_or_fails_with_an_input_error(tmp_path_factory, records):
    path = tmp_path_factory.mktemp("fuzz") / "x_individual_responses.json"
    path.write_text(json.dumps(records))
    try:
        run = read_bench_file(path, concurrency=4)
    except InputError as err:
        assert str(path) in str(err)
    else:
        assert run.requests_per_s > 0 and math.isfinite(run.ttft_ms)
