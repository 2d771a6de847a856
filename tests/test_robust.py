"""Robust plans: one fleet for many scenarios. The fleet keeps every promise (verify) in each
scenario it claims to cover, and costs no more than any single-scenario plan that happens to
serve them all."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from planner.catalog import load_catalog
from planner.errors import InfeasibleError
from planner.solve import SolveOptions, solve
from planner.spec import load_spec
from planner.sweep.apply import apply
from planner.sweep.evaluate import check_plan, in_scenario
from planner.sweep.load import parse_scenarios
from planner.sweep.robust import robust_plan
from planner.sweep.scenarios import expand
from planner.verify import verify
from tests.conftest import ROOT

SMALL = ROOT / "examples" / "sweep" / "small-fleet.yaml"
EXACT = SolveOptions(relative_gap=0.0)


@pytest.fixture(scope="module")
def spec():
    return load_spec(SMALL)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def scenarios(text, spec, catalog):
    return expand(parse_scenarios(text, "robust.yaml", spec, catalog))


def robust(*args, **kwargs):
    """robust_plan's fleet and its coverage (what `planner plan --robust` puts in the plan's
    annotations)."""
    found = robust_plan(*args, **kwargs)
    assert found.plan.annotations is None  # the use cases annotate it, not the driver
    return found.plan, found.robust


def covered_checks(plan, robust, spec, catalog, found):
    by_id = {s.id: s for s in found}
    return {i: check_plan(plan, *apply(by_id[i], spec, catalog)) for i in robust.covered}


GRID = """\
axes:
  - {kind: traffic, workloads: [chat], values: [1, 2]}
  - {kind: traffic, workloads: [nightly], values: [1, 1.5]}
  - {kind: region_outage, values: [none, us-east-1]}
  - {kind: price, pricing: spot, values: [1, 1.5]}
"""


@pytest.mark.parametrize("direct_limit", [16, 1], ids=["one-model", "constraint-generation"])
def test_robust_fleet_keeps_every_promise_and_beats_any_single_scenario_plan(
    spec, catalog, direct_limit
):
    found = scenarios(GRID, spec, catalog)
    plan, covered = robust(spec, catalog, found, options=EXACT, direct_limit=direct_limit)
    assert covered.coverage == 1.0 and covered.uncovered == []
    assert sorted(covered.covered) == sorted(s.id for s in found)
    for check in covered_checks(plan, covered, spec, catalog, found).values():
        assert check.violations == () and check.lost == ()
    # each scenario's own cheapest plan, kept only if it serves every other scenario too
    serving_all = []
    for s in found:
        single = solve(*apply(s, spec, catalog), options=EXACT, baselines=False)
        if all(check_plan(single, *apply(o, spec, catalog), unmet=False).ok for o in found):
            serving_all.append(in_scenario(single, catalog)[0].objective_value)  # base prices
    assert serving_all, "some single-scenario plan should serve all of them"
    assert plan.objective_value <= min(serving_all) * (1 + 1e-6)  # (plans round to 1e-6)
    # and it costs at least what the hardest scenario alone costs
    assert plan.objective_value >= plan.lower_bound
    assert covered.worst_case_cost >= plan.objective_value


def test_scenarios_no_fleet_serves_are_left_out_with_their_reason(spec, catalog):
    text = "axes:\n  - {kind: traffic, workloads: [chat], values: [1, 1.5, 2, 30]}\n"
    found = scenarios(text, spec, catalog)
    plan, covered = robust(spec, catalog, found, coverage=0.75)
    assert covered.coverage == 0.75
    (left_out,) = covered.uncovered  # the most stressed one: verify says why
    assert left_out.label == "traffic[chat]=30"
    assert "chat: the plan's instances cannot carry 360 requests/s" in left_out.reason
    for check in covered_checks(plan, covered, spec, catalog, found).values():
        assert check.ok
    with pytest.raises(InfeasibleError) as caught:  # all of them: that one has no plan at all
        robust_plan(spec, catalog, found, coverage=1.0)
    message = str(caught.value)
    assert message.startswith("No fleet found that covers 100% of the 4 scenarios")
    assert "(traffic[chat]=30): No plan satisfies these constraints together" in message
    # the constraints that together rule it out are listed (which one binds depends on capacity)
    assert "the budget is $100 per hour" in message or "chat may use at most" in message


SAMPLE = """\
sample: 40
seed: 5
axes:
  - {kind: traffic, workloads: [chat], range: [0.5, 3]}
  - {kind: traffic, workloads: [nightly], range: [0.5, 2]}
  - {kind: region_outage, values: [none, none, us-east-1, us-central1]}
  - {kind: spot_unavailable, providers: [gcp]}
  - {kind: quota_scale, values: [1, 0.5]}
