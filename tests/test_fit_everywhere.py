"""`--fit FILE` (or PLANNER_FIT / `fit =` in planner.toml) reaches every verb that sizes capacity
with the performance model: frontier, sweep, schedule, observe and rightsize give other figures
with a fit that says the chips are slower, and the same figures without one."""

from __future__ import annotations

import json
import time

import pytest

from planner.observe.model import Observation, WorkloadObservation
from tests.conftest import EXAMPLES, ROOT
from tests.fakes.server import FakeServer, Reply
from tests.slow_fit import write_slow_fit

BATCH = next(p for p in EXAMPLES if p.name == "nightly-batch-spot.yaml")
TRADEOFF = next(p for p in EXAMPLES if p.name == "batch-deadline-tradeoff.yaml")
JOBS = ROOT / "examples" / "jobs" / "jobs.yaml"
SPEC = """\
workloads:
  - name: chat
    kind: serving
    model: llama-3.1-8b
    traffic: {requests_per_second: 12, input_tokens: 300, output_tokens: 120}
    slo: {ttft_p95_ms: 1500, tpot_ms: 60}
    placement: {providers: [aws], regions: [us-east-1], services: [vm], accelerators: [A10G]}
"""


@pytest.fixture(scope="module")
def fit(tmp_path_factory):
    return write_slow_fit(tmp_path_factory.mktemp("fit") / "slow-fit.csv")


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_frontier_with_a_fit_costs_more_and_names_it(cli, fit):
    args = ("frontier", TRADEOFF, "--points", "2", "--date", "2026-12-01", "--format", "json")
    plain, slow = _json(cli(*args)), _json(cli(*args, "--fit", fit))
    points = [[p["job_cost"] for p in d["annotations"]["frontier"]] for d in (slow, plain)]
    assert points[0] != points[1]
    assert slow["job_cost"] > plain["job_cost"]
    assert str(fit) in slow["provenance"]["perf_fit"] and plain["provenance"]["perf_fit"] is None


def test_sweep_with_a_fit_sizes_every_scenario_with_it(cli, fit, tmp_path, monkeypatch):
    scenarios = tmp_path / "scenarios.yaml"
    scenarios.write_text("axes:\n  - {kind: traffic, values: [2]}\n")
    args = ("sweep", BATCH, "--scenarios", scenarios, "--workers", "1", "-q", "--format", "json")
    plain, slow = _json(cli(*args)), _json(cli(*args, "--fit", fit))
    assert slow["base"]["job_cost"] > plain["base"]["job_cost"]
    (p,), (s,) = plain["results"], slow["results"]
    assert s["job_cost"] > p["job_cost"]
    monkeypatch.setenv("PLANNER_FIT", str(fit))  # the environment sets it too
    assert _json(cli(*args))["base"]["job_cost"] == slow["base"]["job_cost"]


def test_schedule_with_a_fit_gives_the_jobs_longer_durations(cli, fit):
    args = ("schedule", JOBS, "--policy", "fcfs", "--format", "json")
    plain, slow = _json(cli(*args)), _json(cli(*args, "--fit", fit))
    (p,), (s,) = plain["policies"], slow["policies"]
    assert s["completion_mean_h"] > p["completion_mean_h"] and s["cost"] > p["cost"]


def _prometheus_answer(request) -> Reply:
    """Every series of one workload 'chat': 4 req/s of 300 in and 120 out tokens, TTFT 0.3 s,
    TPOT 40 ms, two replicas."""
    query = request.query.get("query", "")
    labels = {"planner_workload": "chat"}
    if request.path.endswith("query_range"):
        start, end = float(request.query["start"]), float(request.query["end"])
        step = float(request.query["step"].rstrip("s"))
        value = "2" if query.startswith("count by") else "4"
        values = [[start + i * step, value] for i in range(int((end - start) / step) + 1)]
        result = [{"metric": labels, "values": values}]
        return Reply(200, {"status": "success", "data": {"resultType": "matrix", "result": result}})
    figures = [
        ("prompt_tokens", 300), ("generation_tokens", 120), ("time_to_first_token", 0.3),
        ("time_per_output_token", 0.04), ("num_requests_running", 3), ("num_requests_waiting", 0),
        ("gpu_cache_usage", 0.5), ("GPU_UTIL", 60), ("FB_USED", 18000),
    ]  # fmt: skip
    value = next((v for name, v in figures if name in query), 1)
    result = [{"metric": labels, "value": [time.time(), str(value)]}]
    return Reply(200, {"status": "success", "data": {"resultType": "vector", "result": result}})


