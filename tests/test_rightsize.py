"""Right-sizing from an observation: cheaper when over-provisioned, the SLO still met at the
observed load, no change where there was no data, never a scale-down on missing metrics, and
the user's spec never overwritten."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from planner.catalog import load_catalog
from planner.observe.model import Observation, Point, WorkloadObservation
from planner.observe.rightsize import rightsized_traffic
from planner.plans.model import Plan
from planner.rightsize import propose
from planner.solve import solve
from planner.spec import parse_spec
from planner.verify import verify

SPEC = """\
# my fleet
workloads:
  - name: chat
    kind: serving
    model: llama-3.1-8b
    traffic:
      requests_per_second: 12
      buckets:
        - {input_tokens: 200, output_tokens: 100, fraction: 0.5}
        - {input_tokens: 400, output_tokens: 140, fraction: 0.5}
    slo: {ttft_p95_ms: 1500, tpot_ms: 60}
    placement: {providers: [aws], regions: [us-east-1], services: [vm], accelerators: [A10G]}
  - name: quiet
    kind: serving
    model: llama-3.1-8b
    traffic: {requests_per_second: 2, input_tokens: 300, output_tokens: 120}
    slo: {ttft_p95_ms: 1500, tpot_ms: 60}
    placement: {providers: [aws], regions: [us-east-1], services: [vm], accelerators: [A10G]}
