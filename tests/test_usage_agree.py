"""Report, verify and the solver read one usage figure per quota: on random plans (dedicated,
shared and owned-capacity allocations, either pricing, any counts) they agree with each other and
with the rule written out by hand here (every instance at peak, a shared group's instances once,
owned capacity outside every cloud quota)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.catalog import load_catalog
from planner.report.quota import quota_usage as report_usage
from planner.solve import solve
from planner.solve.usage import quota_usage as solver_usage
from planner.spec import load_spec
from planner.spec.models import Quota
from planner.verify import verify
from tests.conftest import EXAMPLES, PLAN_DATE

BY_NAME = {p.name: p for p in EXAMPLES}


@pytest.fixture(scope="module")
def base():
    """Allocations of every shape: shared groups, dedicated VMs, owned pools and edge devices."""
    catalog = load_catalog()
    spec_a = load_spec(BY_NAME["shared-small-models.yaml"])
    spec_b = load_spec(BY_NAME["hybrid-fleet.yaml"])
    plan_a = solve(spec_a, catalog, baselines=False, as_of=PLAN_DATE)
    plan_b = solve(spec_b, catalog, baselines=False, as_of=PLAN_DATE)
    assert any(a.shared_group for a in plan_a.allocations)
    assert any(a.capacity_pool for a in plan_b.allocations)
    return catalog, (spec_a, plan_a), (spec_b, plan_b)


def by_hand(q: Quota, allocations) -> int:
    groups = {}
    used = 0
    for a in allocations:
        if a.capacity_pool or (a.provider, a.region) != (q.provider, q.region):
            continue
        if a.accelerator != q.accelerator or (q.pricing and a.pricing != q.pricing):
            continue
        if a.shared_group:
            groups[a.shared_group] = a.shared_instances * a.accelerators_per_instance
        else:
            used += a.count * a.accelerators_per_instance
    return used + sum(groups.values())


@st.composite
def changes(draw):
    which = draw(st.integers(0, 1))
    counts = draw(st.lists(st.integers(1, 12), min_size=6, max_size=6))
    group_sizes = draw(st.integers(1, 4))
    spot = draw(st.lists(st.booleans(), min_size=6, max_size=6))
    limits = draw(st.lists(st.integers(0, 40), min_size=3, max_size=3))
    pricing = draw(st.lists(st.sampled_from([None, "on_demand", "spot"]), min_size=3, max_size=3))
    return which, counts, group_sizes, spot, limits, pricing


@given(changes())
def test_report_verify_and_solver_agree_on_quota_usage(base, change):
    catalog, *plans = base
    which, counts, group_size, spot, limits, pricing = change
    spec, plan = plans[which]
    allocations = []
    for i, a in enumerate(plan.allocations):
        update = {"count": counts[i]}
        if a.shared_group:
            update["shared_instances"] = group_size
        elif spot[i] and not a.capacity_pool:
            update["pricing"] = "spot"
        allocations.append(a.model_copy(update=update))
    pools = sorted(
        {(a.provider, a.region, a.accelerator) for a in allocations if not a.capacity_pool}
    )
    quotas = tuple(
        Quota(provider=p, region=r, accelerator=acc, pricing=pricing[k], max_accelerators=limits[k])
        for k, (p, r, acc) in enumerate(pools[:3])
    )
    spec = spec.model_copy(
        update={"constraints": spec.constraints.model_copy(update={"quotas": quotas})}
    )
    plan = plan.model_copy(update={"allocations": allocations})

    expected = [by_hand(q, allocations) for q in quotas]
    assert [u.used for u in report_usage(plan, quotas)] == expected
    assert [solver_usage(spec, allocations)[i] for i in range(len(quotas))] == expected
    said = [str(v) for v in verify(plan, spec, catalog, figures=False) if v.subject == "fleet"]
    over = [m for m in said if re.search(r", quota \d+$", m)]
    assert len(over) == sum(u > q.max_accelerators for u, q in zip(expected, quotas, strict=True))
    for u, q in zip(expected, quotas, strict=True):
        if u > q.max_accelerators:
            assert any(f"uses {u} " in m and f"quota {q.max_accelerators}" in m for m in over)
