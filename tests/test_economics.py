"""Unit economics ($/M tokens, $/1k requests, $/month), idle labels, baseline wording and price
provenance, as a FinOps reviewer reads them in the plan, its JSON, the table and the diff."""

from __future__ import annotations

import hashlib
import json

import pytest

from planner.catalog.load import BUNDLED
from planner.plans import Baseline, Plan, WorkloadResult
from planner.report.diff import diff_plans
from planner.report.diff_render import diff_json, diff_markdown
from planner.report.wording import baseline_line, baseline_verdict, rate
from tests.test_report_plans import alloc, mixed_plan, plan_of

ONE_INSTANCE = """\
workloads:
  - name: bot
    kind: serving
    model: llama-3.1-8b
    traffic: {requests_per_second: 2, input_tokens: 800, output_tokens: 200}
    placement: {providers: [aws], regions: [us-east-1], accelerators: [H100], services: [vm]}
"""


@pytest.fixture(scope="module")
def one_instance_plan() -> Plan:
    import planner
    from planner.solve import solve

    return solve(planner.parse_spec(ONE_INSTANCE, "one.yaml"), baselines=False)


def test_dollars_per_million_tokens_of_one_instance_is_its_hourly_cost_over_tokens_per_hour(
    one_instance_plan,
):
    plan = one_instance_plan
    [a] = plan.allocations
    tokens_per_hour = 2 * 3600 * (800 + 200)
    expected = a.cost_per_hour / tokens_per_hour * 1e6
    e = plan.economics
    [bot] = e.workloads
    assert bot.tokens_per_hour == tokens_per_hour
    assert bot.usd_per_million_tokens == pytest.approx(expected, rel=1e-6)
    share = a.prefill_share
    assert share is not None and 0 < share < 1
    assert bot.usd_per_million_input_tokens == pytest.approx(
        a.cost_per_hour * share / (2 * 3600 * 800) * 1e6, rel=1e-6
    )
    assert bot.usd_per_million_output_tokens == pytest.approx(
        a.cost_per_hour * (1 - share) / (2 * 3600 * 200) * 1e6, rel=1e-6
    )
    assert bot.usd_per_thousand_requests == pytest.approx(
        a.cost_per_hour / (2 * 3600) * 1e3, rel=1e-6
    )
    assert e.serving is not None and e.serving.usd_per_million_tokens == bot.usd_per_million_tokens
    assert e.allocations[0].usd_per_million_tokens == pytest.approx(expected, rel=1e-6)
    assert e.cost_per_month == pytest.approx(a.cost_per_hour * 730, abs=0.01)
    assert e.hours_per_month == 730 and e.currency == "USD"


def test_input_and_output_token_prices_split_the_cost_by_the_perf_models_phase_times(
    one_instance_plan,
):
    from planner.facts import find_accelerator, find_llm
    from planner.perf import roofline_capacity

    [a] = one_instance_plan.allocations
    capacity = roofline_capacity(
        find_llm("llama-3.1-8b"), find_accelerator(a.accelerator), a.tp, 800, 200
    )
    assert a.prefill_share == pytest.approx(
        capacity.prefill_s / (capacity.prefill_s + capacity.decode_s), rel=1e-5
    )
    e = one_instance_plan.economics
    for unit in (e.workloads[0], e.serving, e.allocations[0]):
        # input tokens x their price + output tokens x theirs is the whole cost, per hour
        paid = (2 * 3600 * 800 * unit.usd_per_million_input_tokens
                + 2 * 3600 * 200 * unit.usd_per_million_output_tokens) / 1e6  # fmt: skip
        assert paid == pytest.approx(a.cost_per_hour, rel=1e-6)
    assert e.serving.prefill_cost_share == pytest.approx(a.prefill_share, rel=1e-6)


def test_a_plan_without_prefill_shares_keeps_its_id_and_has_no_split(one_instance_plan):
    from planner.plans.identity import LATER_FIELDS, plan_id, sha256_of

    data = one_instance_plan.model_dump(mode="json")
    for a in data["allocations"]:
        for later in LATER_FIELDS:
            a.pop(later, None)  # as written before the share (and later fields) were recorded
    old = Plan.model_validate(data)
    written_then = sha256_of([old.spec_sha256, old.plan_date.isoformat(), data["allocations"]])
    assert plan_id(old.spec_sha256, old.plan_date, old.allocations) == written_then[:12]
    unit = old.economics.workloads[0]
    assert (
        unit.usd_per_million_tokens
        == one_instance_plan.economics.workloads[0].usd_per_million_tokens
    )
    assert unit.usd_per_million_input_tokens is None and unit.usd_per_million_output_tokens is None


