"""`solve()`: the plan `planner plan` makes, for either objective; `solved()`: the same plan
with what it beat (the baselines), for the use cases to annotate it with."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from planner import clock
from planner.catalog import Catalog, load_catalog
from planner.perf import DEFAULT_SETTINGS, PerfSettings, Profiles
from planner.plans.model import Plan
from planner.plans.prices import stale_prices
from planner.rules.quotas import supply_warning
from planner.solve.backend import SolveOptions
from planner.solve.baselines import with_baselines
from planner.solve.frontier import solve_completion_time
from planner.solve.placement import WRITING_S_PER_WORKLOAD, kept_back, place
from planner.solve.solved import Solved
from planner.spec.models import Spec


def solved(
    spec: Spec,
    catalog: Catalog | None = None,
    *,
    profiles: Profiles | None = None,
    settings: PerfSettings = DEFAULT_SETTINGS,
    options: SolveOptions = SolveOptions(),
    baselines: bool = True,
    diagnose: bool = True,
    as_of: dt.date | None = None,
) -> Solved:
    """The best placement of every workload in `spec` on `catalog` (bundled by default),
    for the date `as_of` (default: today, UTC): reservation terms are counted from it; with
    `baselines`, what simpler planners would have paid (and what idle committed capacity could
    save, in the plan's capacity notes).

    Objective `cost` minimises serving $/h plus job dollars; `completion_time` minimises when
    the last batch/training job finishes under the budget, then cost. Raises InfeasibleError
    (exit 3) naming the conflicting constraints when no plan exists. For cost, the options'
    deadline (`time_limit_s` from now where they have none) holds for the plan and its
    baselines together (see `place` and `with_baselines`).
    """
    catalog = catalog if catalog is not None else load_catalog()
    plan_date = as_of or clock.today()
    if spec.constraints.objective == "completion_time":
        found = solve_completion_time(
            spec, catalog, profiles=profiles, settings=settings, options=options, as_of=plan_date
        )
    else:
        options = options.with_deadline()  # one for the plan and its baselines
        assert options.deadline is not None
        placement = place(
            spec, catalog, profiles=profiles, settings=settings, options=options,
            diagnose=diagnose, as_of=plan_date,
        )  # fmt: skip
        # the baselines stop early enough for the schedule and the writing after them
        writing = kept_back(WRITING_S_PER_WORKLOAD, len(spec.workloads))
        before = replace(options, deadline=options.deadline.earlier(writing))
        found = (
            with_baselines(placement, catalog, profiles=profiles, settings=settings, options=before)
            if baselines
            else Solved(placement.plan)
        )
    return replace(found, plan=with_fit(with_price_warnings(found.plan, options, spec), settings))


def solve(
    spec: Spec,
    catalog: Catalog | None = None,
    *,
    profiles: Profiles | None = None,
    settings: PerfSettings = DEFAULT_SETTINGS,
    options: SolveOptions = SolveOptions(),
    baselines: bool = True,
    diagnose: bool = True,
    as_of: dt.date | None = None,
) -> Plan:
    """The plan of `solved()`, without annotations (`planner.plan()` and `planner.app.plan`
    attach them: baselines, hourly schedule)."""
    return solved(
        spec, catalog, profiles=profiles, settings=settings, options=options,
        baselines=baselines, diagnose=diagnose, as_of=as_of,
    ).plan  # fmt: skip


def with_price_warnings(plan: Plan, options: SolveOptions, spec: Spec) -> Plan:
    """The plan with a warning when its prices are older than options.max_price_age_days, and
    one when it counted on cloud supply no quota of the spec limits (rules.quotas)."""
    found = stale_prices(plan, options.max_price_age_days)
    supply = supply_warning(spec.constraints.quotas, plan.allocations)
    found = [*found, supply] if supply else found
    if not found:
        return plan
    return plan.model_copy(update={"warnings": [*plan.warnings, *found]})


def with_fit(plan: Plan, settings: PerfSettings) -> Plan:
    """The plan naming the user's efficiency fit it was sized with (none: the bundled one)."""
    if settings.fit is None:
        return plan
    provenance = plan.provenance.model_copy(update={"perf_fit": settings.fit.label})
    return plan.model_copy(update={"provenance": provenance})
