"""`min_regions` counts a region only if it carries `min_region_share` of the requests
(default 10%): one instance carrying 0.09 requests/s does not make a second region."""

from __future__ import annotations

import pytest

from planner.catalog import load_catalog
from planner.errors import InputError
from planner.rules.regions import MIN_REGION_SHARE
from planner.solve import solve
from planner.spec import parse_spec
from planner.verify import verify
from tests.conftest import EXAMPLES

EU = next(p for p in EXAMPLES if p.name == "eu-residency.yaml")


def eu_spec(extra: str = ""):
    return parse_spec(
        EU.read_text().replace("      min_regions: 2", "      min_regions: 2" + extra)
    )


def shares(plan):
    total = sum(a.routed_rps for a in plan.allocations)
    by_region: dict[tuple[str, str], float] = {}
    for a in plan.allocations:
        key = (a.provider, a.region)
        by_region[key] = by_region.get(key, 0.0) + a.routed_rps / total
    return by_region


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.mark.parametrize("share", [None, 0.3, 0.5])
def test_every_counted_region_carries_its_share_of_the_requests(share, catalog):
    spec = eu_spec("" if share is None else f"\n      min_region_share: {share}")
    plan = solve(spec, catalog, baselines=False)
    floor = MIN_REGION_SHARE if share is None else share
    carried = shares(plan)
    assert len([r for r, v in carried.items() if v >= floor - 1e-6]) >= 2
    assert verify(plan, spec, catalog) == []


def test_verify_does_not_count_a_region_below_the_share(catalog):
    plan = solve(eu_spec(), catalog, baselines=False)
    smallest = min(shares(plan).values())
    assert smallest < 0.45
    strict = eu_spec("\n      min_region_share: 0.45")
    found = [str(v) for v in verify(plan, strict, catalog)]
    assert any("carry at least 45% of the requests, below min_regions 2" in f for f in found)


def test_a_share_that_cannot_add_up_is_refused_with_the_field_named():
    with pytest.raises(InputError, match=r"min_regions 3 x min_region_share 0.4"):
        parse_spec(
            EU.read_text().replace("min_regions: 2", "min_regions: 3\n      min_region_share: 0.4")
        )


def test_the_default_share_leaves_the_spec_digest_of_older_plans_unchanged():
    from planner.plans.identity import LATER_PLACEMENT_FIELDS, spec_digest

    assert LATER_PLACEMENT_FIELDS["min_region_share"] == MIN_REGION_SHARE
    default = eu_spec()
    assert spec_digest(default) == spec_digest(
        eu_spec(f"\n      min_region_share: {MIN_REGION_SHARE}")
    )
    assert spec_digest(default) != spec_digest(eu_spec("\n      min_region_share: 0.2"))