def test_request_sizes_of_a_histogram_are_its_means():
    import planner
    from planner.solve.workload_results import request_sizes

    spec = planner.parse_spec(
        ONE_INSTANCE.replace(
            "input_tokens: 800, output_tokens: 200",
            "buckets: [{input_tokens: 100, output_tokens: 50, fraction: 0.25},"
            " {input_tokens: 900, output_tokens: 250, fraction: 0.75}]",
        ),
        "hist.yaml",
    )
    assert request_sizes(spec.workloads[0]) == {"input_tokens": 700.0, "output_tokens": 200.0}


def test_batch_and_training_unit_costs_come_from_the_job_and_its_volume():
    plan = mixed_plan()
    by_name = {u.name: u for u in plan.economics.workloads}
    batch = next(w for w in plan.workloads if w.kind == "batch")
    assert batch.requests == 500_000 and (batch.input_tokens, batch.output_tokens) == (900, 120)
    summaries = by_name["summaries"]
    assert summaries.usd_per_thousand_requests == pytest.approx(
        batch.job_cost / 500_000 * 1000, rel=1e-6
    )
    assert summaries.usd_per_million_tokens == pytest.approx(
        batch.job_cost / (500_000 * 1020) * 1e6, rel=1e-6
    )
    finetune = by_name["finetune"]
    hours = sum(
        a.count * a.accelerators_per_instance * a.hours
        for a in plan.allocations
        if a.workload == "finetune"
    )
    assert finetune.usd_per_accelerator_hour == pytest.approx(
        plan.workloads[2].job_cost / hours, rel=1e-6
    )
    assert finetune.usd_per_million_tokens is None  # given as gpu_hours: no tokens trained


def test_economics_travel_in_the_plan_json_and_are_rederived_on_load():
    plan = mixed_plan()
    data = json.loads(plan.model_dump_json())
    assert data["economics"]["serving"]["usd_per_million_tokens"] > 0
    data["economics"]["serving"]["usd_per_million_tokens"] = 999.0  # a hand edit
    again = Plan.model_validate(data)
    assert again == plan
    assert again.economics.serving.usd_per_million_tokens != 999.0


def test_a_standby_allocation_is_labelled_with_the_rule_that_keeps_it():
    plan = plan_of(
        [alloc("api", region="us-east-1"), alloc("api", region="us-west-2", routed_rps=0.0)]
    )
    rules = WorkloadResult.model_validate(
        {**plan.workloads[0].model_dump(), "survive_region_loss": True}
    )
    plan = plan.model_copy(update={"workloads": [rules]})
    labels = [a.idle_rule for a in plan.economics.allocations]
    assert labels[0] == ""
    assert labels[1].startswith("standby for survive_region_loss")
    assert plan.economics.idle_cost_per_hour == pytest.approx(6.88)
    assert plan.economics.allocations[1].usd_per_million_tokens is None
    spread = rules.model_copy(update={"survive_region_loss": False, "min_regions": 2})
    plan = plan.model_copy(update={"workloads": [spread]})
    assert plan.economics.allocations[1].idle_rule.startswith("kept by min_regions (2)")


def _baseline(plan: Plan, cost_per_hour: float, breaks=()) -> Baseline:
    return Baseline(
        name="cheapest-single-choice",
        description="one type each",
        cost_per_hour=cost_per_hour,
        job_cost=0.0,
        objective_value=cost_per_hour,
        savings=round(cost_per_hour - plan.objective_value, 4),
        breaks=list(breaks),
    )


def test_a_cheaper_baseline_that_breaks_a_rule_says_what_keeping_the_rule_costs():
    plan = plan_of([alloc("api", count=2)])  # $13.76/h
    cheaper = _baseline(plan, 6.88, ["api: one region ignores min_regions"])
    assert baseline_verdict(plan, cheaper) == (
        "breaks api: one region ignores min_regions, which costs $6.88/h to keep"
    )
    assert "no saving" not in baseline_line(plan, cheaper)
    assert baseline_line(plan, cheaper).startswith("Baseline cheapest-single-choice: $6.88/h;")
    dearer = _baseline(plan, 20.64)
    assert baseline_verdict(plan, dearer) == "this plan saves $6.88/h (33.3%)"
    assert baseline_verdict(plan, _baseline(plan, 13.76)) == "costs the same as this plan"


def test_plan_table_puts_units_on_every_cost_and_names_the_price_source(cli, tmp_path):
    spec = tmp_path / "one.yaml"
    spec.write_text(ONE_INSTANCE)
    result = cli("plan", spec)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "/month ($" in out and "x 730 h" in out
    assert "/M tokens" in out and "/1k requests" in out
    assert "Prices in USD from bundled:offerings.csv, as of " in out
    assert "no saving" not in out


