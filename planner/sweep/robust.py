"""Robust plans: one fleet that serves a share (`coverage`) of the scenarios of a what-if file.

Few scenarios go into one model together: the placement model over their worlds
(`planner.solve.solve_fleet`), with owned pools, shared instances and edge devices as in any
plan. Many are handled by constraint generation:
solve on a representative subset, check the fleet in every scenario with `verify`, add the
worst violated scenarios to the model and solve again, until the fleet covers enough of them.
With coverage below 1 the fleet is built for the least stressed share of the scenarios (by
traffic, prices and supply lost), so the extremes are the ones left out. A scenario no fleet
can serve (alone, or with those already modelled) is left out with the reason.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from planner import clock
from planner.catalog import Catalog
from planner.errors import InfeasibleError, InputError, PlannerError
from planner.perf import DEFAULT_SETTINGS, PerfSettings, Profiles
from planner.plans.annotations import RobustCoverage, annotations_of
from planner.plans.identity import restamp
from planner.plans.model import Plan
from planner.solve import (
    SOLVER_NAME,
    Fleet,
    Solved,
    SolveOptions,
    assemble_plan,
    solve,
    solve_fleet,
)
from planner.spec.models import Spec
from planner.sweep.apply import apply, apply_spec
from planner.sweep.evaluate import Check, check_plan
from planner.sweep.scenarios import BASE, Scenario
from planner.sweep.world import ScenarioWorld, fleet_problem, make_world

DIRECT_LIMIT = 12
"""Up to this many scenarios (at full coverage) go into one model without iterating."""
STEP = 4
"""Fewest violated scenarios added to the model per round (more while far from coverage)."""
MAX_STEP = 50
"""Most scenarios added to the model in one round."""
MAX_ROUNDS = 40
"""Rounds of solving and checking before giving up."""


def stress(scenario: Scenario) -> float:
    """How hard a scenario looks before solving: more traffic, higher prices, less supply."""
    total = 0.0
    for axis, value in scenario.settings:
        if axis.neutral(value):
            continue
        if axis.kind in ("traffic", "price"):
            total += float(value) - 1  # type: ignore[arg-type]
        elif axis.kind == "quota_scale":
            total += 1 - float(value)  # type: ignore[arg-type]
        else:
            total += 1.0
    return total


@dataclass
class _State:
    """What the rounds have learnt: worlds built, scenarios left out and why, the model's set."""

    spec: Spec
    catalog: Catalog
    settings: PerfSettings
    profiles: Profiles | None
    options: SolveOptions
    today: dt.date
    """The date plans are made for (reservation terms count from it)."""
    worlds: dict[str, ScenarioWorld] = field(default_factory=dict)
    excluded: dict[str, str] = field(default_factory=dict)
    modelled: list[ScenarioWorld] = field(default_factory=list)
    fleet: Fleet | None = None
    seconds: float = 0.0
    """Solver time of every robust model solved so far."""

    def solve(self, base: ScenarioWorld, worlds: list[ScenarioWorld]) -> Fleet | None:
        problem = fleet_problem(base, worlds)
        fleet = solve_fleet(problem, [w.world for w in worlds], self.options)
        self.seconds += fleet.seconds if fleet is not None else 0.0
        return fleet

    def world(self, scenario: Scenario) -> ScenarioWorld | None:
        if scenario.id not in self.worlds and scenario.id not in self.excluded:
            try:
                self.worlds[scenario.id] = make_world(
                    scenario, self.spec, self.catalog, self.settings, self.profiles, self.today
                )
            except InfeasibleError as err:
                self.excluded[scenario.id] = str(err)
        return self.worlds.get(scenario.id)

    def why_alone(self, world: ScenarioWorld) -> str:
        """Why no fleet serves this world: its own diagnosis, or the conflict with the others."""
        try:
            solve(
                world.spec, world.catalog, profiles=self.profiles, settings=self.settings,
                options=self.options, baselines=False, diagnose=True, as_of=self.today,
            )  # fmt: skip
        except InfeasibleError as err:
            return str(err)
        return "no single fleet serves it together with the scenarios already in the model"


