"""Routing among equal-cost splits follows one documented rule (planner.solve.routing): each
bucket goes to the instances in proportion to their planned rate, so the same instances always
give the same figures, no instance idles as a standby while others run hot, and `diff` does not
report routing noise as a change."""

from __future__ import annotations

import math

import pytest

from planner.catalog import load_catalog
from planner.report.diff import diff_plans
from planner.solve import make_problem, solve
from planner.solve.routing import settled_shares
from planner.solve.solution import Solution
from planner.spec import load_spec, parse_spec
from planner.verify import verify
from tests.conftest import EXAMPLES, PLAN_DATE

BY_NAME = {p.name: p for p in EXAMPLES}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def chatbot(catalog):
    spec = load_spec(BY_NAME["chatbot-fleet.yaml"])
    return spec, solve(spec, catalog, baselines=False, as_of=PLAN_DATE)


def test_no_instance_is_an_idle_standby_while_others_carry_the_load(chatbot, catalog):
    spec, plan = chatbot
    serving = [a for a in plan.allocations if a.kind == "serving"]
    assert serving and all(a.routed_rps and a.routed_rps > 0 for a in serving)
    assert verify(plan, spec, catalog) == []


def test_single_bucket_instances_run_at_the_same_share_of_their_capacity(catalog):
    text = BY_NAME["eu-residency.yaml"].read_text().replace("min_regions: 2", "min_regions: 1")
    spec = parse_spec(text)
    problem = make_problem(spec, catalog)
    (w,) = spec.workloads
    cands = problem.candidates[w.name]
    a, b = 0, len(cands) - 1  # two different candidates, n instances each
    rates = (cands[a].bucket_rps[0], cands[b].bucket_rps[0])
    demand = problem.demand(w)[0]
    n = math.ceil(demand / sum(rates)) + 1
    counts = {(w.name, a): n, (w.name, b): n}
    # two different feasible splits the solver might have returned: the rule settles both alike
    most_a, most_b = min(1.0, n * rates[0] / demand), min(1.0, n * rates[1] / demand)
    found = []
    for x_a, x_b in ((most_a, 1 - most_a), (1 - most_b, most_b)):
        solution = Solution(counts=dict(counts), shares={(w.name, a, 0): x_a, (w.name, b, 0): x_b})
        found.append(settled_shares(problem, solution, w))
    assert found[0] == found[1]
    load_a = demand * found[0][(a, 0)] / rates[0]
    load_b = demand * found[0][(b, 0)] / rates[1]
    assert load_a == pytest.approx(load_b)


def test_diff_ignores_routing_noise_and_reports_a_real_shift(chatbot):
    _, plan = chatbot
    i, j = [k for k, a in enumerate(plan.allocations) if a.workload == "chat-8b"][:2]

    def shifted(by: float):
        allocations = list(plan.allocations)
        for k, sign in ((i, 1), (j, -1)):
            a = allocations[k]
            allocations[k] = a.model_copy(
                update={"routed_rps": a.routed_rps * (1 + sign * by),
                        "utilisation": a.utilisation * (1 + sign * by)}
            )  # fmt: skip
        return plan.model_copy(update={"allocations": allocations})

    assert not diff_plans(plan, shifted(0.004)).has_changes
    loud = diff_plans(plan, shifted(0.2))
    assert loud.has_changes
    assert any("utilisation" in d for c in loud.changes for d in c.details)


def test_a_spread_workload_is_routed_alike_whatever_split_the_solver_returned(catalog):
    spec = load_spec(BY_NAME["eu-residency.yaml"])
    problem = make_problem(spec, catalog)
    (w,) = spec.workloads
    cands = problem.candidates[w.name]
    a = 0
    b = next(i for i, c in enumerate(cands) if c.region != cands[a].region)
    rates = (cands[a].bucket_rps[0], cands[b].bucket_rps[0])
    demand = problem.demand(w)[0]
    n = math.ceil(demand / min(rates)) + 1  # either alone could carry everything
    counts = {(w.name, a): n, (w.name, b): n}
    found = []
    for x_a in (0.15, 0.5, 0.85):  # splits that all keep 10% in each region
        shares = {(w.name, a, 0): x_a, (w.name, b, 0): 1 - x_a}
        found.append(settled_shares(problem, Solution(counts=dict(counts), shares=shares), w))
    assert found[0] == found[1] == found[2]
    assert min(found[0].values()) >= w.placement.min_region_share - 1e-9
