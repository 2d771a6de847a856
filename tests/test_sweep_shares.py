"""The demand a fixed plan leaves unserved in a what-if: the served share computed from what
verify's capacity check weighed is the one bisection over verify finds, workload by workload;
and the largest share of a routing is where verify's routing check turns."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from planner.catalog import load_catalog
from planner.solve import solve
from planner.spec import load_spec
from planner.sweep.apply import apply
from planner.sweep.evaluate import _Alone, in_scenario, served_share, served_shares
from planner.sweep.load import parse_scenarios
from planner.sweep.scenarios import expand
from planner.verify import verify
from planner.verify.checks import _largest_routable, _routable, _routable_directly
from tests.conftest import ROOT

SMALL = ROOT / "examples" / "sweep" / "small-fleet.yaml"
WHAT_IFS = """\
axes:
  - kind: traffic
    values: [1.3, 2.2, 3.7, 9]
  - kind: region_outage
    values: [none, us-east-1]
"""


@pytest.fixture(scope="module")
def fleet():
    spec = load_spec(SMALL)
    catalog = load_catalog()
    return spec, catalog, solve(spec, catalog, baselines=False)


def test_served_shares_are_what_bisection_over_verify_finds(fleet):
    spec, catalog, plan = fleet
    compared = 0
    for scenario in expand(parse_scenarios(WHAT_IFS, "what-ifs.yaml")):
        what_if, prices = apply(scenario, spec, catalog)
        reduced, _ = in_scenario(plan, prices, what_if)
        subjects = {v.subject for v in verify(reduced, what_if, prices, figures=False)}
        broken = [w for w in what_if.workloads if w.name in subjects]
        alone = _Alone(reduced, what_if, prices)
        computed = served_shares(reduced, what_if, prices, broken, alone)
        for w in broken:
            assert computed[w.name] == served_share(reduced, what_if, prices, w, alone), (
                scenario.label,
                w.name,
            )
            compared += 1
    assert compared >= 8  # the what-ifs do leave workloads short


loads_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=12),
        st.lists(
            st.one_of(st.just(0.0), st.floats(min_value=0.05, max_value=50.0)),
            min_size=3,
            max_size=3,
        ),
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(
    loads=loads_strategy,
    buckets=st.integers(min_value=1, max_value=3),
    demand=st.lists(st.floats(min_value=0.0, max_value=80.0), min_size=3, max_size=3),
    scale=st.floats(min_value=0.0, max_value=2.0),
)
def test_the_largest_share_is_where_the_routing_check_turns(loads, buckets, demand, scale):
    loads = [(count, rps[:buckets]) for count, rps in loads]
    demand = demand[:buckets]
    largest, within = _largest_routable([(c, tuple(r)) for c, r in loads], demand)
    if math.isinf(largest) or math.isinf(within):
        return
    s = largest * scale
    if abs(s - largest) <= 10 * within * max(largest, 1e-9):
        return  # too near the turn for either side to be promised
    assert _routable(loads, [s * d for d in demand]) == (s < largest)


@settings(max_examples=300, deadline=None)
@given(
    loads=loads_strategy,
    buckets=st.integers(min_value=1, max_value=3),
    demand=st.lists(st.floats(min_value=0.0, max_value=80.0), min_size=3, max_size=3),
)
# a shared bucket whose demand's share of capacity underflows to 0 (it divided by zero)
@example(loads=[(0, [0.0, 2.0, 0.0]), (0, [1.0, 1.0, 0.0])], buckets=2, demand=[0.0, 5e-324, 0.0])
def test_the_routing_check_without_an_lp_decides_as_the_lp(loads, buckets, demand):
    loads = [(count, rps[:buckets]) for count, rps in loads]
    demand = demand[:buckets]
    direct = _routable_directly(loads, demand)
    if direct is not None:
        assert direct == _routable(loads, demand, closed_form=False)


@pytest.mark.parametrize("closed_form", [True, False])
def test_a_bucket_nobody_serves_does_not_excuse_the_buckets_over_capacity(closed_form):
    # bucket 0: no instance serves it, and its demand is none; bucket 1: 30 rps on 1 x 10 rps
    loads = [(1, [0.0, 10.0])]
    assert not _routable(loads, [0.0, 30.0], closed_form=closed_form)
    assert _routable(loads, [0.0, 5.0], closed_form=closed_form)
    assert not _routable(loads, [1.0, 5.0], closed_form=closed_form)
    largest, _ = _largest_routable([(1, (0.0, 10.0))], [0.0, 30.0])
    assert largest == pytest.approx(1 / 3, rel=1e-5)
