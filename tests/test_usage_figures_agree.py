"""The solver, `planner verify` and the plan/report read every usage figure the same way: on
random plans (random candidates and counts of real problems: dedicated, shared, owned, spot and
on-demand, serving, batch and training), the MIP's own rows evaluated at the plan's decisions
give the same quota, owned-pool, budget and spot-share figures as the plan's allocations do
through the rule families, the report's quota table and verify, and verify flags exactly the
rows the MIP would break."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from planner.catalog import load_catalog
from planner.report.quota import quota_usage as report_usage
from planner.rules import regions, spot_share
from planner.rules.quotas import owned_used, peak_cost, quota_usage
from planner.solve.assemble import allocations_of, assemble_plan
from planner.solve.mip import PlacementProblem, build
from planner.solve.problem import make_problem
from planner.solve.routing import settled_shares
from planner.solve.solution import Solution
from planner.spec import parse_spec
from planner.spec.models import Quota, ServingWorkload, TrainingWorkload
from planner.verify import verify
from tests.conftest import EXAMPLES, PLAN_DATE

BY_NAME = {p.name: p for p in EXAMPLES}
SPOT_SERVING = ("min_regions: 2\n", "min_regions: 2\n      spot: true\n      max_spot_share: 0.5\n")
SPOT_TRAINING = (
    "providers: [aws, gcp]",
    "providers: [aws, gcp]\n      spot: true\n      max_spot_share: 0.5",
)
SPECS = {
    "hybrid-fleet.yaml": (),
    "shared-small-models.yaml": (),
    "chatbot-fleet.yaml": (SPOT_SERVING,),
    "nightly-batch-spot.yaml": (("max_spot_share: 1.0", "max_spot_share: 0.5"),),
    "finetune-with-quota.yaml": (SPOT_TRAINING, ("preemptible: false", "preemptible: true")),
}


@pytest.fixture(scope="module")
def problems():
    catalog = load_catalog()
    out = []
    for name, edits in SPECS.items():
        text = BY_NAME[name].read_text()
        for old, new in edits:
            assert old in text
            text = text.replace(old, new, 1)
        spec = parse_spec(text)
        out.append(make_problem(spec, catalog, today=PLAN_DATE))
    return catalog, out


@st.composite
def random_plans(draw):
    which = draw(st.integers(0, len(SPECS) - 1))
    picks = draw(st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 9)), min_size=6,
                          max_size=6))  # fmt: skip
    fraction = draw(st.floats(0.1, 1.0))
    group = draw(st.integers(1, 4))
    limits = draw(st.lists(st.integers(0, 40), min_size=4, max_size=4))
    budget = draw(st.floats(1.0, 400.0))
    return which, picks, fraction, group, limits, budget


def _solution(problem: PlacementProblem, picks, fraction: float, group: int) -> Solution:
    """Random counts on random candidates of every workload (one gang for training), batch
    hours a fraction of what the instances can work, proportional routing."""
    sol = Solution()
    for k, w in enumerate(problem.spec.workloads):
        cands = problem.candidates[w.name]
        chosen = sorted({picks[(k + j) % len(picks)][0] % len(cands) for j in range(2)})
        for j, i in enumerate(chosen):
            if isinstance(w, TrainingWorkload):
                sol.counts[(w.name, i)] = 1
                break
            n = picks[(k + j) % len(picks)][1]
            sol.counts[(w.name, i)] = n
            c = cands[i]
            if c.shared:
                sol.shared_instances[c.shared_group] = group
            if not isinstance(w, ServingWorkload):
                sol.hours[(w.name, i)] = n * (c.window_hours or w.deadline_hours) * fraction
        if isinstance(w, ServingWorkload):
            for b in range(len(problem.demand(w))):
                able = [i for i in chosen if cands[i].bucket_rps[b] > 0]
                total = sum(sol.counts[(w.name, i)] * cands[i].bucket_rps[b] for i in able)
                for i in able:
                    rate = sol.counts[(w.name, i)] * cands[i].bucket_rps[b]
                    sol.shares[(w.name, i, b)] = rate / total
    return sol


def _rows(problem: PlacementProblem, sol: Solution) -> dict[str, tuple[float, float]]:
    """Every named row of the MIP: (its activity at the solution, its upper bound)."""
    built = build(problem)
    value = {}
    for key, var in built.n.items():
        value[var] = sol.count(*key)
    for key, var in built.z.items():
        value[var] = sol.count(*key)
    for key, var in built.h.items():
        value[var] = sol.hours.get(key, 0.0)
    for group, var in built.m.items():
        value[var] = sol.shared_instances.get(group, 0)
    out = {}
    for row in built.model.linear_constraints():
        if row.name:
            activity = sum(t.coefficient * value.get(t.variable, 0.0) for t in row.terms())
            out[row.name] = (activity, row.upper_bound)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_plans())
def test_solver_rows_verify_and_report_agree_on_every_usage_figure(problems, plan_data):
    catalog, all_problems = problems
    which, picks, fraction, group, limits, budget = plan_data
    problem = all_problems[which]
    sol = _solution(problem, picks, fraction, group)
    allocations = allocations_of(problem, sol)
    pools = sorted({c.pool for cands in problem.candidates.values() for c in cands
                    if c.pool[0] != "owned"})  # fmt: skip
    quotas = tuple(
        Quota(provider=p, region=r, accelerator=acc, pricing=pricing if k % 2 else None,
              max_accelerators=limits[k])
        for k, (p, r, acc, pricing) in enumerate(pools[:4])
    )  # fmt: skip
    constraints = problem.spec.constraints.model_copy(
        update={"quotas": quotas, "budget_per_hour": budget}
    )
    spec = problem.spec.model_copy(update={"constraints": constraints})
    problem = PlacementProblem(spec, problem.candidates, problem.owned, problem.commitments)
    rows = _rows(problem, sol)
    plan = _plan(catalog, problem, allocations)
    allocations = plan.allocations
    said = [str(v) for v in verify(plan, spec, catalog, figures=False)]

    # quotas: the MIP row, the rule family, the report's table; verify flags the rows over
    used = [u.used for u in quota_usage(quotas, allocations)]
    assert [u.used for u in report_usage(plan, quotas)] == used
    for i, q in enumerate(quotas):
        assert rows.get(f"quota_{i}", (0.0, 0))[0] == pytest.approx(used[i])
        flagged = any(re.search(rf"uses {used[i]} .*, quota {q.max_accelerators}$", m)
                      for m in said)  # fmt: skip
        assert flagged == (used[i] > q.max_accelerators)
        event(f"quota {'over' if flagged else 'kept'}")
    # owned pools: the MIP row, the plan's capacity figure and verify
    for name, pool in problem.owned.items():
        mine = owned_used(name, allocations)
        assert rows.get(f"owned[{name}]", (0.0, 0))[0] == pytest.approx(mine)
        assert next(c.used for c in plan.capacity if c.name == name) == mine
        over = any(f"accelerators of {name}, which has" in m for m in said)
        assert over == (mine > pool.accelerators)
        event(f"owned pool {'over' if over else 'kept'}")
    # the budget: every instance at once, in the MIP, the plan and verify
    peak = peak_cost(allocations)
    assert rows["budget"][0] == pytest.approx(peak, rel=1e-6, abs=1e-5)
    assert plan.peak_cost_per_hour == pytest.approx(peak, abs=1e-5)
    over_budget = any("above the $" in m and "budget" in m for m in said)
    if not math.isclose(peak, budget, rel_tol=1e-6):
        assert over_budget == (peak > budget)
        event(f"budget {'over' if over_budget else 'kept'}")
    # spot share: the MIP row breaks exactly where the family's check (verify's) says so
    for w in spec.workloads:
        row = rows.get(f"spot_share[{w.name}]")
        mine = [a for a in allocations if a.workload == w.name]
        words = spot_share.check(w, mine)
        share = spot_share.spot_share(mine)
        if row is None or share is None or abs(share - spot_share.cap(w)) < 1e-6:
            continue
        assert (row[0] > 1e-6) == bool(words)
        event(f"spot share {'over' if words else 'kept'} ({w.kind})")
        assert bool(words) == any("above max_spot_share" in m for m in said if w.name in m)


def test_solver_routing_and_verify_agree_on_region_shares(problems):
    """Per region, the requests the MIP's spread rows count (demand x routed shares) are the
    plan's routed requests there, and the regions that reach min_region_share are the ones
    verify counts."""
    _, all_problems = problems
    problem = all_problems[list(SPECS).index("chatbot-fleet.yaml")]
    w = next(w for w in problem.spec.workloads if regions.spread(w))
    cands, demand = problem.candidates[w.name], problem.demand(w)
    for seed in range(12):
        picks = [((seed * 7919 + j * 104729) % 10**6, 1 + (seed + j) % 9) for j in range(6)]
        sol = _solution(problem, picks, 1.0, 1)
        shares = settled_shares(problem, sol, w)
        carried: dict[tuple[str, str], float] = {}
        for (i, b), x in shares.items():
            carried[cands[i].region] = carried.get(cands[i].region, 0.0) + demand[b] * x
        mine = [a for a in allocations_of(problem, sol) if a.workload == w.name]
        routed: dict[tuple[str, str], float] = {}
        for a in mine:
            where = (a.provider, a.region)
            routed[where] = routed.get(where, 0.0) + (a.routed_rps or 0.0)
        assert carried == pytest.approx(routed, abs=1e-4)
        floor = w.placement.min_region_share * sum(demand)
        far = all(abs(v - floor) > 1e-3 for v in carried.values())
        if far:
            counted = regions.counted_regions(w, mine)
            assert counted == sorted(r for r, v in carried.items() if v >= floor)


def _plan(catalog, problem: PlacementProblem, allocations):
    """The plan of these allocations, assembled as the solver assembles its own."""
    return assemble_plan(problem, allocations, status="feasible", bound=0.0, seconds=0.0,
                         plan_date=PLAN_DATE, catalog=catalog)  # fmt: skip
