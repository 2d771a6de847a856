"""`planner calibrate` and `planner estimate --concurrency/--rate`, end to end: import ->
calibrate -> plan with the fit -> the plan names the fit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.facts import find_accelerator
from planner.perf.efficiency import load_fit

BENCH = Path(__file__).parent / "data" / "bench"
RUNS = [str(BENCH / f"vllm_rate{r}.json") for r in (2, 4, 8)]
ROOT = Path(__file__).resolve().parent.parent


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_calibrate_writes_a_fit_that_predicts_the_runs_better(cli, tmp_path):
    fit = tmp_path / "fit.csv"
    summary = _json(cli("calibrate", *RUNS, "-o", str(fit), "--format", "json"))
    (row,) = summary["rows"]
    assert row["scope"] == "family" and row["name"] == "hopper" and row["points"] == 3
    assert row["rms_log_error_after"] <= row["rms_log_error_before"]
    loaded = load_fit(fit)
    assert loaded.lookup(find_accelerator("H200")) is not None  # same family
    assert loaded.lookup(find_accelerator("L4")) is None


def test_a_plan_made_with_a_fit_names_it_and_verify_accepts_it(cli, tmp_path):
    fit = tmp_path / "fit.csv"
    _json(cli("calibrate", *RUNS, "-o", str(fit), "--by", "accelerator", "--format", "json"))
    plan_file = tmp_path / "plan.json"
    spec = str(ROOT / "examples" / "chatbot-fleet.yaml")
    made = cli("plan", spec, "--fit", str(fit), "-o", str(plan_file), "--format", "json")
    assert made.exit_code == 0, made.stderr
    plan = json.loads(plan_file.read_text())
    assert plan["provenance"]["perf_fit"] == load_fit(fit).label
    assert str(fit) in plan["provenance"]["perf_fit"]
    checked = cli("verify", str(plan_file), spec, "--fit", str(fit))
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    table = cli("plan", spec, "--fit", str(fit), "--quiet")
    assert table.exit_code == 0 and "sized with the efficiency fit" in table.stdout


def test_a_plan_without_a_fit_records_none(cli, tmp_path):
    plan_file = tmp_path / "plan.json"
    spec = str(ROOT / "examples" / "chatbot-fleet.yaml")
    assert cli("plan", spec, "-o", str(plan_file), "--format", "json").exit_code == 0
    assert json.loads(plan_file.read_text())["provenance"]["perf_fit"] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("scope,name\nfamily,hopper\n", "no column"),
        ("scope,name,mfu,mbu,kv_mbu,step_overhead_ms,sequence_overhead_us,allreduce_latency_us,"
         "link_utilization\nchip,hopper,0.5,0.8,0.6,2,4,20,0.5\n", ":2: field 'scope'"),
        ("scope,name,mfu,mbu,kv_mbu,step_overhead_ms,sequence_overhead_us,allreduce_latency_us,"
         "link_utilization\nfamily,hopper,1.5,0.8,0.6,2,4,20,0.5\n", ":2: field 'mfu'"),
    ],
)  # fmt: skip
def test_a_bad_fit_file_exits_2_naming_line_and_field(cli, tmp_path, text, expected):
    fit = tmp_path / "fit.csv"
    fit.write_text(text)
    result = cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "H100",
                 "--input-tokens", "100", "--output-tokens", "100", "--fit", str(fit))  # fmt: skip
    assert result.exit_code == 2 and expected in result.stderr
    assert "Traceback" not in result.stderr


def test_estimate_at_a_concurrency_reports_percentiles_and_queueing(cli):
    base = ("estimate", "--model", "llama-3.1-8b", "--accelerator", "A10G",
            "--input-tokens", "550", "--output-tokens", "177", "--format", "json")  # fmt: skip
    calm = _json(cli(*base, "--concurrency", "4"))
    packed = _json(cli(*base, "--concurrency", "400"))
    assert calm["queueing"] is False and packed["queueing"] is True
    assert packed["admission_limit"] < 400
    assert packed["slot_wait_ms"] > 0
    assert packed["load_ttft_p50_ms"] > calm["load_ttft_p99_ms"]
    for record in (calm, packed):
        assert (
            record["load_ttft_p50_ms"] <= record["load_ttft_p90_ms"] <= record["load_ttft_p99_ms"]
        )


def test_estimate_at_a_rate_beyond_capacity_says_it_is_unstable(cli):
    base = ("estimate", "--model", "llama-3.1-8b", "--accelerator", "A10G",
            "--input-tokens", "550", "--output-tokens", "177", "--format", "json")  # fmt: skip
    top = _json(cli(*base))["max_rps"]
    fine = _json(cli(*base, "--rate", str(0.5 * top)))
    over = _json(cli(*base, "--rate", str(2 * top)))
    assert fine["stable"] is True and fine["load_requests_per_s"] == pytest.approx(0.5 * top, 1e-4)
    assert over["stable"] is False and over["load_ttft_p99_ms"] is None
    assert "without bound" in over["load_reason"]
    both = cli(*base, "--rate", "1", "--concurrency", "2")
    assert both.exit_code == 2 and "not both" in both.stderr


def test_the_python_api_estimates_a_load():
    import planner.api as api

    load = api.estimate_load("llama-3.1-8b", "H100", 1000, 200, concurrency=32)
    assert load.mode == "concurrency" and load.ttft_ms.p99 >= load.ttft_ms.p50
    with pytest.raises(Exception, match="exactly one"):
        api.estimate_load("llama-3.1-8b", "H100", 1000, 200)
