"""Plan assembly reads indexes built once per plan (shares by workload, shared-group use,
catalog rows by place, equal covering rows numbered alike) instead of scanning the whole plan
or catalog for each workload: the figures are the ones the scans gave."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.catalog import load_catalog
from planner.solve.assemble import by_place, with_compatible_instances
from planner.solve.decompose import _SameRows
from planner.solve.solution import Solution
from tests.test_report_plans import alloc


def test_compatible_instances_from_the_place_index_are_the_catalog_scans():
    catalog = load_catalog()
    places = by_place(catalog)
    seen, spread = 0, 0
    for o in catalog:
        if o.owned or o.accelerator_count < 1:
            continue
        for pricing in ("on_demand", "spot"):
            price = o.price(pricing)
            if not price:
                continue
            a = alloc("api", provider=o.provider, region=o.region, zone=o.zone,
                      service=o.service, instance_type=o.instance_type,
                      accelerator=o.accelerator, accelerators_per_instance=o.accelerator_count,
                      pricing=pricing, price_per_hour=price)  # fmt: skip
            found = with_compatible_instances(a, catalog, places)
            assert found == with_compatible_instances(a, catalog)
            seen += 1
            spread += bool(found.compatible_instances)
    assert seen > 100 and spread > 10


shares = st.dictionaries(
    st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 4), st.integers(0, 2)),
    st.floats(0.0, 1.0),
    max_size=30,
)


@given(shares)
def test_shares_grouped_by_workload_are_each_workload_s_own(found):
    grouped = Solution(shares=found).shares_by_workload()
    for name in ("a", "b", "c"):
        mine = {(i, b): x for (w, i, b), x in found.items() if w == name}
        assert grouped.get(name, {}) == mine


@settings(max_examples=50)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=12), st.integers(1, 4))
def test_equal_covering_rows_share_a_number_and_different_ones_do_not(picks, width):
    rng = np.random.default_rng(len(picks) * 10 + width)
    kinds = [np.round(rng.random((2, width)), 3) for _ in range(4)]
    same = _SameRows()
    numbers = [same.number(kinds[p].copy()) for p in picks]
    for p, n in zip(picks, numbers, strict=True):
        for q, m in zip(picks, numbers, strict=True):
            assert (n == m) == np.array_equal(kinds[p], kinds[q])
