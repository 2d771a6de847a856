"""One scenario, one task: solve the what-if (or check a fixed plan in it) into an outcome.

`Job` is what every task shares (sent to each worker once); `run_task` is the function the
executors call. Infeasibility and planner errors are outcomes, not exceptions: only an
unexpected failure escapes, for the executor to retry and then report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from planner.catalog import Catalog
from planner.errors import InfeasibleError, PlannerError
from planner.perf import DEFAULT_SETTINGS, PerfSettings, Profiles
from planner.plans.model import Plan
from planner.solve import SolveOptions, solve
from planner.spec.models import Spec
from planner.sweep.apply import apply
from planner.sweep.evaluate import check_plan
from planner.sweep.outcome import ScenarioOutcome
from planner.sweep.scenarios import Scenario

DECIMALS = 6


@dataclass(frozen=True)
class Job:
    """What every scenario task needs: the spec, the catalog, and a fixed plan if one is given."""

    spec: Spec
    catalog: Catalog
    plan: Plan | None = None
    options: SolveOptions = field(default_factory=SolveOptions)
    settings: PerfSettings = DEFAULT_SETTINGS
    profiles: Profiles | None = None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DECIMALS)


def _outcome(scenario: Scenario, **fields) -> ScenarioOutcome:
    for key in ("objective_value", "cost_per_hour", "job_cost"):
        if key in fields:
            fields[key] = _round(fields[key])
    return ScenarioOutcome(id=scenario.id, label=scenario.label, params=scenario.params, **fields)


def solve_scenario(job: Job, scenario: Scenario) -> ScenarioOutcome:
    """The cheapest plan of the what-if (cost objective, no baselines), or why there is none."""
    spec, catalog = apply(scenario, job.spec, job.catalog)
    try:
        plan = solve(
            spec, catalog, profiles=job.profiles, settings=job.settings, options=job.options,
            baselines=False, diagnose=True,
        )  # fmt: skip
    except InfeasibleError as err:
        return _outcome(scenario, status="infeasible", reason=str(err))
    except PlannerError as err:
        return _outcome(scenario, status="error", reason=str(err))
    return _outcome(
        scenario,
        status=plan.status,
        objective_value=plan.objective_value,
        cost_per_hour=plan.cost_per_hour,
        job_cost=plan.job_cost,
        plan_id=plan.plan_id,
    )


def check_scenario(job: Job, scenario: Scenario) -> ScenarioOutcome:
    """The fixed plan in the what-if: ok, or what breaks and the demand left unserved."""
    assert job.plan is not None
    spec, catalog = apply(scenario, job.spec, job.catalog)
    check = check_plan(job.plan, spec, catalog, settings=job.settings, profiles=job.profiles)
    return _outcome(
        scenario,
        status="ok" if check.ok else "violated",
        objective_value=check.plan.objective_value,
        cost_per_hour=check.plan.cost_per_hour,
        job_cost=check.plan.job_cost,
        violations=list(check.violations),
        lost=list(check.lost),
        unmet=[u.model_copy(update={"served": round(u.served, DECIMALS)}) for u in check.unmet],
        plan_id=job.plan.plan_id,
    )


def run_task(job: Job, scenario: Scenario) -> tuple[ScenarioOutcome, float]:
    """Solve or check one scenario; returns the outcome and the seconds it took."""
    began = time.perf_counter()
    outcome = (
        check_scenario(job, scenario) if job.plan is not None else solve_scenario(job, scenario)
    )
    return outcome, time.perf_counter() - began
