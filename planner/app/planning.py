"""Planning use cases: `plan` (one fleet for a spec, or one for a set of what-if scenarios),
`frontier` (cost against completion time) and `sweep` (a plan per scenario, or one plan checked
in each). Every plan comes out the same way, whichever entry point asks: solved with the same
settings, then annotated here, in `annotate`, the one place that writes a plan's annotations
document (baselines and frontier found by the solver, robust coverage by the robust driver, the
hourly replica schedule worked out here)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from planner.app.arguments import checked
from planner.app.inputs import (
    PathLike,
    load_catalog,
    load_profiles,
    load_spec,
    perf_settings,
    plan_date,
    read_plan,
)
from planner.bounds import MAX_SOLVE_S
from planner.errors import ArgumentError

if TYPE_CHECKING:
    from planner.catalog import Catalog
    from planner.clock import Deadline
    from planner.perf import PerfSettings, Profiles
    from planner.plans import Plan
    from planner.solve import Solved
    from planner.spec import Spec
    from planner.sweep.outcome import ScenarioOutcome
    from planner.sweep.runner import SweepRun

STRATEGIES = ("auto", "decomposition", "mip")
EXECUTORS = ("local", "ray")


def _positive(value: float, name: str, function: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e12:
        raise ArgumentError(f"{function}(): {name} must be a number above 0, not {value!r}")
    return float(value)


def _options(function: str, time_limit_s: float, relative_gap: float = 1e-4, **more):
    from planner.solve import SolveOptions

    _positive(time_limit_s, "time_limit_s", function)
    if (
        isinstance(relative_gap, bool)
        or not isinstance(relative_gap, (int, float))
        or not (0 <= relative_gap < 1)
    ):
        raise ArgumentError(f"{function}(): relative_gap must be in [0, 1), not {relative_gap!r}")
    return SolveOptions(time_limit_s=float(time_limit_s), relative_gap=float(relative_gap), **more)


LATE_SCHEDULE = (
    "the time limit passed before the hourly schedule was worked out: left out "
    "(raise --time-limit for it)"
)


def annotate(
    solved: Solved,
    spec: Spec,
    settings: PerfSettings,
    profiles: Profiles | None,
    deadline: Deadline | None = None,
) -> Plan:
    """The solved plan with its annotations document, built the same way for every entry point:
    the baselines, frontier and robust coverage the solve found, and the hourly replica schedule
    of serving workloads with an hourly profile, sized with the same settings (left out, with a
    warning, where `deadline` has passed)."""
    from planner.plans import PlanAnnotations
    from planner.schedule.hourly import hourly_schedule

    plan = solved.plan
    late = deadline is not None and deadline.passed()
    found = PlanAnnotations(
        baselines=list(solved.baselines),
        schedule=[] if late else hourly_schedule(plan, spec, settings, profiles),
        frontier=None if solved.frontier is None else list(solved.frontier),
        robust=solved.robust,
    )
    update: dict = {"annotations": found}
    if late and any(getattr(getattr(w, "traffic", None), "hourly_profile", None)
                    for w in spec.workloads):  # fmt: skip
        update["warnings"] = [*plan.warnings, LATE_SCHEDULE]
    return plan.model_copy(update=update)


@checked(
    time_limit_s=(0, MAX_SOLVE_S),
    relative_gap=(0, 1),
    workers=(1, 1024),
    max_price_age_days=(0, 36_500),
    coverage=(0, 1),
)
def plan(
    spec: Spec | PathLike,
    catalog: Catalog | Sequence[PathLike] | PathLike | None = None,
    *,
    profiles: Profiles | PathLike | None = None,
    fit: PerfSettings | PathLike | None = None,
    quotas: Sequence[PathLike] | PathLike | None = None,
    rates: Sequence[PathLike] | PathLike | None = None,
    as_of: dt.date | str | None = None,
    time_limit_s: float = 60.0,
    relative_gap: float = 1e-4,
    workers: int = 1,
    strategy: str = "auto",
    executor: str = "local",
    address: str | None = None,
    max_price_age_days: int = 90,
    robust: PathLike | None = None,
    coverage: float = 1.0,
    deadline: Deadline | None = None,
) -> Plan:
    """The best placement of `spec` (a Spec or a spec file) on `catalog` (a Catalog, catalog
    files, or None for the bundled one), as `planner plan` makes it: with the quota and rate
    files merged in, measured `profiles`, the efficiency `fit` of `planner calibrate`, for the
    date `as_of` (default today, UTC), within `time_limit_s` and `relative_gap`, on `workers`
    processes (or a Ray cluster: `executor="ray"`, `address`) with `strategy` auto,
    decomposition or mip. With `robust` (a scenarios file), one fleet for at least `coverage` of
    the scenarios. Raises planner.InputError for bad input (exit 2 in the CLI) and
    planner.InfeasibleError, naming the conflicting constraints, when no plan exists (exit 3).

    For the cost objective `time_limit_s` is one deadline for the whole call, counted from its
    start (or `deadline`, where the caller's limit started earlier: `planner plan` starts it
    before reading the spec): reading the inputs, candidates, the solve, the plan's assembly,
    baselines and the hourly schedule. When it comes the best plan found so far is returned,
    status feasible with its proven bound (baselines not finished are left out, with a warning);
    a PlannerError (planner.errors.OutOfTime, exit 1) where no plan was found. The
    completion-time objective and `robust` solve several times, each within `time_limit_s`."""
    if deadline is None:
        from planner.clock import Deadline

        deadline = Deadline.after(_positive(time_limit_s, "time_limit_s", "plan"))
    if strategy not in STRATEGIES:
        raise ArgumentError(f"plan(): strategy must be one of {', '.join(STRATEGIES)}")
    if executor not in EXECUTORS:
        raise ArgumentError(f"plan(): executor must be one of {', '.join(EXECUTORS)}")
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 1024:
        raise ArgumentError(f"plan(): workers must be a whole number from 1 to 1024: {workers!r}")
    if (
        isinstance(max_price_age_days, bool)
        or not isinstance(max_price_age_days, int)
        or not (0 <= max_price_age_days <= 36_500)
    ):
        raise ArgumentError("plan(): max_price_age_days must be a whole number of 0 to 36500")
    spec = load_spec(spec, quotas, rates)
    catalog = load_catalog(catalog)
    measured = load_profiles(profiles, spec)
    settings = perf_settings(fit)
    day = plan_date(as_of)
    runner = None
    if executor == "ray" or address:
        from planner.compute.executors import make_executor

        runner = make_executor(executor, workers=workers, address=address)
    with runner or contextlib.nullcontext():
        options = _options(
            "plan", time_limit_s, relative_gap, workers=workers, strategy=strategy,
            executor=runner, max_price_age_days=max_price_age_days,
        )  # fmt: skip
        if robust is None and spec.constraints.objective == "cost":
            options = replace(options, deadline=deadline)
        if robust is not None:
            from planner.sweep.robust import plan_robust

            found = plan_robust(
                spec, catalog, robust, coverage, options, measured, day, settings=settings
            )
        else:
            from planner.solve import solved

            found = solved(spec, catalog, profiles=measured, settings=settings, options=options,
                           as_of=day)  # fmt: skip
    return annotate(found, spec, settings, measured, options.deadline)


@checked(points=(2, 50), time_limit_s=(0, MAX_SOLVE_S))
def frontier(
    spec: Spec | PathLike,
    catalog: Catalog | Sequence[PathLike] | PathLike | None = None,
    *,
    points: int = 8,
    profiles: Profiles | PathLike | None = None,
    fit: PerfSettings | PathLike | None = None,
    quotas: Sequence[PathLike] | PathLike | None = None,
    rates: Sequence[PathLike] | PathLike | None = None,
    as_of: dt.date | str | None = None,
    time_limit_s: float = 60.0,
) -> Plan:
    """The cost-completion-time Pareto frontier of the spec's batch and training jobs (each
    point: the cheapest plan finishing by then), in the fastest plan's annotations
    (`plan.annotations.frontier`)."""
    from planner.solve.frontier import frontier as pareto

    if isinstance(points, bool) or not isinstance(points, int) or not 2 <= points <= 50:
        raise ArgumentError(f"frontier(): points must be a whole number from 2 to 50: {points!r}")
    spec = load_spec(spec, quotas, rates)
    catalog = load_catalog(catalog)
    measured = load_profiles(profiles, spec)
    settings = perf_settings(fit)
    from planner.solve import with_fit, with_price_warnings

    options = _options("frontier", time_limit_s)
    solved = pareto(
        spec, catalog, points=points, profiles=measured, settings=settings, options=options,
        as_of=plan_date(as_of),
    )  # fmt: skip
    # named and warned like every plan `plan` makes (the fit it was sized with, stale prices,
    # supply no quota limits)
    plan = with_fit(with_price_warnings(solved.plan, options, spec), settings)
    return annotate(replace(solved, plan=plan), spec, settings, measured)


@checked(time_limit_s=(0, MAX_SOLVE_S), workers=(1, 1024), retries=(0, 100))
def sweep(
    spec: Spec | PathLike,
    scenarios: PathLike,
    catalog: Catalog | Sequence[PathLike] | PathLike | None = None,
    *,
    plan: Plan | PathLike | None = None,
    profiles: Profiles | PathLike | None = None,
    fit: PerfSettings | PathLike | None = None,
    time_limit_s: float = 60.0,
    executor: str = "local",
    workers: int | None = None,
    address: str | None = None,
    retries: int = 2,
    on_result: Callable[[ScenarioOutcome], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> SweepRun:
    """Solve the spec in every scenario of the what-if file `scenarios` (or, given `plan`, check
    that fixed plan in each), locally or on Ray. `on_start(n)` is told how many results to
    expect (the scenarios and the base) before the first, `on_result` each outcome."""
    from planner.compute.executors import make_executor
    from planner.sweep.load import load_scenarios
    from planner.sweep.runner import run_sweep
    from planner.sweep.scenarios import expand

    if executor not in EXECUTORS:
        raise ArgumentError(f"sweep(): executor must be one of {', '.join(EXECUTORS)}")
    options = _options("sweep", time_limit_s)
    spec = load_spec(spec)
    catalog = load_catalog(catalog)
    found = expand(load_scenarios(scenarios, spec, catalog))
    # what-ifs of this spec: a fixed plan made for another spec is refused
    fixed = read_plan(plan, spec) if plan is not None else None
    measured = load_profiles(profiles, spec)
    settings = perf_settings(fit)
    runner = make_executor(executor, workers=workers, address=address, retries=retries)
    if on_start is not None:
        on_start(len(found) + 1)
    return run_sweep(
        spec, catalog, found, runner, plan=fixed, profiles=measured, settings=settings,
        options=options, on_result=on_result,
    )  # fmt: skip