def test_plan_carries_price_provenance_catalog_file_hash_sources_and_dates():
    plan = mixed_plan()
    [catalog] = plan.provenance.catalogs
    assert catalog.path == "bundled:offerings.csv"
    assert catalog.sha256 == hashlib.sha256(BUNDLED.read_bytes()).hexdigest()
    assert catalog.rows > 100
    assert plan.provenance.currency == "USD"
    for a in plan.allocations:
        assert a.source and a.as_of[:2] == "20", a


def test_diff_shows_unit_costs_before_and_after():
    old = plan_of([alloc("api", count=1)], "a")
    new = plan_of([alloc("api", count=2)], "b")
    diff = diff_plans(old, new)
    [requests] = [u for u in diff.unit_costs if u.name.startswith("serving")]
    assert requests.name == "serving $/1k requests"  # plan_of gives no request sizes: no $/M
    assert requests.new == pytest.approx(2 * 6.88 / (5 * 3600) * 1000, rel=1e-6)
    md = diff_markdown(diff)
    assert "serving $/1k requests" in md and "a month is 730 h" in md
    assert json.loads(diff_json(diff))["unit_costs"][0]["name"] == "serving $/1k requests"


def test_small_unit_prices_keep_three_significant_figures():
    assert [rate(v) for v in (0.014188, 0.14188, 6.881, 1234.5, None)] == [
        "$0.0142",
        "$0.142",
        "$6.88",
        "$1,234",
        "-",
    ]


def test_a_cheaper_baseline_that_breaks_no_listed_rule_is_not_blamed_on_the_gap():
    plan = plan_of([alloc("api", count=2)])  # gap 0
    blind = _baseline(plan, 6.88)
    assert "only on paper" in baseline_verdict(plan, blind)
    within = plan.model_copy(update={"gap": 0.6})
    assert "within the solver's gap of 60.00%" in baseline_verdict(within, blind)


def test_plan_table_names_idle_owned_capacity_and_blind_baselines(cli):
    from tests.conftest import ROOT

    result = cli("plan", ROOT / "examples" / "hybrid-fleet.yaml")
    assert result.exit_code == 0, result.stderr
    import re

    assert re.search(r"Idle edge stores: \d+ of 40 Jetson-AGX-Orin-64GB unused", result.stdout)
    assert "only on paper" in result.stdout and "no saving" not in result.stdout


def test_an_allocation_is_priced_by_the_request_sizes_routed_to_it():
    from planner.plans.model import BucketRate

    long = alloc("api", routed_rps=1.0, routed_by_bucket=[BucketRate(input_tokens=3000,
                 output_tokens=1000, rps=1.0)])  # fmt: skip
    plan = plan_of([long])
    assert plan.economics.allocations[0].usd_per_million_tokens == pytest.approx(
        6.88 / (3600 * 4000) * 1e6
    )


def test_a_plans_economics_are_worked_out_once_and_a_changed_copy_gets_its_own():
    plan = mixed_plan()
    assert plan.economics is plan.economics  # a report asks once per workload: not recomputed
    doubled = [
        a.model_copy(update={"cost_per_hour": a.cost_per_hour * 2}) for a in plan.allocations
    ]
    changed = plan.model_copy(
        update={"allocations": doubled, "cost_per_hour": plan.cost_per_hour * 2}
    )
    assert changed.economics is not plan.economics
    assert changed.economics.cost_per_month == pytest.approx(2 * plan.economics.cost_per_month)
    serving = [i for i, a in enumerate(plan.allocations) if a.kind == "serving" and a.routed_rps]
    assert serving
    for i in serving:
        before, after = plan.economics.allocations[i], changed.economics.allocations[i]
        assert after.usd_per_million_tokens == pytest.approx(2 * before.usd_per_million_tokens)


def test_a_workloads_allocations_are_found_in_plan_order_and_follow_a_copy():
    plan = plan_of([alloc("chat"), alloc("rag", count=2), alloc("chat", count=3)])
    assert [a.count for a in plan.allocations_of("chat")] == [1, 3]
    assert plan.workload_indices == {"chat": (0, 2), "rag": (1,)}
    assert [plan.workloads[j].name for j in plan.workload_positions.values()] == ["chat", "rag"]
    assert plan.allocations_of("nobody") == []
    moved = plan.model_copy(update={"allocations": plan.allocations[1:]})
    assert [a.count for a in moved.allocations_of("chat")] == [3]
    assert "workload_indices" not in json.loads(plan.model_dump_json())
