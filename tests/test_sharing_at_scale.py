"""Fleets whose workloads may share instances, solved by the decomposition: a plan without shared
instances first (anytime), a lower bound that holds for the fleet with them (each shared slot
priced as its share of the instance), and the LP-guided MIP over every candidate only where it
has time."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from benchmarks.fleet import binding_quotas, fleet_spec
from planner.catalog import load_catalog
from planner.solve import SolveOptions, make_problem, solve
from planner.solve.sharing import first_plan, pro_rata
from planner.solve.strategy import cost_of
from planner.verify import verify
from tests.test_deadline import JumpingClock
from tests.test_decompose import _solve_pair, decomposed_and_exact, fleet_st


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=fleet_st)
def test_a_shared_fleet_s_decomposed_plan_verifies_and_its_bound_never_passes_the_optimum(data):
    spec, catalog = _solve_pair(data, shared=True)
    found = decomposed_and_exact(spec, catalog)
    if found is None:
        return
    plan, exact = found
    assert plan.lower_bound <= exact.objective_value * (1 + 1e-6) + 1e-6
    assert plan.objective_value >= exact.objective_value * (1 - 1e-6) - 1e-6
    # the first plan buys no shared instance; its bound is the pro-rata one
    problem = make_problem(spec, catalog)
    first = first_plan(problem, SolveOptions(relative_gap=0.005))
    if first.solution is not None:
        assert not first.solution.shared_instances
        assert all(not problem.candidates[w][i].shared for w, i in first.solution.counts)
        assert first.bound <= exact.objective_value * (1 + 1e-6) + 1e-6
        assert cost_of(problem, first.solution) >= exact.objective_value * (1 - 1e-6) - 1e-6


def test_a_pro_rata_slot_is_its_share_of_the_instance():
    spec = fleet_spec(6, 3)
    spec = spec.model_copy(update={"workloads": tuple(
        w.model_copy(update={"sharing": "shared"}) if w.kind == "serving" else w
        for w in spec.workloads
    )})  # fmt: skip
    problem = make_problem(spec, load_catalog())
    slots = [c for cands in problem.candidates.values() for c in cands if c.shared]
    assert slots
    for c in slots:
        slot = pro_rata(c)
        assert not slot.shared
        assert slot.accelerators == c.tp
        assert slot.price == pytest.approx(c.price * c.tp / c.offering.accelerator_count)
        assert slot.bucket_rps == c.bucket_rps and slot.pool == c.pool


@pytest.fixture(scope="module")
def shared_fleet():
    """30 workloads, the serving ones allowed to share instances, with quotas at half of what
    their unconstrained plan uses on its 8 busiest pools."""
    catalog = load_catalog()
    free = solve(fleet_spec(30, 3), catalog, options=SolveOptions(relative_gap=0.05),
                 baselines=False)  # fmt: skip
    spec = fleet_spec(30, 3, binding_quotas(free, 0.5, 8))
    spec = spec.model_copy(update={"workloads": tuple(
        w.model_copy(update={"sharing": "shared"}) if w.kind == "serving" else w
        for w in spec.workloads
    )})  # fmt: skip
    return spec, catalog


@pytest.mark.parametrize("at", ["repair", "pro-rata bound", "LP-guided MIP"])
def test_a_shared_fleet_has_a_verified_plan_whenever_the_deadline_comes_after_its_first_round(
    shared_fleet, at
):
    spec, catalog = shared_fleet
    clock = JumpingClock(at)
    options = SolveOptions(time_limit_s=60.0, relative_gap=0.005, strategy="decomposition",
                           deadline=clock.deadline())  # fmt: skip
    plan = solve(spec, catalog, options=options, baselines=False)
    assert clock.jumped_after >= 0
    assert verify(plan, spec, catalog) == []
    assert 0.0 <= plan.lower_bound <= plan.objective_value + 1e-6
    # nothing that could wait starts once the deadline has passed
    assert not {"LP-guided MIP", "price step", "master"} & set(clock.after_jump())


def test_the_lp_guided_mip_from_the_first_plan_is_never_dearer_than_it(shared_fleet):
    spec, catalog = shared_fleet
    problem = make_problem(spec, catalog)
    first = first_plan(problem, SolveOptions(relative_gap=0.005))
    assert first.solution is not None
    clock = JumpingClock("full MIP")  # all the time it needs until the full MIP's polish
    options = SolveOptions(time_limit_s=60.0, relative_gap=0.005, strategy="decomposition",
                           deadline=clock.deadline())  # fmt: skip
    plan = solve(spec, catalog, baselines=False, options=options)
    assert "LP-guided MIP" in clock.seen
    assert verify(plan, spec, catalog) == []
    assert plan.objective_value <= cost_of(problem, first.solution) + 1e-6
    assert plan.lower_bound >= first.bound - 1e-6
