"""Hostile inputs to the verbs added last round (calibrate and --fit files, commit advise and its
--scenarios file): numbers are finite and in a physical range wherever they are read, the same
row twice never lets the order decide, and work is bounded by the input's size."""

from __future__ import annotations

import json
import math
import shutil
import signal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.report.commit_advice import _cost, best_level

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "tests" / "data" / "bench"
PLAN = ROOT / "tests" / "golden" / "plans" / "chatbot-fleet.json"
FIT_HEADER = ("scope,name,mfu,mbu,kv_mbu,step_overhead_ms,sequence_overhead_us,"
              "allreduce_latency_us,link_utilization,points,rms_log_error_before,"
              "rms_log_error_after\n")  # fmt: skip
FIT_ROW = "family,hopper,0.52,0.72,0.71,2,4.3,20,0.52,2,0.23,0.17\n"
ESTIMATE = ["estimate", "--model", "llama-3.1-8b", "--accelerator", "H100", "--input-tokens",
            "100", "--output-tokens", "10"]  # fmt: skip


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (FIT_ROW.replace(",2,4.3", ",1e308,4.3"), "field 'step_overhead_ms'"),
        (FIT_ROW.replace(",4.3,", ",1e300,"), "field 'sequence_overhead_us'"),
        (FIT_ROW.replace(",20,", ",1e300,"), "field 'allreduce_latency_us'"),
        (FIT_ROW.replace("0.72", "1e-300"), "field 'mbu'"),
        (FIT_ROW.replace("hopper", '=HYPERLINK("x")'), "unknown accelerator family"),
        (FIT_ROW.replace("hopper", "<img src=x>"), "unknown accelerator family"),
        (FIT_ROW + FIT_ROW.replace("0.52,0.72", "0.6,0.72"), "already on line 2"),
    ],
)
@pytest.mark.parametrize("verb", ["estimate", "plan"])
def test_a_fit_file_outside_its_ranges_exits_2_naming_line_and_field(
    cli, tmp_path, row, words, verb
):
    fit = tmp_path / "fit.csv"
    fit.write_text(FIT_HEADER + row)
    args = (
        ESTIMATE if verb == "estimate" else ["plan", ROOT / "examples" / "sagemaker-endpoint.yaml"]
    )
    result = cli(*args, "--fit", fit)
    assert result.exit_code == 2, result.stdout
    assert f"{fit}:" in result.stderr and words in result.stderr


def test_the_bundled_fit_and_a_calibrated_one_still_read(cli, tmp_path):
    out = tmp_path / "fit.csv"
    made = cli("calibrate", BENCH / "vllm_rate2.json", BENCH / "vllm_rate4.json", "--model",
               "llama-3.1-8b", "--accelerator", "H100", "-o", out)  # fmt: skip
    assert made.exit_code == 0, made.stderr
    assert cli(*ESTIMATE, "--fit", out).exit_code == 0


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [("request_throughput", 1e308, "requests_per_s"), ("p95_ttft_ms", 1e300, "ttft_ms"),
     ("mean_tpot_ms", 5e9, "tpot_ms")],
)  # fmt: skip
def test_a_benchmark_figure_beyond_any_run_exits_2_naming_file_and_field(
    cli, tmp_path, field, value, shown
):
    data = json.loads((BENCH / "vllm_rate2.json").read_text())
    data[field] = value
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data))
    shutil.copy(BENCH / "vllm_rate4.json", tmp_path / "other.json")
    result = cli("calibrate", path, tmp_path / "other.json", "--model", "llama-3.1-8b",
                 "--accelerator", "H100", "-o", tmp_path / "fit.csv")  # fmt: skip
    assert result.exit_code == 2, result.stdout
    assert f"{path}: field '{shown}'" in result.stderr
    assert not (tmp_path / "fit.csv").exists()


def _sweep(tmp_path, cost) -> Path:
    base = {"id": "base", "label": "base", "params": {}, "status": "optimal",
            "objective_value": 10.0, "cost_per_hour": 10.0}  # fmt: skip
    other = {**base, "id": "s1", "label": "traffic=2", "cost_per_hour": cost}
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps({"mode": "solve", "base": base, "results": [base, other],
                                "summary": None}))  # fmt: skip
    return path


@pytest.mark.parametrize("cost", [-50.0, 1e308, 1e12])
def test_commit_advise_refuses_a_scenario_cost_out_of_range(cli, tmp_path, cost):
    result = cli("commit", "advise", PLAN, "--scenarios", _sweep(tmp_path, cost))
    assert result.exit_code == 2, result.stdout
    assert "not a sweep result (results.1.cost_per_hour" in result.stderr


class _Deadline:
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


