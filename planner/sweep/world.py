"""A world: one scenario made concrete for the robust model (its spec, catalog, candidates and
what each offering costs there)."""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.catalog import Catalog, Offering
from planner.perf import DEFAULT_SETTINGS, PerfSettings, Profiles
from planner.solve import make_problem
from planner.solve.candidates import Candidate
from planner.solve.mip import PlacementProblem
from planner.spec.models import Spec, Workload
from planner.sweep.apply import apply
from planner.sweep.scenarios import Scenario


@dataclass(frozen=True)
class World:
    """One scenario's spec, catalog and candidates, and its offerings by identity."""

    scenario: Scenario
    spec: Spec
    catalog: Catalog
    problem: PlacementProblem
    offers: dict[tuple, Offering] = field(compare=False, repr=False)

    def price(self, c: Candidate) -> float | None:
        """What `c`'s offering costs in this world at its pricing; None where it is not sold."""
        o = self.offers.get(c.offering.key)
        return o.price(c.pricing) if o is not None else None  # type: ignore[arg-type]

    def workload(self, name: str) -> Workload:
        return next(w for w in self.spec.workloads if w.name == name)


def make_world(
    scenario: Scenario,
    spec: Spec,
    catalog: Catalog,
    settings: PerfSettings = DEFAULT_SETTINGS,
    profiles: Profiles | None = None,
) -> World:
    """The world of `scenario`; InfeasibleError when a workload has no candidate in it."""
    spec_s, catalog_s = apply(scenario, spec, catalog)
    problem = make_problem(spec_s, catalog_s, settings, profiles)
    return World(scenario, spec_s, catalog_s, problem, {o.key: o for o in catalog_s.offerings})


def universe(worlds: list[World]) -> dict[str, tuple[Candidate, ...]]:
    """Each workload's candidates in any of the worlds, once per (offering, pricing, TP)."""
    found: dict[str, dict[tuple, Candidate]] = {}
    for world in worlds:
        for name, cands in world.problem.candidates.items():
            mine = found.setdefault(name, {})
            for c in cands:
                mine.setdefault((c.offering.key, c.pricing, c.tp), c)
    return {
        name: tuple(sorted(mine.values(), key=lambda c: c.sort_key)) for name, mine in found.items()
    }
