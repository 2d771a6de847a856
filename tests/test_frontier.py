"""Completion time and the cost-time frontier for batch and training jobs under a budget."""

from __future__ import annotations

import json

import pytest

from planner.catalog import load_catalog
from planner.errors import InputError
from planner.solve import solve
from planner.solve.frontier import frontier, with_horizon
from planner.spec import load_spec
from planner.verify import verify
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "batch-deadline-tradeoff.yaml"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def spec():
    return load_spec(EXAMPLE)


def test_completion_time_finishes_sooner_than_the_cheapest_plan(spec, catalog):
    fastest = solve(spec, catalog)
    cheapest = solve(with_horizon(spec, 1e9), catalog)
    assert fastest.objective == "completion_time"
    assert fastest.makespan_hours < cheapest.makespan_hours
    assert fastest.objective_value >= cheapest.objective_value
    assert fastest.peak_cost_per_hour <= spec.constraints.budget_per_hour + 1e-6
    assert verify(fastest, spec, catalog) == []


def test_frontier_trades_cost_for_time_and_every_point_is_a_real_plan(spec, catalog):
    found = frontier(spec, catalog, points=6)
    plan, points = found.plan, found.frontier
    assert len(points) >= 2
    hours = [p.completion_hours for p in points]
    costs = [p.objective_value for p in points]
    assert hours == sorted(hours) and costs == sorted(costs, reverse=True)
    assert hours[0] == pytest.approx(plan.makespan_hours, rel=1e-6)
    for point in points:
        again = solve(with_horizon(spec, point.completion_hours), catalog, baselines=False)
        assert again.objective_value == pytest.approx(point.objective_value, rel=1e-6)


def test_completion_time_needs_a_budget_and_jobs(spec, catalog):
    no_budget = spec.model_copy(
        update={"constraints": spec.constraints.model_copy(update={"budget_per_hour": None})}
    )
    with pytest.raises(InputError, match=r"needs constraints\.budget_per_hour"):
        solve(no_budget, catalog)
    serving_only = load_spec(ROOT / "examples" / "eu-residency.yaml")
    only = serving_only.model_copy(
        update={
            "constraints": serving_only.constraints.model_copy(
                update={"objective": "completion_time", "budget_per_hour": 100}
            )
        }
    )
    with pytest.raises(InputError, match="at least one batch or training"):
        solve(only, catalog)


def test_cli_frontier_json_for_a_given_date(cli):
    result = cli("frontier", EXAMPLE, "--points", "4", "--format", "json", "--date", "2027-01-10")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["annotations"]["frontier"] and data["objective"] == "completion_time"
    assert data["plan_date"] == "2027-01-10"  # like planner plan --date
    bad = cli("frontier", EXAMPLE, "--date", "tomorrow")
    assert bad.exit_code == 2 and "--date 'tomorrow'" in bad.stderr
