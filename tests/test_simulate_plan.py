"""The request simulator on real plans: routing, replica model, latency report, traces, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from planner.errors import InputError
from planner.schedule import read_trace, serving_models, simulate
from planner.schedule.simulate import assign_buckets
from planner.solve import solve
from planner.spec import load_spec
from tests.conftest import ROOT

CHATBOT = ROOT / "examples" / "chatbot-fleet.yaml"


@pytest.fixture(scope="module")
def chatbot():
    spec = load_spec(CHATBOT)
    return solve(spec), spec


@pytest.fixture(scope="module")
def plan_file(chatbot, tmp_path_factory):
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    path.write_text(chatbot[0].model_dump_json())
    return path


def test_recovered_routing_matches_the_plans_rates_and_utilisations(chatbot):
    plan, spec = chatbot
    for model in serving_models(plan, spec):
        workload = next(w for w in spec.workloads if w.name == model.workload)
        demand = [workload.traffic.requests_per_second * f for f in model.fractions]
        per_bucket = np.sum([[b.routed_rps for b in g.buckets] for g in model.groups], axis=0)
        np.testing.assert_allclose(per_bucket, demand, rtol=1e-5)
        for g in model.groups:
            allocation = plan.allocations[g.index]
            assert g.routed_rps == pytest.approx(allocation.routed_rps, abs=1e-5)
            load = sum(b.routed_rps / (g.replicas * b.max_rps) for b in g.buckets if b.routed_rps)
            assert load == pytest.approx(allocation.utilisation or 0.0, abs=1e-4)


def test_replica_slots_keep_the_performance_models_capacity(chatbot):
    for model in serving_models(*chatbot):
        for g in model.groups:
            used = [b for b in g.buckets if b.routed_rps > 0]
            if not used:
                continue
            share = np.array([b.routed_rps for b in used]) / g.routed_rps
            mean_duration = float(share @ [b.duration_s for b in used])
            model_rate = 1 / float(share @ [1 / b.max_rps for b in used])
            assert g.slots / mean_duration == pytest.approx(model_rate, rel=1 / g.slots + 1e-9)


def test_fcfs_simulation_of_the_plan_meets_its_slos(chatbot):
    plan, spec = chatbot
    report = simulate(plan, spec, requests=60_000, policy="fcfs", seed=1)
    assert report.requests == 60_000
    for w in report.workloads:
        assert w.meets_slo, w
        assert w.ttft_p50_ms <= w.ttft_p95_ms <= w.ttft_p99_ms
        assert w.e2e_p95_ms >= w.ttft_p95_ms
        assert w.utilisation == pytest.approx(w.planned_utilisation, abs=0.1)
    chat, assistant = report.workloads
    assert chat.requests / assistant.requests == pytest.approx(40 / 6, rel=0.01)


def test_simulation_is_deterministic_for_a_seed(chatbot):
    plan, spec = chatbot
    first = simulate(plan, spec, requests=5_000, policy="sjf", seed=7)
    assert first == simulate(plan, spec, requests=5_000, policy="sjf", seed=7)
    assert first != simulate(plan, spec, requests=5_000, policy="sjf", seed=8)


def test_preemptive_priority_favours_the_high_class(chatbot):
    plan, spec = chatbot
    report = simulate(plan, spec, 40_000, "priority-preemptive", 2, high_priority_share=0.3)
    for w in report.workloads:
        high, low = w.classes
        assert (high.priority, low.priority) == (1, 0)
        assert high.wait_mean_ms <= low.wait_mean_ms


def test_trace_requests_fall_in_the_smallest_covering_bucket():
    buckets = [(300, 150), (2000, 300), (8000, 500)]
    chosen = assign_buckets(np.array([10, 301, 2000, 9000]), np.array([10, 10, 301, 1]), buckets)
    assert chosen.tolist() == [0, 1, 2, 2]


def _write_trace(path, rows, header="arrival_s,input_tokens,output_tokens,workload,priority"):
    path.write_text("# test trace\n" + header + "\n" + "\n".join(rows) + "\n")
    return path


def test_cli_simulate_json(cli, plan_file):
    result = cli(
        "simulate", plan_file, "--spec", CHATBOT, "--requests", "20000", "--seed", "3",
        "--policy", "rr", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["policy"] == "rr" and data["source"] == "poisson" and data["requests"] == 20_000
    assert {w["workload"] for w in data["workloads"]} == {"chat-8b", "assistant-70b"}
    assert all(0 <= w["slo_attainment"] <= 1 for w in data["workloads"])


def test_cli_simulate_trace(cli, plan_file, tmp_path):
    rng = np.random.default_rng(0)
    rows = [
        f"{t:.3f},{rng.integers(100, 3000)},{rng.integers(20, 400)},"
        f"{'chat-8b' if i % 5 else 'assistant-70b'},{i % 2}"
        for i, t in enumerate(np.cumsum(rng.exponential(1 / 30, 3000)))
    ]
    trace = _write_trace(tmp_path / "trace.csv", rows)
    result = cli("simulate", plan_file, "--spec", CHATBOT, "--trace", trace, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["source"] == str(trace) and data["requests"] == 3000
    assert [w["requests"] for w in data["workloads"]] == [2400, 600]
    table = cli("simulate", plan_file, "--spec", CHATBOT, "--trace", trace, "--policy", "priority")
    assert table.exit_code == 0 and "chat-8b (priority 1)" in table.stdout


def test_bad_traces_and_plans_exit_2(cli, plan_file, tmp_path):
    bad = _write_trace(tmp_path / "bad.csv", ["0.5,100,10,chat-8b,0", "1.0,lots,10,chat-8b,0"])
    result = cli("simulate", plan_file, "--spec", CHATBOT, "--trace", bad)
    assert result.exit_code == 2 and f"{bad}:4: input_tokens: expected a whole number" in (
        result.stderr
    )
    no_names = _write_trace(
        tmp_path / "anon.csv", ["0.5,100,10"], "arrival_s,input_tokens,output_tokens"
    )
    result = cli("simulate", plan_file, "--spec", CHATBOT, "--trace", no_names)
    assert result.exit_code == 2 and "add a `workload` column" in result.stderr
    missing = _write_trace(tmp_path / "cols.csv", ["0.5,100"], "arrival_s,input_tokens")
    with pytest.raises(InputError, match=r"missing column\(s\) output_tokens"):
        read_trace(missing)
    broken = tmp_path / "plan.json"
    broken.write_text('{"schema_version": 1}')
    result = cli("simulate", broken, "--spec", CHATBOT)
    assert result.exit_code == 2 and f"Invalid plan {broken}" in result.stderr
    other_spec = ROOT / "examples" / "eu-residency.yaml"
    result = cli("simulate", plan_file, "--spec", other_spec)
    assert result.exit_code == 1 and "made for another spec" in result.stderr


EDGE = """\
workloads:
  - name: store-chat
    kind: serving
    model: llama-3.1-8b
    traffic: {requests_per_second: 20, input_tokens: 600, output_tokens: 150}
    slo: {ttft_p95_ms: 1500, tpot_ms: 80}
    edge_share_max: 0.5
    placement: {providers: [aws], regions: [us-east-1]}
capacity:
  - {kind: edge, name: stores, device: jetson-agx-orin, devices: 40, regions: [us-east-1],
     rtt_ms: 20}
"""


def test_edge_replicas_run_the_pools_quantisation_and_pay_the_round_trip():
    from planner.spec import parse_spec

    spec = parse_spec(EDGE)
    plan = solve(spec)
    (model,) = serving_models(plan, spec)
    edge = [g for g in model.groups if g.network_s > 0]
    assert edge and all(g.network_s == pytest.approx(0.020) for g in edge)
    for g in edge:  # the same capacity the solver planned: utilisation reproduced
        load = sum(b.routed_rps / (g.replicas * b.max_rps) for b in g.buckets if b.routed_rps)
        assert load == pytest.approx(plan.allocations[g.index].utilisation, abs=1e-4)
    report = simulate(plan, spec, requests=20_000, seed=4)
    assert report.workloads[0].ttft_p50_ms >= 20.0