def _grow(state: _State, base: ScenarioWorld, additions: Sequence[Scenario]) -> None:
    """Add scenarios to the model; those that make it infeasible are left out, with the reason."""
    new = [w for s in additions if (w := state.world(s)) is not None]
    if not new:
        return
    fleet = state.solve(base, [*state.modelled, *new])
    if fleet is not None:
        state.modelled += new
        state.fleet = fleet
        return
    for world in new:
        fleet = state.solve(base, [*state.modelled, world])
        if fleet is None:
            state.excluded[world.scenario.id] = state.why_alone(world)
        else:
            state.modelled.append(world)
            state.fleet = fleet


def _plan(state: _State, base: ScenarioWorld, fleet: Fleet) -> Plan:
    """The fleet as a Plan priced at base prices (per-workload results as `planner plan`'s)."""
    bound = fleet.bound if math.isfinite(fleet.bound) else math.inf
    return assemble_plan(
        base.problem, list(fleet.allocations), status=fleet.status, bound=bound,
        seconds=state.seconds, plan_date=state.today, catalog=state.catalog,
        solver=SOLVER_NAME + " (robust)",
    )  # fmt: skip


def _check_all(state: _State, plan: Plan, scenarios: Sequence[Scenario]) -> dict[str, Check]:
    checks = {}
    for s in scenarios:
        if s.id in state.excluded:
            continue
        spec_s, catalog_s = apply(s, state.spec, state.catalog)
        checks[s.id] = check_plan(
            plan, spec_s, catalog_s, unmet=False, settings=state.settings, profiles=state.profiles
        )
    return checks


def _report(state, scenarios, checks, coverage, rounds) -> dict:
    covered = sorted(s.id for s in scenarios if s.id in checks and checks[s.id].ok)
    uncovered = []
    for s in sorted(scenarios, key=lambda s: s.id):
        if s.id in covered:
            continue
        reason = state.excluded.get(s.id) or "; ".join(checks[s.id].violations)
        uncovered.append({"id": s.id, "label": s.label, "reason": reason})
    worst = max(((checks[i].plan.objective_value, i) for i in covered), default=(None, None))
    return {
        "scenarios": len(scenarios),
        "coverage_target": coverage,
        "coverage": round(len(covered) / len(scenarios), 6),
        "covered": covered,
        "uncovered": uncovered,
        "modelled": sorted(w.scenario.id for w in state.modelled),
        "rounds": rounds,
        "worst_case_cost": None if worst[0] is None else round(worst[0], 6),
        "worst_case_scenario": worst[1],
    }


def _broken(check: Check) -> int:
    """How many workloads (or the fleet as a whole) a check found broken."""
    return len({v.split(":", 1)[0] for v in check.violations})


def robust_plan(
    spec: Spec,
    catalog: Catalog,
    scenarios: Sequence[Scenario],
    *,
    coverage: float = 1.0,
    options: SolveOptions = SolveOptions(),
    settings: PerfSettings = DEFAULT_SETTINGS,
    profiles: Profiles | None = None,
    direct_limit: int = DIRECT_LIMIT,
    step: int = STEP,
    max_rounds: int = MAX_ROUNDS,
    as_of: dt.date | None = None,
) -> Solved:
    """The cheapest single fleet (at base prices) that serves at least `coverage` of the
    scenarios, for the date `as_of` (default today), and which scenarios it covers (the plan's
    robust annotation). InfeasibleError when none can."""
    if not 0 < coverage <= 1:
        raise InputError(f"--coverage must be in (0, 1] (got {coverage:g})")
    if not scenarios:
        raise InputError("the scenarios file holds no scenario")
    given = spec
    spec = apply_spec(BASE, spec)
    state = _State(spec, catalog, settings, profiles, options, as_of or clock.today())
    base = make_world(BASE, spec, catalog, settings, profiles, state.today)
    total = len(scenarios)
    needed = math.ceil(coverage * total - 1e-9)
    ranked = sorted(scenarios, key=lambda s: (stress(s), s.id))
    if total <= direct_limit and coverage >= 1:
        additions = list(scenarios)
    else:
        additions = _target(ranked, needed, state)[-1:]
    for rounds in range(1, max_rounds + 1):
        _grow(state, base, additions)
        if total - len(state.excluded) < needed:
            raise InfeasibleError(_unreachable(state, scenarios, coverage))
        if state.fleet is None:
            additions = _target(ranked, needed, state)[-1:]
            continue
        plan = _plan(state, base, state.fleet)
        checks = _check_all(state, plan, scenarios)
        covered = sum(check.ok for check in checks.values())
        if covered >= needed:
            report = _report(state, scenarios, checks, coverage, rounds)
            robust = RobustCoverage.model_validate(report)
            return Solved(restamp(plan, given), robust=robust)
        modelled = {w.scenario.id for w in state.modelled}
        failing = [s for s in _target(ranked, needed, state) if not checks[s.id].ok]
        order = _worst_first if coverage >= 1 else _mildest_first
        size = min(MAX_STEP, max(step, math.ceil((needed - covered) / 8)))
        additions = [s for s in order(failing, checks) if s.id not in modelled][:size]
        if not additions:
            stuck = ", ".join(s.id for s in failing)
            raise PlannerError(
                f"The robust model and verify disagree on scenario(s) {stuck}; please report it"
            )
    raise PlannerError(
        f"No fleet reached coverage {coverage:g} in {max_rounds} rounds; "
        "lower --coverage or use fewer scenarios"
    )


