"""The placement model over several worlds: a fleet that serves every world is the cheapest
such fleet (enumerated), copies of the spec's world change nothing, and an offering a world
does not sell carries nothing there."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.catalog.load import Catalog
from planner.solve import SolveOptions, make_problem, solve, solve_fleet, spec_world
from planner.spec import parse_spec
from tests.test_solve import offering, serving_spec

EXACT = SolveOptions(relative_gap=0.0)


def _catalog(prices):
    return Catalog(
        tuple(
            sorted(
                [offering("a.l4", "L4", 1, prices[0]), offering("b.a10g", "A10G", 1, prices[1])],
                key=lambda o: o.key,
            )
        )
    )


def _scaled(world, name, factor):
    return replace(
        world, name=name, demand={k: tuple(d * factor for d in v) for k, v in world.demand.items()}
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rps=st.floats(0.5, 12),
    factors=st.lists(st.floats(0.5, 2.5), min_size=2, max_size=3),
    prices=st.lists(st.floats(0.3, 6), min_size=2, max_size=2),
    unsold=st.booleans(),
)
def test_a_fleet_over_worlds_is_the_enumerated_cheapest_that_serves_each(
    rps, factors, prices, unsold
):
    """Counts are shared, demand is per world, and where the last world does not sell the
    A10G instance only the L4 instances carry its traffic (none, if the L4 was pruned)."""
    spec = parse_spec(serving_spec(rps, 1000, 200), "spec.yaml")
    problem = make_problem(spec, _catalog(prices))
    cands = problem.candidates["chat"]
    base = spec_world(problem)
    worlds = [_scaled(base, str(k), f) for k, f in enumerate(factors)]
    if unsold:
        sold = {
            (c.offering.key, c.pricing): c.price for c in cands if c.offering.accelerator != "A10G"
        }
        worlds[-1] = replace(worlds[-1], prices=sold)
    fleet = solve_fleet(problem, worlds, EXACT)

    def serves(counts) -> bool:
        for world in worlds:
            here = [
                (n, c) for n, c in zip(counts, cands, strict=True) if world.price(c) is not None
            ]
            (demand,) = world.demand["chat"]
            if sum(n * c.bucket_rps[0] for n, c in here) < demand - 1e-9:
                return False
            if sum(n * c.replicas_per_instance for n, c in here) < 1:
                return False
        return True

    most = max(d for w in worlds for d in w.demand["chat"])
    ranges = [range(math.ceil(most / c.bucket_rps[0]) + 2) for c in cands]
    costs = [
        sum(n * c.price for n, c in zip(counts, cands, strict=True))
        for counts in itertools.product(*ranges)
        if serves(counts)
    ]
    if not costs:  # the last world sells nothing that can serve the workload
        assert fleet is None
    else:
        assert fleet is not None
        assert fleet.objective == pytest.approx(min(costs), rel=1e-6, abs=1e-6)


def test_copies_of_the_spec_world_give_the_plain_plan():
    """One world is the plain plan: the same world twice costs what `solve` finds."""
    spec = parse_spec(serving_spec(9, 1000, 200), "spec.yaml")
    catalog = _catalog([1.0, 1.7])
    problem = make_problem(spec, catalog)
    world = spec_world(problem)
    fleet = solve_fleet(problem, [world, _scaled(world, "copy", 1.0)], EXACT)
    plain = solve(spec, catalog, options=EXACT, baselines=False)
    assert fleet is not None
    assert fleet.objective == pytest.approx(plain.objective_value, rel=1e-6)
    assert [(a.instance_type, a.count) for a in fleet.allocations] == [
        (a.instance_type, a.count) for a in plain.allocations
    ]
