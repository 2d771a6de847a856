"""Baselines: what the plan beat. Each is a re-solve (or a per-task pick) under a simpler rule:
each workload on its cheapest single choice, one accelerator type per workload, no shared
instances, no owned capacity. A driver on top of `place`, never called by it."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace

from planner.catalog import Catalog
from planner.errors import PlannerError
from planner.perf import PerfSettings, Profiles
from planner.plans.annotations import Baseline
from planner.solve.assemble import allocation, serving_allocations, value_of
from planner.solve.backend import SolveOptions, run
from planner.solve.candidates import Candidate
from planner.solve.mip import PlacementProblem, build
from planner.solve.placement import Placement, place
from planner.solve.recommend import recommend
from planner.solve.single_choice import single_choice_cost, single_instances
from planner.solve.solution import read_solution
from planner.solve.solved import Solved
from planner.solve.usage import over_quota
from planner.spec.models import ServingWorkload

_EPS = 1e-7


def _baseline_cheapest_single(problem: PlacementProblem, plan_value: float) -> Baseline:
    """(a) Each workload on its own cheapest single choice, blind to the others (per-task)."""
    spec = problem.spec
    allocations, hourly, jobs = [], 0.0, 0.0
    for w in spec.workloads:
        demand = problem.demand(w) if isinstance(w, ServingWorkload) else ()
        priced = [
            (cost, c.sort_key, c)
            for c in problem.candidates[w.name]
            if (cost := single_choice_cost(w, c, demand)) is not None
        ]
        if not priced:
            continue
        cost, _, c = min(priced, key=lambda item: item[:2])
        if isinstance(w, ServingWorkload):
            hourly += cost
        else:
            jobs += cost
        allocations.append(allocation(w, c, single_instances(w, c, demand)))
    value = hourly + jobs
    breaks = [
        f"{w.name}: one instance type in one region ignores "
        + ("survive_region_loss" if w.placement.survive_region_loss else "min_regions")
        for w in spec.workloads
        if isinstance(w, ServingWorkload)
        and (w.placement.min_regions > 1 or w.placement.survive_region_loss)
    ]
    return Baseline(
        breaks=breaks,
        name="cheapest-single-choice",
        description="each workload on its cheapest single instance type, ignoring the others "
        "(what a per-task optimizer such as SkyPilot's picks); spread rules ignored",
        cost_per_hour=round(hourly, 4),
        job_cost=round(jobs, 4),
        objective_value=round(value, 4),
        savings=round(value - plan_value, 4),
        over_quota=over_quota(spec, allocations),
    )


def _replanned(variant, name, description, catalog, plan_value, profiles, settings, options):
    """The baseline `name`: the fleet planned again as `variant` (None when it has no plan)."""
    try:
        alone = place(
            variant, catalog, profiles=profiles, settings=settings, options=options,
            diagnose=False,
        ).plan  # fmt: skip
    except PlannerError:
        return None
    return Baseline(
        name=name,
        description=description,
        cost_per_hour=alone.cost_per_hour,
        job_cost=alone.job_cost,
        objective_value=alone.objective_value,
        savings=round(alone.objective_value - plan_value, 4),
    )


def _baseline_without_owned(spec, catalog, plan_value, profiles, settings, options):
    """(d) The same fleet bought entirely from the clouds: what owned capacity saves."""
    if not spec.capacity:
        return None
    return _replanned(
        spec.model_copy(update={"capacity": ()}), "ignore-owned-capacity",
        "everything bought from the clouds, reservations, own clusters and edge "
        "devices unused (commitments are paid either way)",
        catalog, plan_value, profiles, settings, options,
    )  # fmt: skip


def _baseline_dedicated(spec, catalog, allocations, plan_value, profiles, settings, options):
    """(c) The same fleet with every workload on instances of its own: what sharing saved."""
    if not any(a.shared_group for a in allocations):
        return None
    workloads = tuple(
        w.model_copy(update={"sharing": "dedicated"}) if isinstance(w, ServingWorkload) else w
        for w in spec.workloads
    )
    return _replanned(
        spec.model_copy(update={"workloads": workloads}), "dedicated-instances",
        "every workload on instances of its own (no sharing of multi-GPU instances)",
        catalog, plan_value, profiles, settings, options,
    )  # fmt: skip


def _fractional_floor(cands: list[Candidate], demand: tuple[float, ...]) -> float:
    """A lower bound on serving `demand` with `cands`: each bucket at its cheapest $/rps."""
    total = 0.0
    for b, d in enumerate(demand):
        rates = [c.price / c.bucket_rps[b] for c in cands if c.bucket_rps[b] > 0]
        if not rates:
            return math.inf
        total += d * min(rates)
    return total


def _baseline_single_type(problem: PlacementProblem, options: SolveOptions, plan_hourly: float):
    """(b) Each serving workload on the best single accelerator type (Mélange's baseline);
    None where the options' deadline passes before every workload is done."""
    spec = problem.spec
    serving = [w for w in spec.workloads if isinstance(w, ServingWorkload)]
    if not serving:
        return None
    total, allocations = 0.0, []
    for w in serving:
        if options.seconds_left() <= 0.0:
            return None
        best = None
        demand = problem.demand(w)
        by_type: dict[str, list[Candidate]] = defaultdict(list)
        for c in problem.candidates[w.name]:
            by_type[c.offering.accelerator].append(c)
        for floor, acc in sorted((_fractional_floor(by_type[a], demand), a) for a in by_type):
            if best is not None and floor >= best[0] - _EPS:
                break  # no fleet of this or any later type can beat the best one found
            sub_spec = spec.model_copy(update={"workloads": (w,)})
            cands = tuple(by_type[acc])
            sub = PlacementProblem(sub_spec, {w.name: cands}, problem.owned, problem.commitments)
            built = build(sub)
            outcome = run(built, replace(options, relative_gap=max(options.relative_gap, 0.01)))
            if outcome.status in ("optimal", "feasible") and (
                best is None or outcome.objective < best[0] - _EPS
            ):
                solution = read_solution(sub, built, outcome)
                best = (outcome.objective, serving_allocations(sub, solution, w))
        if best is None:
            return None
        total += best[0]
        allocations += best[1]
    return Baseline(
        name="best-single-accelerator-type",
        description="each serving workload on one accelerator type, the best for it "
        "(Mélange's homogeneous baseline); serving $/h only",
        cost_per_hour=round(total, 4),
        job_cost=0.0,
        objective_value=round(total, 4),
        savings=round(total - plan_hourly, 4),
        over_quota=over_quota(spec, allocations),
    )


def with_baselines(
    placement: Placement,
    catalog: Catalog,
    *,
    profiles: Profiles | None,
    settings: PerfSettings,
    options: SolveOptions,
) -> Solved:
    """The placement's plan with, for idle committed capacity, what moving a workload onto it
    would save, and its baselines (for the plan's annotations, attached by the use cases).

    Within the options' deadline: a baseline or recommendation that needs a solve is left out
    where the deadline passes before it is done, and the plan then says so in its warnings."""
    problem, plan = placement.problem, placement.plan
    spec = problem.spec
    value = value_of(plan.allocations)
    hourly = sum(a.cost_per_hour for a in plan.allocations if a.kind == "serving")
    found = [
        _baseline_cheapest_single(problem, value),
        _baseline_single_type(problem, options, hourly),
        _baseline_dedicated(spec, catalog, plan.allocations, value, profiles, settings, options),
        _baseline_without_owned(spec, catalog, value, profiles, settings, options),
    ]
    pools = [
        recommend(p, problem, catalog, value, profiles, settings, options, plan.plan_date)
        for p in plan.capacity
    ]
    update: dict = {"capacity": pools}
    if options.deadline is not None and options.deadline.passed():
        update["warnings"] = [*plan.warnings, LATE_BASELINES]
    return Solved(plan.model_copy(update=update), tuple(b for b in found if b is not None))


LATE_BASELINES = (
    "the time limit passed while the baselines were worked out: any not finished by then are "
    "left out (raise --time-limit to see them all)"
)
