"""The pure parts of monitoring: durations, statistics, PromQL, drift, rendering, report hook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.errors import InputError
from planner.observe import promql
from planner.observe.drift import drift, step_name
from planner.observe.model import Observation, Point, WorkloadObservation
from planner.observe.prom_http import redact
from planner.observe.render import drift_rows, observe_json, sparkline
from planner.observe.stats import hourly_profile, percentile
from planner.observe.window import aligned_window, check_window, parse_duration
from planner.plans.io import load_plan
from planner.report import render_html
from planner.report.observed import ObservedSection

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "tests" / "golden" / "plans" / "sagemaker-endpoint.json"


def test_durations():
    assert parse_duration("24h") == 86400 and parse_duration("90s") == 90
    assert parse_duration("1.5m") == 90 and parse_duration("7d") == 7 * 86400
    for bad in ("", "24", "h", "-1h", "0s", "1y"):
        with pytest.raises(InputError, match="--window"):
            parse_duration(bad)
    check_window(86400, 3600)
    with pytest.raises(InputError, match="whole number"):
        check_window(3600, 420)
    with pytest.raises(InputError, match="longer"):
        check_window(60, 3600)
    assert aligned_window(7205.0, 3600, 3600) == (3600.0, 7200.0)


def test_percentile_interpolates():
    assert percentile([], 0.95) is None
    assert percentile([5.0], 0.95) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert percentile(list(map(float, range(101))), 0.95) == pytest.approx(95.0)


def test_hourly_profile_needs_a_whole_day_of_hourly_steps():
    day = [Point(t=3600.0 * (h + 1), value=float(h + 1)) for h in range(48)]  # hour h: h + 1
    profile = hourly_profile(day, 3600)
    assert profile is not None and len(profile) == 24
    assert profile[23] == 1.0 and profile[0] == pytest.approx(13 / 36, abs=1e-4)  # (1+25)/(24+48)
    assert hourly_profile(day[:23], 3600) is None
    assert hourly_profile(day, 60) is None


def test_promql_groups_by_the_workload_label():
    assert promql.prometheus_label("planner-workload") == "planner_workload"
    assert promql.request_rate("planner_workload", "1h") == (
        "sum by (planner_workload) (rate(vllm:request_success_total[1h]))"
    )
    assert promql.quantile("w", promql.TTFT, 0.95, "24h") == (
        "histogram_quantile(0.95, sum by (w, le) "
        "(rate(vllm:time_to_first_token_seconds_bucket[24h])))"
    )
    assert "DCGM_FI_DEV_GPU_UTIL" in promql.gauge_mean("w", promql.GPU_UTIL, "1h")


def test_the_default_label_matches_what_emit_puts_on_pods():
    from planner.cli.observe_cmd import DEFAULT_LABEL
    from planner.emit.common import labels
    from planner.rules.deployment import settings as deploy_settings

    plan = load_plan(PLAN)
    emitted = labels(plan, deploy_settings(plan), "support-chat")
    assert emitted["planner-workload"] == "support-chat"
    assert promql.prometheus_label("planner-workload") == DEFAULT_LABEL == promql.DEFAULT_LABEL


def test_redact_drops_credentials():
    assert redact("http://u:p@prom:9090/x?q=1") == "http://prom:9090/x"


def _observation(plan, **chat) -> Observation:
    figures = dict(workload="support-chat", status="ok", rps_mean=8.0, rps_p95=12.0, replicas=6.0)
    return Observation(
        source="prometheus",
        url="http://prom:9090",
        plan_id=plan.plan_id,
        start=0.0,
        end=86400.0,
        step_s=3600.0,
        workloads=(WorkloadObservation(**{**figures, **chat}),),
    )


def test_drift_against_the_plan():
    plan = load_plan(PLAN)  # support-chat: 16 req/s peak, 7 replicas, $14.9638/h
    (d,) = drift(plan, _observation(plan, ttft_p95_ms=2500.0))
    assert d.figure("requests/s p95 of hourly means").drift == pytest.approx(12 / 16 - 1)
    assert d.figure("replicas").drift == pytest.approx(6 / 7 - 1)
    assert d.figure("cost").observed == pytest.approx(14.9638 * 6 / 7)
    assert d.figure("TTFT p95").target == 2000.0
    assert d.slo_risk == ("observed TTFT p95 2,500 ms is over the 2,000 ms SLO",)
    assert step_name(300) == "5 min" and step_name(2) == "2 s"


def test_no_data_is_one_row_and_never_zero():
    plan = load_plan(PLAN)
    empty = WorkloadObservation(workload="support-chat", status="no data", note="no series")
    obs = _observation(plan).model_copy(update={"workloads": (empty,)})
    rows = drift_rows(drift(plan, obs))
    assert rows == [
        {
            "workload": "support-chat",
            "metric": "status",
            "planned": "-",
            "observed": "NO DATA: no series",
            "drift": "-",
            "slo": "-",
        }
    ]


def test_observation_json_round_trips():
    plan = load_plan(PLAN)
    obs = _observation(plan, rps_steps=(Point(t=3600.0, value=8.0),))
    data = json.loads(json.dumps(observe_json(obs, drift(plan, obs), (), ())))
    assert Observation.model_validate(data["observation"]) == obs


def test_sparkline():
    assert sparkline((0.0, 0.5, 1.0)) == "▁▅█"


def test_the_report_is_unchanged_without_an_observation_and_gains_a_section_with_one():
    plan = load_plan(PLAN)
    plain = render_html(plan)
    assert 'id="observed"' not in plain
    section = ObservedSection("seen <now>", ("workload", "metric"), (("a&b", "rps"),), ("n",))
    page = render_html(plan, observation=section)
    assert page.replace(
        page[page.index('<section id="observed">') : page.index("<footer")], ""
    ) == (plain)
    assert "seen &lt;now&gt;" in page and "<td>a&amp;b</td>" in page