@pytest.fixture(scope="module")
def chat(tmp_path_factory):
    from planner.solve import solve
    from planner.spec import parse_spec

    folder = tmp_path_factory.mktemp("chat")
    spec_file, plan_file = folder / "chat.yaml", folder / "plan.json"
    spec_file.write_text(SPEC)
    plan = solve(parse_spec(SPEC), baselines=False)
    plan_file.write_text(plan.model_dump_json())
    return spec_file, plan_file, plan


def test_observe_with_a_fit_compares_the_observation_with_the_fitted_model(cli, fit, chat):
    spec_file, plan_file, _ = chat
    with FakeServer(_prometheus_answer) as prometheus:
        args = ("observe", "--plan", plan_file, "--spec", spec_file, "--source", "prometheus",
                "--url", prometheus.url, "--window", "2h", "--format", "json")  # fmt: skip
        plain, slow = _json(cli(*args)), _json(cli(*args, "--fit", fit))
    assert plain["calibration"] and slow["calibration"]
    assert plain["calibration"] != slow["calibration"]
    assert plain["workloads"] == slow["workloads"]  # planned beside observed: not the model's


def test_rightsize_with_a_fit_plans_the_observed_traffic_with_it(cli, fit, chat, tmp_path):
    spec_file, plan_file, plan = chat
    observed = WorkloadObservation(
        workload="chat", status="ok", rps_mean=6.0, rps_p95=8.0, input_tokens=300.0,
        output_tokens=120.0, ttft_p95_ms=300.0, tpot_p95_ms=40.0, tpot_mean_ms=32.0,
        replicas=2.0,
    )  # fmt: skip
    observation = Observation(
        source="prometheus", url="http://127.0.0.1:9", plan_id=plan.plan_id,
        label="planner_workload", start=1.79e9, end=1.79e9 + 86400, step_s=3600,
        workloads=(observed,),
    )  # fmt: skip
    obs_file = tmp_path / "observation.json"
    obs_file.write_text(json.dumps({"observation": observation.model_dump()}))
    costs = []
    for extra in ((), ("--fit", fit)):
        out, new_spec = tmp_path / f"plan{len(costs)}.json", tmp_path / f"spec{len(costs)}.yaml"
        result = cli("rightsize", "--plan", plan_file, "--spec", spec_file, "--observation",
                     obs_file, "--write-spec", new_spec, "--plan-out", out, *extra)  # fmt: skip
        assert result.exit_code == 0, result.stderr
        costs.append(json.loads(out.read_text())["cost_per_hour"])
    assert costs[1] > costs[0]


def test_simulate_and_autoscale_size_replicas_with_the_fit(cli, tmp_path):
    # a little slower only: the plan's replicas must still serve their request sizes
    fit = write_slow_fit(tmp_path / "fit.csv", share=0.85)
    chatbot = next(p for p in EXAMPLES if p.name == "chatbot-fleet.yaml")
    plan_file = tmp_path / "plan.json"
    made = cli("plan", chatbot, "--date", "2026-12-01", "--format", "json", "-o", plan_file)
    assert made.exit_code == 0, made.stderr
    common = (plan_file, "--spec", chatbot, "--format", "json")
    plain = _json(cli("autoscale", *common))
    slow = _json(cli("autoscale", *common, "--fit", fit))
    (p,), (s,) = plain["workloads"], slow["workloads"]
    assert sum(s["slo_replicas"]) > sum(p["slo_replicas"])  # slower chips: more replicas
    runs = [_json(cli("simulate", *common, "--requests", "3000", *extra))
            for extra in ((), ("--fit", fit))]  # fmt: skip
    waits = [sum(w["wait_mean_ms"] for w in r["workloads"]) for r in runs]
    assert waits[1] > waits[0]  # the same replicas serve slower: requests wait longer