def test_the_commitment_level_of_a_huge_demand_is_found_without_scanning_every_level():
    samples = [4e7 + (h % 24) for h in range(24 * 1000)]  # 1,000 scenarios x 24 hours
    with _Deadline(60):
        level = best_level(samples, 0.4, whole=True)
    assert level == float(math.ceil(sorted(samples)[int(0.4 * len(samples))]))


@settings(max_examples=60, database=None)
@given(
    samples=st.lists(st.floats(0, 50, allow_nan=False) | st.integers(0, 50).map(float),
                     min_size=1, max_size=40),
    discount=st.floats(0.01, 0.9),
)  # fmt: skip
def test_the_commitment_level_is_the_cheapest_of_every_level(samples, discount):
    """The fast search gives the level the definition gives: the cheapest of 0, the samples
    (or, in whole units, of every whole number up to the largest sample), the smallest on ties."""
    for whole in (False, True):
        if whole:
            every = [float(k) for k in range(math.ceil(max(samples)) + 1)]
        else:
            every = sorted({0.0, *samples})
        best = min(every, key=lambda v: (round(_cost(v, discount, samples), 9), v))
        found = best_level(samples, discount, whole=whole)
        assert round(_cost(found, discount, samples), 9) == round(
            _cost(best, discount, samples), 9
        ), (whole, found, best)


@pytest.mark.parametrize(
    "schedule",
    ["0 2 * *\n1-5", "0\t2 * * *", "\u0660 2 * * *", "\u00b2 2 * * *",
     "*/" + "9" * 5000 + " * * * *", ",".join(["0"] * 200) + " 2 * * *"],
    ids=["newline", "tab", "arabic-digit", "superscript", "huge-step", "too-long"],
)  # fmt: skip
def test_a_schedule_outside_the_cron_grammar_exits_2_naming_the_field(cli, tmp_path, schedule):
    spec = (ROOT / "examples" / "recurring" / "nightly-daily.yaml").read_text()
    path = tmp_path / "spec.yaml"
    path.write_text(spec.replace('"0 2 * * *"', json.dumps(schedule)))
    result = cli("validate", path)
    assert result.exit_code == 2, result.stdout
    assert "workloads[0].schedule" in result.stderr and "ASCII digits" in result.stderr
    assert "int_max_str_digits" not in result.stderr and "invalid literal" not in result.stderr


def _edited(tmp_path, change) -> Path:
    plan = json.loads((ROOT / "tests" / "golden" / "plans" / "nightly-batch-spot.json").read_text())
    change(plan)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    return path


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p["workloads"][0].__setitem__("schedule", "0 2 * *\n# heading"), "schedule"),
        (lambda p: p["workloads"][0].__setitem__("allowed_regions", ["<img src=x>"]),
         "allowed_regions"),
        (lambda p: p["workloads"][0].__setitem__("regions", ["aws/=cmd|' /C calc'!A0"]), "regions"),
        (lambda p: p["allocations"][0].__setitem__("service", "<b>ec2</b>"), "service"),
        (lambda p: p["allocations"][0].__setitem__("provider", "aws\n# heading"), "provider"),
        (lambda p: p["allocations"][0].__setitem__("shared_group", "a\nb"), "shared_group"),
        (lambda p: p["allocations"][0].__setitem__("capacity_pool", "=1+1"), "capacity_pool"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("verb", ["report", "export"])
def test_a_hand_edited_plan_with_markup_in_an_identifier_exits_2(cli, tmp_path, change, field,
                                                                 verb):  # fmt: skip
    args = [verb, _edited(tmp_path, change)] + (["--format", "md"] if verb == "report" else [])
    result = cli(*args)
    assert result.exit_code == 2, result.stdout[:500]
    assert field in result.stderr and "Traceback" not in result.stderr


RATES = ROOT / "examples" / "rates" / "savings-plan.yaml"


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("discount: 0.30", "discount: 1.0", "leaves nothing to pay"),
        ("provider: azure", "provider: 'azure\\n# x'", "commitments[1].provider"),
        ("provider: azure", "provider: azure\n    services: ['<b>vm</b>']",
         "commitments[1].services"),
    ],
)  # fmt: skip
def test_a_rates_file_outside_its_grammar_exits_2_naming_the_field(cli, tmp_path, old, new,
                                                                   words):  # fmt: skip
    path = tmp_path / "rates.yaml"
    path.write_text(RATES.read_text().replace(old, new, 1))
    result = cli("plan", ROOT / "examples" / "hybrid-fleet.yaml", "--rates", path, "--date",
                 "2026-11-15", "--time-limit", "10")  # fmt: skip
    assert result.exit_code == 2, result.stdout[-500:]
    assert words in result.stderr and "Traceback" not in result.stderr