"""


@pytest.mark.parametrize("coverage", [1.0, 0.8])
def test_many_scenarios_are_solved_on_a_subset_and_checked_on_all(spec, catalog, coverage):
    found = scenarios(SAMPLE, spec, catalog)
    plan, covered = robust(spec, catalog, found, coverage=coverage, direct_limit=4, step=3)
    assert len(covered.modelled) < len(found)
    assert covered.rounds >= 2
    assert covered.coverage >= coverage
    assert len(covered.covered) + len(covered.uncovered) == len(found)
    for check in covered_checks(plan, covered, spec, catalog, found).values():
        assert check.ok
    for u in covered.uncovered:
        assert u.reason


def test_planner_plan_robust_from_the_command_line(cli, tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text(GRID)
    out = tmp_path / "plan.json"
    result = cli("plan", SMALL, "--robust", grid, "--coverage", "0.9", "-o", out,
                 "--date", "2027-01-10")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Robust over 16 scenarios: covers 100.0% (target 90%)" in result.stdout
    saved = json.loads(out.read_text())
    assert saved["annotations"]["robust"]["coverage_target"] == 0.9
    assert saved["plan_date"] == "2027-01-10"  # --date holds for robust plans too
    # the grid holds the base scenario, so the fleet also passes an ordinary verify
    assert cli("verify", out, SMALL).exit_code == 0
    bad = cli("plan", SMALL, "--robust", grid, "--coverage", "1.5")
    assert bad.exit_code == 2 and "'--coverage': 1.5 is outside 0 to 1" in bad.stderr


PLAN_DATE = dt.date(2026, 11, 1)
"""Reservation terms count from the plan's date, not the clock's."""


def _robust_and_checked(spec, catalog, text):
    """A robust plan over the scenarios of `text`, and each covered scenario's check."""
    found = scenarios(text, spec, catalog)
    plan, covered = robust(spec, catalog, found, options=EXACT, as_of=PLAN_DATE)
    assert covered.coverage == 1.0, covered.uncovered
    return plan, covered_checks(plan, covered, spec, catalog, found)


def test_robust_fleet_fills_owned_pools_and_edge_devices_in_every_scenario(catalog):
    """A reservation, an own cluster and edge devices are used by a robust fleet as by any
    plan: within each pool's size and, in every scenario, edge_share_max of that traffic."""
    hybrid = load_spec(ROOT / "examples" / "hybrid-fleet.yaml")
    text = (
        "axes:\n  - {kind: traffic, workloads: [store-assistant], values: [1, 1.6]}\n"
        "  - {kind: price, values: [1, 1.4]}\n"
    )
    plan, checks = _robust_and_checked(hybrid, catalog, text)
    assert len(checks) == 4
    for check in checks.values():
        assert check.violations == () and check.lost == ()
    pools = {a.capacity_pool for a in plan.allocations if a.capacity_pool}
    assert {"l4-reserved", "stores"} <= pools
    used = {c.name: c.used for c in plan.capacity}
    assert 0 < used["l4-reserved"] <= 4 and 0 < used["stores"] <= 40
    # the busiest scenario (1.6x traffic) routes at most 30% of its 48 requests/s to the edge
    edge = sum(a.routed_rps for a in plan.allocations if a.service == "edge")
    assert 0 < edge <= 0.3 * 48 + 1e-6
    assert verify(plan, hybrid, catalog) == []  # and the base spec's own verify passes


def test_a_region_outage_takes_the_owned_capacity_there(catalog):
    """Losing us-east-1 loses the reservation there and the edge site in it: a plan that uses
    them has those allocations lost in that scenario, and a robust fleet serves it without."""
    hybrid = load_spec(ROOT / "examples" / "hybrid-fleet.yaml")
    text = "axes:\n  - {kind: region_outage, values: [none, us-east-1]}\n"
    outage = next(s for s in scenarios(text, hybrid, catalog) if s.label != "base")
    single = solve(hybrid, catalog, options=EXACT, baselines=False, as_of=PLAN_DATE)
    assert any(a.capacity_pool == "l4-reserved" for a in single.allocations)
    check = check_plan(single, *apply(outage, hybrid, catalog))
    assert any("g6.xlarge in aws us-east-1" in lost for lost in check.lost)
    assert all(a.region != "us-east-1" for a in check.plan.allocations)
    plan, checks = _robust_and_checked(hybrid, catalog, text)
    assert len(checks) == 2
    for check in checks.values():
        assert check.violations == ()
    assert verify(plan, hybrid, catalog) == []


def test_robust_fleet_packs_shared_instances_in_every_scenario(catalog):
    """Workloads with sharing: shared pack their replicas onto instances bought once for the
    group, in every scenario, and that costs less than giving each its own."""
    shared = load_spec(ROOT / "examples" / "shared-small-models.yaml")
    text = "axes:\n  - {kind: traffic, values: [1, 2]}\n  - {kind: price, values: [1, 1.3]}\n"
    plan, checks = _robust_and_checked(shared, catalog, text)
    for check in checks.values():
        assert check.violations == () and check.lost == ()
    (group,) = plan.shared_groups
    assert len(group.workloads) >= 2
    dedicated = shared.model_copy(
        update={
            "workloads": tuple(
                w.model_copy(update={"sharing": "dedicated"}) for w in shared.workloads
            )
        }
    )
    alone, _ = _robust_and_checked(dedicated, catalog, text)
    assert plan.objective_value < alone.objective_value


def test_spread_rules_hold_in_every_scenario(spec, catalog):
    """Region spread, surviving a region's loss and a spot cap are kept per scenario, on the
    instances each scenario leaves."""
    chat = spec.workloads[0]
    placement = chat.placement.model_copy(
        update={"min_regions": 2, "survive_region_loss": True, "spot": True, "max_spot_share": 0.5}
    )
    spread = spec.model_copy(
        update={"workloads": (chat.model_copy(update={"placement": placement}), spec.workloads[1])}
    )
    text = (
        "axes:\n  - {kind: traffic, workloads: [chat], values: [1, 1.8]}\n"
        "  - {kind: region_outage, values: [none, us-east-1, us-west-2]}\n"
    )
    found = scenarios(text, spread, catalog)
    plan, covered = robust(spread, catalog, found)
    assert covered.coverage == 1.0
    for check in covered_checks(plan, covered, spread, catalog, found).values():
        assert check.ok, check.violations
    regions = {a.region for a in plan.allocations if a.workload == "chat"}
    assert len(regions) >= 2
