"""Use cases of a plan in operation, and of capacity one already has: `observed` (what a
deployed plan serves beside what it predicted), `rightsize` (a spec and plan sized to what was
observed) and `schedule` (jobs on limited GPU pools under each policy). Each sizes capacity with
the same performance settings as `plan` (an efficiency fit included)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planner.app.arguments import checked
from planner.app.inputs import (
    PathLike,
    load_catalog,
    load_profiles,
    load_spec,
    perf_settings,
    read_plan,
)
from planner.app.planning import annotate
from planner.bounds import MAX_SIMULATED_REQUESTS, MAX_SOLVE_S
from planner.errors import ArgumentError

if TYPE_CHECKING:
    from planner.catalog import Catalog
    from planner.observe.calibrate import Calibration
    from planner.observe.drift import WorkloadDrift
    from planner.observe.model import Observation
    from planner.perf import PerfSettings, Profiles
    from planner.plans import Plan
    from planner.rightsize import Proposal
    from planner.schedule.compare import Comparison
    from planner.schedule.problem import SchedulingProblem
    from planner.spec import Spec


@dataclass(frozen=True)
class Observed:
    """A deployed plan's observation beside its prediction: drift per workload, the
    performance model against the observed latencies (calibrations) and notes."""

    plan: Plan
    observation: Observation
    drifts: tuple[WorkloadDrift, ...]
    calibrations: tuple[Calibration, ...]
    notes: tuple[str, ...]


@checked()
def observed(
    plan: Plan | PathLike,
    observation: Observation,
    spec: Spec | PathLike | None = None,
    *,
    fit: PerfSettings | PathLike | None = None,
) -> Observed:
    """Compare `observation` (from a metrics source) with what `plan` predicted; the model's
    figures in the calibrations are sized with `fit` when given."""
    from planner.observe.calibrate import calibrate
    from planner.observe.drift import drift

    loaded = load_spec(spec) if spec is not None else None
    found = read_plan(plan, loaded)
    drifts = drift(found, observation, loaded)
    calibrations, notes = calibrate(found, observation, loaded, perf_settings(fit))
    return Observed(
        found, observation, tuple(drifts), tuple(calibrations), (*observation.notes, *notes)
    )


@checked(time_limit_s=(0, MAX_SOLVE_S))
def rightsize(
    plan: Plan | PathLike,
    spec: PathLike,
    observation: Observation,
    catalog: Catalog | Sequence[PathLike] | PathLike | None = None,
    *,
    profiles: Profiles | PathLike | None = None,
    fit: PerfSettings | PathLike | None = None,
    use_calibration: bool = False,
    time_limit_s: float = 60.0,
) -> Proposal:
    """The spec file's traffic set to what `observation` saw (workloads without data keep
    theirs), planned again as `plan` makes plans (with `fit`, and with the observed latencies
    when `use_calibration`), the diff against the running `plan` and recommendations."""
    from planner._readfile import read_input
    from planner.app.planning import _options
    from planner.rightsize import propose
    from planner.spec.load import MAX_YAML_BYTES, compose_yaml

    loaded = load_spec(spec)
    running = read_plan(plan, loaded)
    document = compose_yaml(read_input(spec, "spec", limit=MAX_YAML_BYTES))[1]
    measured = load_profiles(profiles, loaded)
    settings = perf_settings(fit)
    proposal = propose(
        running, loaded, document, observation, load_catalog(catalog), origin=str(spec),
        profiles=measured, use_calibration=use_calibration,
        solve_options=_options("rightsize", time_limit_s), settings=settings,
    )  # fmt: skip
    from planner.solve import Solved

    found = Solved(proposal.plan, baselines=proposal.baselines)
    new_plan = annotate(found, proposal.spec, settings, measured)
    return dataclasses.replace(proposal, plan=new_plan)


@dataclass(frozen=True)
class Schedules:
    """Jobs scheduled under each policy: the problem, the objective and the comparison."""

    problem: SchedulingProblem
    objective: str
    policies: tuple[str, ...]
    comparison: Comparison

    def data(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "deadlines": self.problem.deadlines,
            "policies": [m.model_dump() for m in self.comparison.metrics],
            "schedules": {
                s.policy: [
                    {"job": g.task, "pool": g.pool, "start_h": g.start / 60, "end_h": g.end / 60}
                    for g in s.segments
                ]
                for s in self.comparison.schedules
            },
        }


@checked(time_limit_s=(0, MAX_SOLVE_S))
def schedule(
    jobs: PathLike,
    *,
    policies: Sequence[str] | None = None,
    objective: str | None = None,
    time_limit_s: float | None = None,
    fit: PerfSettings | PathLike | None = None,
) -> Schedules:
    """Schedule the jobs file's jobs on its GPU pools under each of `policies` (default all),
    minimising `objective` where a policy optimises (default: the file's), their durations from
    the performance model with `fit` when given."""
    from planner.schedule import POLICIES, build_problem, compare_policies, load_jobs

    chosen = tuple(dict.fromkeys(policies)) if policies else POLICIES
    unknown = [p for p in chosen if p not in POLICIES]
    if unknown:
        raise ArgumentError(f"schedule(): unknown policies {unknown}; use {', '.join(POLICIES)}")
    found = load_jobs(jobs)
    goal = objective if objective is not None else found.options.objective
    limit = time_limit_s if time_limit_s is not None else found.options.time_limit_s
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not 0 < limit < 1e12:
        raise ArgumentError(f"schedule(): time_limit_s must be a number above 0, not {limit!r}")
    problem = build_problem(found, perf_settings(fit))
    comparison = compare_policies(
        problem,
        chosen,
        goal,  # type: ignore[arg-type]
        limit,
        workers=found.options.workers,
    )
    return Schedules(problem, goal, chosen, comparison)


def _serving(plan: Plan | PathLike, spec: Spec | PathLike, profiles, fit):
    """The plan (checked to belong to the spec), the spec, and each serving workload's replica
    model sized with `fit` (planner.schedule.serving_models)."""
    from planner.schedule import serving_models

    loaded = load_spec(spec)
    found = read_plan(plan, loaded)
    measured = load_profiles(profiles, loaded)
    return found, loaded, serving_models(found, loaded, perf_settings(fit), measured)


@checked(
    requests=(1, MAX_SIMULATED_REQUESTS),
    seed=(0, 2**32 - 1),
    quantum_s=(1e-3, 86_400),
    high_priority_share=(0, 1),
)
def simulate(
    plan: Plan | PathLike,
    spec: Spec | PathLike,
    *,
    requests: int | None = None,
    policy: str = "fcfs",
    seed: int = 0,
    trace: PathLike | None = None,
    quantum_s: float = 2.0,
    high_priority_share: float = 0.0,
    profiles: Profiles | PathLike | None = None,
    fit: PerfSettings | PathLike | None = None,
) -> Any:
    """Simulate requests on the plan's replicas (Poisson arrivals, `requests` of them, default
    100,000; or the first `requests` of a `trace` CSV): TTFT, latency, waiting, utilisation and
    SLO attainment per workload (a planner.schedule SimulationReport)."""
    from planner.errors import InputError
    from planner.schedule import read_trace
    from planner.schedule import simulate as run
    from planner.schedule.queue_sim import QUEUE_POLICIES

    if policy not in QUEUE_POLICIES:
        raise ArgumentError(f"simulate(): policy must be one of {', '.join(QUEUE_POLICIES)}, "
                            f"not {policy!r}")  # fmt: skip
    found, loaded, models = _serving(plan, spec, profiles, fit)
    if not models:
        raise InputError(f"{plan} has no serving workloads to simulate")
    arrivals = read_trace(trace) if trace is not None else None
    count = requests if requests is not None or arrivals is not None else 100_000
    return run(found, loaded, count, policy, seed, arrivals, quantum_s, high_priority_share, models)


@checked()
def autoscale(
    plan: Plan | PathLike,
    spec: Spec | PathLike,
    *,
    profiles: Profiles | PathLike | None = None,
    fit: PerfSettings | PathLike | None = None,
) -> Any:
    """Hourly replicas from each serving workload's hourly_profile against the peak-sized fleet
    (a planner.schedule AutoscalePlan)."""
    from planner.schedule import autoscale as hourly

    found, loaded, models = _serving(plan, spec, profiles, fit)
    return hourly(found, loaded, models=models)
