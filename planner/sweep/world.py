"""A scenario made concrete: its spec, catalog and candidates, and the solver's view of it (a
World: each workload's demand there, what is sold at which price, quotas, budget, owned pools)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from planner.catalog import Catalog
from planner.perf import DEFAULT_SETTINGS, PerfSettings, Profiles
from planner.solve import PlacementProblem, World, make_problem, spec_world
from planner.solve.candidates import Candidate
from planner.spec.models import Spec
from planner.sweep.apply import apply
from planner.sweep.scenarios import Scenario

PRICINGS = ("on_demand", "spot")


@dataclass(frozen=True)
class ScenarioWorld:
    """One scenario's spec, catalog and candidates, and the world the solver sees in it."""

    scenario: Scenario
    spec: Spec
    catalog: Catalog
    problem: PlacementProblem
    world: World


def make_world(
    scenario: Scenario,
    spec: Spec,
    catalog: Catalog,
    settings: PerfSettings = DEFAULT_SETTINGS,
    profiles: Profiles | None = None,
    today: dt.date | None = None,
) -> ScenarioWorld:
    """The world of `scenario` on the date `today` (default the clock's); InfeasibleError when
    a workload has no candidate in it."""
    spec_s, catalog_s = apply(scenario, spec, catalog)
    problem = make_problem(spec_s, catalog_s, settings, profiles, today)
    owned = {c.offering.key: c.offering for cs in problem.candidates.values() for c in cs}
    offerings = [*catalog_s.offerings, *(o for o in owned.values() if o.owned)]  # pools: derived
    prices = {
        (o.key, pricing): price
        for o in offerings
        for pricing in PRICINGS
        if (price := o.price(pricing)) is not None  # type: ignore[arg-type]
    }
    world = replace(spec_world(problem, scenario.id), prices=prices)
    return ScenarioWorld(scenario, spec_s, catalog_s, problem, world)


def fleet_problem(base: ScenarioWorld, worlds: list[ScenarioWorld]) -> PlacementProblem:
    """The base spec over each workload's candidates in any of the worlds (once per offering,
    pricing, TP and sharing; the base world's first, so they carry its prices)."""
    found: dict[str, dict[tuple, Candidate]] = {}
    for world in (base, *worlds):
        for name, cands in world.problem.candidates.items():
            mine = found.setdefault(name, {})
            for c in cands:
                mine.setdefault((c.offering.key, c.pricing, c.tp, c.shared), c)
    candidates = {
        name: tuple(sorted(mine.values(), key=lambda c: c.sort_key)) for name, mine in found.items()
    }
    return PlacementProblem(base.spec, candidates, base.problem.owned, base.problem.commitments)
