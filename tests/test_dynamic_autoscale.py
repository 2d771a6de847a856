"""Dynamic (hourly) vs static (peak-sized) allocation of serving workloads."""

from __future__ import annotations

import json
import math

import pytest

from planner.facts import find_accelerator, find_llm
from planner.perf import SLO, replica_capacity
from planner.perf.sizing import queueing_cap
from planner.queueing import mmc_wait_percentile
from planner.schedule import autoscale, serving_models
from planner.solve import solve
from planner.spec import load_spec, parse_spec
from tests.conftest import ROOT

CHATBOT = ROOT / "examples" / "chatbot-fleet.yaml"
PROFILE = [0.2, 0.15, 0.1, 0.1, 0.1, 0.15, 0.3, 0.5, 0.7, 0.9, 1.0, 1.0,
           1.0, 0.95, 0.9, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.25]  # fmt: skip
DIURNAL = f"""\
workloads:
  - name: chat
    kind: serving
    model: llama-3.1-8b
    traffic:
      requests_per_second: 60
      buckets:
        - {{input_tokens: 400, output_tokens: 150, fraction: 0.8}}
        - {{input_tokens: 3000, output_tokens: 300, fraction: 0.2}}
      hourly_profile: {PROFILE}
    slo: {{ttft_p95_ms: 1000, tpot_ms: 50}}
    min_replicas: 2
    placement: {{providers: [aws], regions: [us-east-1], accelerators: [L4, A10G]}}
  - name: flat
    kind: serving
    model: qwen2.5-7b
    traffic: {{requests_per_second: 5, input_tokens: 500, output_tokens: 100}}
    placement: {{providers: [aws], regions: [us-east-1], accelerators: [L4]}}
"""


@pytest.fixture(scope="module")
def diurnal():
    spec = parse_spec(DIURNAL, "diurnal.yaml")
    return solve(spec), spec


def test_dynamic_costs_less_than_static_for_a_diurnal_profile(diurnal):
    result = autoscale(*diurnal)
    (chat,) = result.workloads
    assert chat.dynamic_cost_per_day < 0.8 * chat.static_cost_per_day
    assert chat.saving_per_day == pytest.approx(
        chat.static_cost_per_day - chat.dynamic_cost_per_day
    )
    assert result.skipped == ["flat: no hourly_profile (static)"]
    static_per_hour = sum(a.static_instances * a.price_per_hour for a in chat.allocations)
    assert chat.static_cost_per_day == pytest.approx(24 * static_per_hour)


def test_dynamic_never_drops_below_the_slo_count_or_min_replicas(diurnal):
    (chat,) = autoscale(*diurnal).workloads
    for h in range(24):
        assert chat.replicas[h] >= max(chat.slo_replicas[h], 2)
        assert chat.replicas[h] <= chat.static_replicas
        for a in chat.allocations:
            assert 0 <= a.instances[h] <= a.static_instances
    assert chat.bounds.min_replicas == min(chat.replicas) < chat.bounds.max_replicas
    assert chat.bounds.max_replicas == max(chat.replicas)
    assert chat.replicas[PROFILE.index(0.1)] < chat.replicas[PROFILE.index(1.0)]


def test_every_hours_replicas_carry_their_load_within_the_slo(diurnal):
    """Recomputed from the performance and queueing models: each replica's load in each hour
    stays within what the planner allows, and its p95 queueing wait fits the TTFT SLO."""
    plan, spec = diurnal
    workload = spec.workloads[0]
    model = find_llm(workload.model)
    slo = SLO(tpot_ms=workload.slo.tpot_ms, ttft_ms=workload.slo.ttft_p95_ms)
    (chat,) = autoscale(plan, spec).workloads
    groups = {g.index: g for g in serving_models(plan, spec)[0].groups}
    for a in chat.allocations:
        allocation = plan.allocations[a.allocation]
        accelerator = find_accelerator(allocation.accelerator)
        group = groups[a.allocation]
        for h, fraction in enumerate(PROFILE):
            replicas = a.instances[h] * a.replicas_per_instance
            load = 0.0
            for bucket, routed in zip(
                workload.traffic.request_buckets(),
                (b.routed_rps for b in group.buckets),
                strict=True,
            ):
                if routed <= 0:
                    continue
                capacity = replica_capacity(
                    model,
                    accelerator,
                    allocation.tp,
                    bucket.input_tokens,
                    bucket.output_tokens,
                    slo,
                )
                per_replica = routed * fraction / replicas
                load += per_replica / (capacity.max_rps * queueing_cap(capacity, slo.ttft_ms))
                slots = max(1, math.floor(capacity.batch))
                wait = mmc_wait_percentile(per_replica, capacity.max_rps / slots, slots, 0.95)
                assert wait * 1000 + capacity.ttft_ms <= workload.slo.ttft_p95_ms + 1e-6
            assert load <= 1 + 1e-6, (a.label, h, load)


def test_chatbot_example_saves_money_and_keeps_its_regions():
    spec = load_spec(CHATBOT)
    result = autoscale(solve(spec), spec)
    (chat,) = result.workloads
    assert chat.dynamic_cost_per_day < chat.static_cost_per_day
    assert all(min(a.instances) >= 1 for a in chat.allocations)  # min_regions: 2
    assert chat.bounds.target_rps_per_replica > 0
    assert "assistant-70b: no hourly_profile (static)" in result.skipped


def test_cli_autoscale_json_and_table(cli, diurnal, tmp_path):
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(diurnal[0].model_dump_json())
    spec_file = tmp_path / "diurnal.yaml"
    spec_file.write_text(DIURNAL)
    result = cli("autoscale", plan_file, "--spec", spec_file, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    (chat,) = data["workloads"]
    assert len(chat["replicas"]) == 24 and len(chat["allocations"][0]["instances"]) == 24
    assert (
        data["saving_per_day"] == pytest.approx(chat["saving_per_day"])
        and data["saving_per_day"] > 0
    )
    assert set(chat["bounds"]) == {"min_replicas", "max_replicas", "target_rps_per_replica"}
    table = cli("autoscale", plan_file, "--spec", spec_file)
    assert table.exit_code == 0 and "instances per hour" in table.stdout
    assert "skipped flat: no hourly_profile" in table.stdout
    missing = cli("autoscale", tmp_path / "none.json", "--spec", spec_file)
    assert missing.exit_code == 2 and "Cannot read plan" in missing.stderr


def test_plans_carry_the_hourly_schedule_for_diurnal_workloads():
    from planner.api import plan as plan_spec
    from tests.conftest import ROOT

    plan = plan_spec(ROOT / "examples" / "chatbot-fleet.yaml")
    (chat,) = plan.annotations.schedule
    assert chat.workload == "chat-8b" and len(chat.replicas) == 24
    assert chat.dynamic_cost_per_day < chat.static_cost_per_day
    assert all(r >= s for r, s in zip(chat.replicas, chat.slo_replicas, strict=True))
    assert chat.min_replicas <= min(chat.replicas) and chat.max_replicas >= max(chat.replicas)
