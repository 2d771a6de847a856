"""`planner commit advise`: the commitment level, break-even utilisation and saving, re-derived."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner import app
from planner.catalog.commitments import product_level
from planner.plans import annotations_of
from planner.report.commit_advice import advise, best_level
from planner.solve import solve
from planner.spec import load_spec
from tests.conftest import EXAMPLES, PLAN_DATE

CHATBOT = next(p for p in EXAMPLES if p.name == "chatbot-fleet.yaml")


@pytest.fixture(scope="module")
def plan():
    spec = load_spec(CHATBOT)
    found = app.plan(spec, as_of=PLAN_DATE)
    assert found.annotations.schedule  # the example has hourly profiles: spend varies by hour
    return found


def spend_by_hour(plan, provider: str, services: tuple[str, ...]) -> list[float]:
    """The fleet's on-demand list $/h in each hour, written out from the plan's parts."""
    peak = {s.workload: s.static_replicas for s in annotations_of(plan).schedule}
    replicas = {s.workload: s.replicas for s in annotations_of(plan).schedule}
    out = []
    for hour in range(24):
        total = 0.0
        for a in plan.allocations:
            if a.pricing != "on_demand" or a.provider != provider or a.service not in services:
                continue
            share = replicas[a.workload][hour] / peak[a.workload] if a.workload in peak else 1
            total += a.count * a.price_per_hour * share
        out.append(total)
    return out


def test_the_advice_is_the_cheapest_commitment_a_fine_search_finds(plan):
    found = {(a.product, a.term_years): a for a in advise(plan)}
    advice = found[("aws-compute-savings-plan", 1)]
    d = product_level("aws-compute-savings-plan", 1).discount
    spend = spend_by_hour(plan, "aws", ("ec2",))
    mean = sum(spend) / 24

    def cost(level: float) -> float:  # paid for the commitment + list price of the excess
        return sum((1 - d) * level + max(s - level, 0) for s in spend) / 24

    grid = [max(spend) * i / 20_000 for i in range(20_001)]
    cheapest = min(cost(x) for x in grid)
    assert advice.on_demand_per_hour == pytest.approx(mean)
    assert advice.expected_cost_per_hour == pytest.approx(cheapest, abs=1e-3)
    assert advice.expected_cost_per_hour <= cheapest + 1e-6
    assert advice.committed_per_hour == pytest.approx((1 - d) * advice.covered_per_hour)
    assert advice.saving_per_hour == pytest.approx(mean - advice.expected_cost_per_hour)
    assert advice.saving_per_month == pytest.approx(advice.saving_per_hour * 730)
    used = sum(min(s, advice.covered_per_hour) for s in spend) / 24
    assert advice.utilisation == pytest.approx(used / advice.covered_per_hour, abs=1e-6)
    assert advice.break_even_utilisation == pytest.approx(1 - d)
    assert advice.utilisation >= advice.break_even_utilisation
    # three years at a deeper discount commit to more of the variable spend
    three = found[("aws-compute-savings-plan", 3)]
    assert three.covered_per_hour >= advice.covered_per_hour
    assert three.saving_per_hour > advice.saving_per_hour


@given(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=48),
    st.floats(0.05, 0.9),
)
def test_a_commitment_pays_exactly_when_used_above_break_even(samples, discount):
    level = best_level(samples, discount)
    mean = sum(samples) / len(samples)
    cost = (1 - discount) * level + sum(max(s - level, 0) for s in samples) / len(samples)
    assert cost <= mean + 1e-9  # never worse than buying nothing
    if level > 0:
        used = sum(min(s, level) for s in samples) / len(samples)
        assert used / level >= 1 - discount - 1e-9


def test_scenarios_widen_the_spread_and_the_verb_reads_a_sweep(plan, cli, tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(plan.model_dump_json())
    base = plan.cost_per_hour
    sweep = {
        "mode": "plan",
        "base": {"id": "base", "label": "base", "status": "ok", "cost_per_hour": base},
        "results": [
            {"id": f"s{i}", "label": f"traffic x{k}", "status": "ok", "cost_per_hour": base * k}
            for i, k in enumerate((0.5, 1.0, 1.5))
        ],
        "summary": {"scenarios": 3, "solved": 3, "infeasible": 0, "violated": 0, "errors": 0,
                    "cost": None},
    }  # fmt: skip
    scenarios = tmp_path / "sweep.json"
    scenarios.write_text(json.dumps(sweep))
    alone = cli("commit", "advise", path, "--format", "json")
    wide = cli("commit", "advise", path, "--scenarios", scenarios, "--format", "json")
    assert alone.exit_code == 0 and wide.exit_code == 0, alone.stderr + wide.stderr
    first = {(r["product"], r["term_years"]): r for r in json.loads(alone.stdout)}
    second = {(r["product"], r["term_years"]): r for r in json.loads(wide.stdout)}
    key = ("aws-compute-savings-plan", 1)
    assert second[key]["saving_per_hour"] < first[key]["saving_per_hour"]
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    refused = cli("commit", "advise", path, "--scenarios", bad)
    assert refused.exit_code == 2 and "not a sweep result" in refused.stderr


def units_by_hour(plan, provider, keep, per_instance) -> tuple[list[float], list[float]]:
    """Units (as `per_instance` counts one instance) and list $ per hour of the on-demand
    allocations `keep` selects, written out from the plan's parts."""
    peak = {s.workload: s.static_replicas for s in annotations_of(plan).schedule}
    replicas = {s.workload: s.replicas for s in annotations_of(plan).schedule}
    units, dollars = [0.0] * 24, [0.0] * 24
    for a in plan.allocations:
        if a.pricing != "on_demand" or a.provider != provider or not keep(a):
            continue
        for hour in range(24):
            share = replicas[a.workload][hour] / peak[a.workload] if a.workload in peak else 1
            units[hour] += a.count * per_instance(a) * share
            dollars[hour] += a.count * a.price_per_hour * share
    return units, dollars


