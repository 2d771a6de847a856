"""`planner estimate` and `planner queue`: exit codes, JSON fields and user-facing messages."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from planner.cli import app as app_module
from planner.facts import find_accelerator, find_llm
from planner.perf import SLO, replica_capacity
from planner.queueing import mmc, mmc_wait_tail

ESTIMATE_70B = (
    "estimate",
    "--model",
    "llama-3.1-70b",
    "--accelerator",
    "H100",
    "--count",
    "8",
    "--input-tokens",
    "1000",
    "--output-tokens",
    "250",
    "--tpot-ms",
    "50",
)


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_estimate_picks_the_smallest_tp_that_fits(cli):
    record = _json(cli(*ESTIMATE_70B, "--format", "json"))
    assert record["tp"] == 2 and record["replicas_per_instance"] == 4
    assert record["fits"] is True
    assert record["kv_bytes_per_token"] == 327680
    for field in ("max_batch", "ttft_ms", "tpot_ms", "tokens_per_s", "max_rps"):
        assert isinstance(record[field], int | float) and record[field] > 0
    assert record["tpot_ms"] <= 50
    assert record["instance_max_rps"] == pytest.approx(4 * record["max_rps"], rel=1e-5)
    assert record["source"] == "roofline"


def test_estimate_with_explicit_tp_matches_the_library(cli):
    record = _json(cli(*ESTIMATE_70B, "--tp", "4", "--ttft-ms", "2000", "--format", "json"))
    expected = replica_capacity(
        find_llm("llama-3.1-70b"),
        find_accelerator("H100"),
        4,
        1000,
        250,
        SLO(tpot_ms=50, ttft_ms=2000),
    )
    assert record["tp"] == 4 and record["replicas_per_instance"] == 2
    assert record["max_rps"] == pytest.approx(expected.max_rps, rel=1e-6)
    assert record["max_batch"] == expected.max_batch
    assert record["ttft_slo_ms"] == 2000 and record["tpot_slo_ms"] == 50


def test_estimate_table_output(cli):
    result = cli(*ESTIMATE_70B)
    assert result.exit_code == 0
    for text in ("llama-3.1-70b", "max_rps", "tpot_ms", "kv_bytes_per_token"):
        assert text in result.stdout


def test_estimate_reports_what_does_not_fit(cli):
    record = _json(
        cli(
            "estimate",
            "--model",
            "llama-3.1-70b",
            "--accelerator",
            "L4",
            "--input-tokens",
            "1000",
            "--output-tokens",
            "250",
            "--format",
            "json",
        )
    )
    assert record["fits"] is False and record["max_rps"] == 0
    assert "does not fit at any TP on 1 x L4" in record["reason"]


def test_estimate_8b_fp8_on_one_l4(cli):
    args = ("--input-tokens", "500", "--output-tokens", "100", "--format", "json")
    record = _json(
        cli(
            "estimate",
            "--model",
            "llama-3.1-8b",
            "--accelerator",
            "L4",
            *args,
            "--weights-dtype",
            "fp8",
            "--kv-dtype",
            "fp8",
        )
    )
    assert record["fits"] and record["tp"] == 1
    assert record["weights_dtype"] == "fp8" and record["kv_bytes_per_token"] == 65536


@pytest.mark.parametrize(
    "args, expected",
    [
        (("--model", "llama-9", "--accelerator", "H100"), "known models: llama-3.2-1b"),
        (("--model", "llama-3.1-8b", "--accelerator", "B900"), "known accelerators: T4"),
        (("--model", "llama-3.1-8b", "--accelerator", "H100", "--tp", "3"), "allowed here: 1"),
        (("--model", "llama-3.1-8b", "--accelerator", "H100", "--kv-dtype", "int4"), "fp8"),
        (("--model", "llama-3.1-8b", "--accelerator", "H100", "--tpot-ms", "-5"), "--tpot-ms"),
    ],
)
def test_estimate_bad_input_exits_2_without_traceback(cli, args, expected):
    result = cli("estimate", *args, "--input-tokens", "100", "--output-tokens", "10")
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_estimate_uses_profiles(cli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "model,accelerator,tp,input_tokens,output_tokens,max_rps,tpot_ms,ttft_ms\n"
        "llama-3.1-70b,H100,2,1000,250,1.5,40,\n",
        encoding="utf-8",
    )
    record = _json(cli(*ESTIMATE_70B, "--profiles", path, "--format", "json"))
    assert record["source"] == "profile" and record["max_rps"] == 1.5
    assert record["instance_max_rps"] == 6.0
    path.write_text("model,accelerator\n", encoding="utf-8")
    result = cli(*ESTIMATE_70B, "--profiles", path)
    assert result.exit_code == 2 and "p.csv: line 1" in result.stderr


def test_queue_prints_mmc_figures(cli):
    args = ("queue", "--arrival-rate", "10", "--service-rate", "4", "--servers", "3")
    record = _json(cli(*args, "--wait-ms", "100", "--format", "json"))
    expected = mmc(10, 4, 3)
    assert record["stable"] is True
    assert record["utilization"] == pytest.approx(expected.utilization)
    assert record["prob_wait"] == pytest.approx(125 / 178)
    assert record["mean_wait_ms"] == pytest.approx(expected.mean_wait_s * 1e3)
    assert record["mean_time_in_system_ms"] == pytest.approx(expected.mean_time_in_system_s * 1e3)
    assert record["p_wait_gt_t"] == pytest.approx(mmc_wait_tail(10, 4, 3, 0.1))
    assert "prob_wait" in cli(*args).stdout


def test_queue_reports_unstable_systems(cli):
    result = cli(
        "queue", "--arrival-rate", "20", "--service-rate", "4", "--servers", "3", "--format", "json"
    )
    record = _json(result)
    assert record["stable"] is False and record["mean_wait_ms"] is None
    assert "unstable" in record["reason"]
    assert "NaN" not in result.stdout and "Infinity" not in result.stdout


def test_queue_bad_rate_exits_2(cli):
    result = cli("queue", "--arrival-rate", "1", "--service-rate", "0")
    assert result.exit_code == 2 and "service rate" in result.stderr


def test_verbs_are_registered_with_the_app():
    app_module._register()
    result = CliRunner().invoke(
        app_module.app,
        ["queue", "--arrival-rate", "1", "--service-rate", "2", "--format", "json"],
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["utilization"] == 0.5
