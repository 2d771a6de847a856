"""`placement.max_spot_share` holds for every workload kind, in the plan and in `verify`."""

from __future__ import annotations

import pytest

from planner.catalog import load_catalog
from planner.rules import spot_share
from planner.solve import solve
from planner.spec import parse_spec
from planner.verify import verify
from tests.conftest import EXAMPLES

BY_NAME = {p.name: p for p in EXAMPLES}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def batch_spec(share: float):
    text = BY_NAME["nightly-batch-spot.yaml"].read_text()
    return parse_spec(text.replace("max_spot_share: 1.0", f"max_spot_share: {share}"))


def training_spec(share: float):
    text = BY_NAME["finetune-with-quota.yaml"].read_text()
    rule = f"providers: [aws, gcp]\n      spot: true\n      max_spot_share: {share}"
    text = text.replace("preemptible: false", "preemptible: true")
    text = text.replace("providers: [aws, gcp]", rule)
    return parse_spec(text)


@pytest.mark.parametrize("share", [0.0, 0.3, 0.5])
def test_a_batch_job_keeps_its_spot_share_in_accelerator_hours(share, catalog):
    spec = batch_spec(share)
    plan = solve(spec, catalog, baselines=False)
    used = spot_share.spot_share(plan.allocations)
    assert used is not None and used <= share + 1e-6
    assert verify(plan, spec, catalog) == []


def test_a_batch_job_with_no_cap_still_runs_all_on_spot(catalog):
    plan = solve(batch_spec(1.0), catalog, baselines=False)
    assert {a.pricing for a in plan.allocations} == {"spot"}


def test_verify_catches_an_all_spot_batch_plan_above_its_cap(catalog):
    all_spot = solve(batch_spec(1.0), catalog, baselines=False)
    found = "\n".join(str(v) for v in verify(all_spot, batch_spec(0.3), catalog))
    assert "100% of accelerator-hours on spot, above max_spot_share 30%" in found


def test_a_training_gang_under_a_spot_cap_is_not_on_spot(catalog):
    free = solve(training_spec(1.0), catalog, baselines=False)
    assert [a.pricing for a in free.allocations] == ["spot"]  # spot is cheaper when allowed
    capped_spec = training_spec(0.5)
    capped = solve(capped_spec, catalog, baselines=False)
    assert [a.pricing for a in capped.allocations] == ["on_demand"]
    assert verify(capped, capped_spec, catalog) == []
    found = "\n".join(str(v) for v in verify(free, capped_spec, catalog))
    assert "100% of accelerators on spot, above max_spot_share 50%" in found


def test_the_decomposition_keeps_the_cap_for_batch_and_training(catalog):
    from planner.solve import SolveOptions

    for spec, cap in ((batch_spec(0.3), 0.3), (training_spec(0.5), 0.0)):
        plan = solve(spec, catalog, baselines=False, options=SolveOptions(strategy="decomposition"))
        assert spot_share.spot_share(plan.allocations) <= cap + 1e-6
        assert verify(plan, spec, catalog) == []


def test_the_decomposition_keeps_a_capped_training_gang_off_spot(catalog):
    from planner.solve import SolveOptions

    options = SolveOptions(strategy="decomposition")
    free = solve(training_spec(1.0), catalog, baselines=False, options=options)
    assert [a.pricing for a in free.allocations] == ["spot"]
    capped = solve(training_spec(0.5), catalog, baselines=False, options=options)
    assert [a.pricing for a in capped.allocations] == ["on_demand"]