def check_whole_units(advice, units, dollars, d):
    """The advice against a search over every whole number of units."""
    price = sum(dollars) / sum(units)
    mean = sum(units) / 24

    def cost(level: int) -> float:
        return sum((1 - d) * level + max(u - level, 0) for u in units) / 24 * price

    levels = range(int(max(units)) + 2)
    best = min(levels, key=lambda k: (round(cost(k), 9), k))
    assert advice.count == best
    assert advice.unit_price == pytest.approx(price)
    assert advice.covered_per_hour == pytest.approx(best * price)
    assert advice.committed_per_hour == pytest.approx((1 - d) * best * price)
    assert advice.on_demand_per_hour == pytest.approx(mean * price)
    assert advice.expected_cost_per_hour == pytest.approx(cost(best))
    assert advice.saving_per_hour == pytest.approx(mean * price - cost(best))
    assert advice.saving_over_term == pytest.approx(
        advice.saving_per_hour * 8760 * advice.term_years
    )
    used = sum(min(u, best) for u in units) / 24
    assert advice.utilisation == pytest.approx(used / best if best else 0.0, abs=1e-6)
    assert advice.break_even_utilisation == pytest.approx(1 - d)


@pytest.mark.parametrize("term", [1, 3])
def test_reserved_instances_are_advised_per_region_and_type_in_whole_instances(plan, term):
    found = [
        a for a in advise(plan) if (a.product, a.term_years) == ("aws-reserved-instances", term)
    ]
    used = {(a.region, a.instance_type) for a in plan.allocations
            if a.provider == "aws" and a.service == "ec2" and a.pricing == "on_demand"}  # fmt: skip
    assert {tuple(a.scope.split()) for a in found} == used
    d = product_level("aws-reserved-instances", term).discount
    for advice in found:
        region, itype = advice.scope.split()
        units, dollars = units_by_hour(
            plan,
            "aws",
            lambda a, key=(region, itype): (a.region, a.instance_type) == key,
            lambda a: 1,
        )
        check_whole_units(advice, units, dollars, d)
    # where usage varies by hour, the reservation is partly idle, but above break-even
    varied = [a for a in found if a.utilisation < 1]
    assert varied and all(a.utilisation >= a.break_even_utilisation for a in varied)


def test_an_instance_savings_plan_is_advised_per_region_and_family(plan):
    found = [a for a in advise(plan) if a.product == "aws-ec2-instance-savings-plan"]
    scopes = {a.scope for a in found if a.term_years == 1}
    assert scopes >= {"us-east-1 p5", "us-east-1 g6e", "us-west-2 g6e"}
    advice = next(a for a in found if (a.scope, a.term_years) == ("us-east-1 g6e", 1))
    spend = units_by_hour(
        plan, "aws", lambda a: a.region == "us-east-1" and a.instance_type.startswith("g6e."),
        lambda a: a.price_per_hour,
    )[0]  # fmt: skip
    assert advice.count is None and advice.unit == "usd"
    assert advice.on_demand_per_hour == pytest.approx(sum(spend) / 24)
    assert advice.covered_per_hour == pytest.approx(best_level(spend, advice.discount))


def test_a_resource_cud_counts_accelerators_of_one_type_in_a_region(cli, tmp_path):
    spec_file = tmp_path / "gcp.yaml"
    spec_file.write_text(
        "workloads:\n"
        "  - name: chat\n    kind: serving\n    model: llama-3.1-8b\n"
        "    traffic: {requests_per_second: 12, input_tokens: 600, output_tokens: 200}\n"
        "    slo: {ttft_p95_ms: 2000, tpot_ms: 80}\n"
        "    placement: {providers: [gcp], spot: false, services: [vm]}\n"
    )
    spec = load_spec(spec_file)
    plan = solve(spec, as_of=PLAN_DATE)
    found = [a for a in advise(plan) if (a.product, a.term_years) == ("gcp-resource-cud", 3)]
    assert found, [a.product for a in advise(plan)]
    d = product_level("gcp-resource-cud", 3).discount
    for advice in found:
        region, accelerator = advice.scope.split()
        assert advice.unit == "accelerators"
        units, dollars = units_by_hour(
            plan, "gcp", lambda a, key=(region, accelerator): (a.region, a.accelerator) == key,
            lambda a: a.accelerators_per_instance,
        )  # fmt: skip
        check_whole_units(advice, units, dollars, d)
    path = tmp_path / "plan.json"
    path.write_text(plan.model_dump_json())
    shown = cli("commit", "advise", path, "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    rows = [r for r in json.loads(shown.stdout) if r["product"] == "gcp-resource-cud"]
    assert {r["count"] for r in rows} == {a.count for a in advise(plan)
                                          if a.product == "gcp-resource-cud"}  # fmt: skip
