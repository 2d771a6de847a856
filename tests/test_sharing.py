"""Isolation vs sharing: shared workloads pack replicas onto common multi-GPU VM instances."""

from __future__ import annotations

import pytest

from planner.catalog import load_catalog
from planner.solve import solved
from planner.spec import load_spec
from planner.verify import verify
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "shared-small-models.yaml"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def spec():
    return load_spec(EXAMPLE)


@pytest.fixture(scope="module")
def found(spec, catalog):
    return solved(spec, catalog)


@pytest.fixture(scope="module")
def plan(found):
    return found.plan


def test_sharing_costs_less_than_dedicated_instances(found, plan):
    dedicated = next(b for b in found.baselines if b.name == "dedicated-instances")
    assert dedicated.savings > 0
    assert plan.cost_per_hour < dedicated.cost_per_hour


def test_shared_replicas_fit_the_group_gpus_and_members_pay_its_cost(plan):
    (group,) = plan.shared_groups
    members = [a for a in plan.allocations if a.shared_group == group.name]
    assert {a.workload for a in members} == {"summarise-3b", "classify-1b", "extract-7b"}
    assert sum(a.tp * a.count for a in members) <= group.instances * group.accelerators_per_instance
    assert sum(a.cost_per_hour for a in members) == pytest.approx(group.cost_per_hour, rel=1e-6)
    assert all(a.service == "ec2" for a in members)


def test_dedicated_workloads_never_share(plan):
    assert all(a.shared_group is None for a in plan.allocations if a.workload == "draft-8b")


def test_shared_plans_pass_verify_and_overpacking_is_caught(plan, spec, catalog):
    assert verify(plan, spec, catalog) == []
    (group,) = plan.shared_groups
    squeezed = plan.model_copy(
        update={"shared_groups": [group.model_copy(update={"instances": 0})]}
    )
    messages = "\n".join(str(v) for v in verify(squeezed, spec, catalog))
    assert "GPUs of replicas on 0 x 8-GPU instances" in messages


def test_shared_memory_is_respected(plan):
    """Every shared replica's model fits the TP GPUs it gets (the capacity model said it fits)."""
    from planner.facts import find_accelerator, find_llm
    from planner.perf import memory_fit

    for a in plan.allocations:
        if a.shared_group:
            w = next(w for w in plan.workloads if w.name == a.workload)
            fit = memory_fit(find_llm(w.model), find_accelerator(a.accelerator), a.tp,
                             a.max_context)  # fmt: skip
            assert fit.fits
