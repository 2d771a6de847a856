"""An infeasibility message lists only rules that take part in the conflict: each one, dropped
alone, makes a plan possible. A residency rule that changes nothing is not among them."""

from __future__ import annotations

import pytest

from planner.catalog import load_catalog
from planner.errors import InfeasibleError
from planner.solve import solve
from planner.spec import parse_spec
from tests.conftest import EXAMPLES

EU = next(p for p in EXAMPLES if p.name == "eu-residency.yaml")


def eu_spec(budget: float, regions: bool = True):
    text = EU.read_text().replace(
        "  objective: cost", f"  objective: cost\n  budget_per_hour: {budget}"
    )
    if not regions:
        text = "\n".join(ln for ln in text.splitlines() if "regions: [" not in ln) + "\n"
    return parse_spec(text)


def message(spec) -> str:
    with pytest.raises(InfeasibleError) as caught:
        solve(spec, load_catalog(), baselines=False)
    return str(caught.value)


def test_a_budget_too_low_anywhere_does_not_blame_residency():
    # without residency the budget is still too low: the rule is no part of the conflict
    assert "the budget is $3 per hour" in message(eu_spec(3, regions=False))
    text = message(eu_spec(3))
    assert "the budget is $3 per hour" in text
    assert "residency" not in text and "may only run in" not in text


def test_residency_is_named_where_lifting_it_would_make_a_plan():
    anywhere = solve(eu_spec(1000, regions=False), load_catalog(), baselines=False)
    in_eu = solve(eu_spec(1000), load_catalog(), baselines=False)
    assert anywhere.peak_cost_per_hour < in_eu.peak_cost_per_hour  # the EU costs more here
    budget = round((anywhere.peak_cost_per_hour + in_eu.peak_cost_per_hour) / 2, 2)
    text = message(eu_spec(budget))
    assert f"the budget is ${budget:g} per hour" in text
    assert "eu-support-bot may only run in" in text and "(residency)" in text