def _worst_first(failing: Sequence[Scenario], checks: dict[str, Check]) -> list[Scenario]:
    """Most broken first: at full coverage they decide the fleet, and cover the milder ones."""
    return sorted(failing, key=lambda s: (-_broken(checks[s.id]), -stress(s), s.id))


def _mildest_first(failing: Sequence[Scenario], checks: dict[str, Check]) -> list[Scenario]:
    """Least broken first: below full coverage the fleet grows gently, and the extremes (which
    may conflict with the rest, through the budget or quotas) are the last to be tried."""
    return sorted(failing, key=lambda s: (_broken(checks[s.id]), stress(s), s.id))


def _target(ranked: Sequence[Scenario], needed: int, state: _State) -> list[Scenario]:
    """The scenarios the fleet is built to cover: the `needed` least stressed not left out."""
    return [s for s in ranked if s.id not in state.excluded][:needed]


SHOWN = 10
"""Scenarios listed by name in an error; the rest are counted."""


def _unreachable(state: _State, scenarios: Sequence[Scenario], coverage: float) -> str:
    left = len(scenarios) - len(state.excluded)
    lines = [
        f"No fleet found that covers {coverage:.0%} of the {len(scenarios)} scenarios: "
        f"{len(state.excluded)} could not be served, alone or together with the scenarios "
        f"already in the model, which leaves at most {left / len(scenarios):.0%}:"
    ]
    out = [s for s in sorted(scenarios, key=lambda s: s.id) if s.id in state.excluded]
    for s in out[:SHOWN]:
        reason = state.excluded[s.id].replace("\n", "\n      ")
        lines.append(f"  - {s.id} ({s.label}): {reason}")
    if len(out) > SHOWN:
        lines.append(f"  ... and {len(out) - SHOWN} more")
    return "\n".join(lines)


def describe(plan: Plan) -> list[str]:
    """The robust part of a plan in a few lines, for the terminal."""
    r = annotations_of(plan).robust
    if r is None:
        return []
    lines = [
        f"Robust over {r.scenarios} scenarios: covers {r.coverage:.1%} "
        f"(target {r.coverage_target:.0%}), {len(r.modelled)} in the model, "
        f"{r.rounds} round(s)"
    ]
    if r.worst_case_cost is not None:
        lines.append(
            f"Worst-case cost across covered scenarios: {r.worst_case_cost:,.2f} "
            f"(scenario {r.worst_case_scenario})"
        )
    for u in r.uncovered[:SHOWN]:
        first = u.reason.splitlines()[0] if u.reason else ""
        lines.append(f"  not covered: {u.id} ({u.label}): {first}")
    if len(r.uncovered) > SHOWN:
        lines.append(
            f"  ... and {len(r.uncovered) - SHOWN} more (see the plan's annotations.robust)"
        )
    return lines


def plan_robust(
    spec: Spec,
    catalog: Catalog,
    scenarios_file: str | Path,
    coverage: float = 1.0,
    options: SolveOptions = SolveOptions(),
    profiles: Profiles | None = None,
    as_of: dt.date | None = None,
    *,
    settings: PerfSettings = DEFAULT_SETTINGS,
) -> Solved:
    """`planner plan --robust FILE`: read the scenarios (exit 2 on errors) and plan for them."""
    from planner.sweep.load import load_scenarios
    from planner.sweep.scenarios import expand

    found = expand(load_scenarios(scenarios_file, spec, catalog))
    return robust_plan(
        spec, catalog, found, coverage=coverage, options=options, settings=settings,
        profiles=profiles, as_of=as_of,
    )  # fmt: skip