"""
DAY = 86400.0


@pytest.fixture(scope="module")
def base():
    spec = parse_spec(SPEC)
    return spec, solve(spec, baselines=False)


def _observation(plan: Plan, chat: WorkloadObservation, window: float = DAY) -> Observation:
    quiet = WorkloadObservation(workload="quiet", status="no data", note="no series")
    return Observation(
        source="prometheus",
        url="http://127.0.0.1:9",
        plan_id=plan.plan_id,
        label="planner_workload",
        start=1.79e9,
        end=1.79e9 + window,
        step_s=3600,
        workloads=(chat, quiet),
    )


def _chat(rps: float, **more) -> WorkloadObservation:
    figures = dict(
        input_tokens=300.0,
        output_tokens=120.0,
        ttft_p95_ms=300.0,
        ttft_mean_ms=250.0,
        tpot_p95_ms=40.0,
        tpot_mean_ms=32.0,
        replicas=4.0,
    )
    return WorkloadObservation(
        workload="chat", status="ok", rps_mean=rps * 0.7, rps_p95=rps, **{**figures, **more}
    )


def _capacity(plan: Plan, workload: str) -> float:
    return sum(a.routed_rps / a.utilisation for a in plan.allocations if a.workload == workload)


def test_an_over_provisioned_plan_gets_cheaper_and_keeps_the_slo(base):
    spec, plan = base
    result = propose(plan, spec, yaml.safe_load(SPEC), _observation(plan, _chat(4.0)), catalog=None)
    assert result.plan.cost_per_hour < plan.cost_per_hour
    chat = next(w for w in result.plan.workloads if w.name == "chat")
    assert chat.meets_slo and chat.requests_per_second == 4.0
    assert _capacity(result.plan, "chat") >= 4.0  # sustains the observed peak within the SLO
    assert verify(result.plan, result.spec, load_catalog()) == []  # re-checked independently
    line = result.recommendations[0]
    assert re.fullmatch(
        r"chat: .+ -> .+, -\$[\d,]+/month, TTFT p95 stays under 1,500 ms at observed load", line
    ), line
    assert result.diff.total("serving $/h").delta < 0


def test_no_data_means_no_change_for_that_workload(base):
    spec, plan = base
    result = propose(plan, spec, yaml.safe_load(SPEC), _observation(plan, _chat(4.0)), catalog=None)
    quiet_change = next(c for c in result.changes if c.workload == "quiet")
    assert not quiet_change.updated and quiet_change.after == quiet_change.before
    before = [a for a in plan.allocations if a.workload == "quiet"]
    assert [a for a in result.plan.allocations if a.workload == "quiet"] == before
    assert result.recommendations[1].startswith("quiet: no data from prometheus (no series)")


def test_missing_or_zero_traffic_never_scales_to_nothing(base):
    spec, _ = base
    chat = spec.workloads[0]
    for observed in (
        None,
        WorkloadObservation(workload="chat", status="no data"),
        WorkloadObservation(workload="chat", status="ok", rps_mean=0.0, rps_p95=0.0),
        WorkloadObservation(workload="chat", status="ok", rps_mean=None, rps_p95=None),
    ):
        change = rightsized_traffic(chat, observed, "prometheus")
        assert not change.updated and change.after == chat.traffic


def test_sizes_rescale_the_histogram_and_a_full_day_gives_the_profile(base):
    spec, _ = base
    steps = tuple(Point(t=1.79e9 + 3600 * (h + 1), value=1.0 + (h % 24) / 23) for h in range(48))
    observed = _chat(
        2.0,
        input_tokens=450.0,
        output_tokens=60.0,
        rps_steps=steps,
        hourly_profile=tuple(round((1 + h / 23) / 2, 4) for h in range(24)),
    )
    after = rightsized_traffic(spec.workloads[0], observed, "prometheus").after
    assert after.requests_per_second == 2.0
    assert [(b.input_tokens, b.output_tokens, b.fraction) for b in after.buckets] == [
        (300, 50, 0.5),
        (600, 70, 0.5),  # means 300/120 -> 450/60: x1.5 and x0.5
    ]
    assert after.hourly_profile[-1] == 1.0 and after.hourly_profile[0] == 0.5


def test_observed_latency_over_the_slo_is_a_risk(base):
    spec, plan = base
    hot = _chat(4.0, ttft_p95_ms=2500.0)
    result = propose(plan, spec, yaml.safe_load(SPEC), _observation(plan, hot), catalog=None)
    assert (
        "SLO RISK: observed TTFT p95 2,500 ms is over the 1,500 ms SLO already"
        in (result.recommendations[0])
    )
    assert "calibrate before shrinking" in result.recommendations[0]


def test_a_short_window_is_flagged(base):
    spec, plan = base
    result = propose(
        plan, spec, yaml.safe_load(SPEC), _observation(plan, _chat(4.0), 3600.0), catalog=None
    )
    assert any("less than a day" in n for n in result.notes)


def test_cli_writes_a_new_spec_and_never_over_the_users(base, cli, tmp_path):
    plan = base[1]
    spec_file, plan_file, obs_file = (tmp_path / n for n in ("fleet.yaml", "plan.json", "o.json"))
    spec_file.write_text(SPEC)
    plan_file.write_text(plan.model_dump_json())
    obs_file.write_text(json.dumps({"observation": _observation(plan, _chat(4.0)).model_dump()}))
    common = ["rightsize", "--plan", plan_file, "--spec", spec_file, "--observation", obs_file]
    over = cli(*common, "--write-spec", spec_file)
    assert over.exit_code == 2 and "is the spec itself" in over.stderr
    first = cli(*common)
    assert first.exit_code == 0, first.stderr
    written = tmp_path / "fleet.rightsized.yaml"
    assert parse_spec(written.read_text()).workloads[0].traffic.requests_per_second == 4.0
    assert "# Right-sized by `planner rightsize`" in written.read_text()
    again = cli(*common)
    assert again.exit_code == 2 and "exists; pass --force" in again.stderr
    as_json = cli(*common, "--force", "--format", "json")
    assert as_json.exit_code == 0
    data = json.loads(as_json.stdout)
    assert data["diff"]["totals"][0]["delta"] < 0
    assert [t["updated"] for t in data["traffic"]] == [True, False]
    assert spec_file.read_text() == SPEC
    elsewhere, result = tmp_path / "smaller.yaml", tmp_path / "rightsize.json"
    written = cli(*common, "--write-spec", elsewhere, "-o", result)
    assert written.exit_code == 0, written.stderr
    assert parse_spec(elsewhere.read_text()).workloads[0].traffic.requests_per_second == 4.0
    assert json.loads(result.read_text())["spec"] == str(elsewhere)  # -o: the result, as JSON
    assert written.stdout.startswith("Wrote the right-sizing result (json)")


def test_cli_needs_exactly_one_source(cli, tmp_path):
    result = cli("rightsize", "--plan", tmp_path / "p.json", "--spec", tmp_path / "s.yaml")
    assert result.exit_code == 2 and "--source" in result.stderr
