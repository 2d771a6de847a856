"""Run a sweep: the base and every scenario as tasks on an executor, into a `Sweep` sorted by
scenario id (the same report whatever order the tasks finish in)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from planner.catalog import Catalog
from planner.compute.executors import Executor, Failure
from planner.perf import DEFAULT_SETTINGS, PerfSettings, Profiles
from planner.plans.model import Plan
from planner.solve import SolveOptions
from planner.spec.models import Spec
from planner.sweep.outcome import ScenarioOutcome, Sweep
from planner.sweep.scenarios import BASE, Scenario
from planner.sweep.summary import summarise
from planner.sweep.task import Job, run_task


@dataclass(frozen=True)
class SweepRun:
    """A sweep and how long it took: wall clock, and each task's own seconds (None: failed)."""

    sweep: Sweep
    wall_seconds: float
    task_seconds: tuple[float | None, ...]


def _failed(scenario: Scenario, failure: Failure) -> ScenarioOutcome:
    return ScenarioOutcome(
        id=scenario.id,
        label=scenario.label,
        params=scenario.params,
        status="error",
        reason=f"failed after {failure.attempts} attempt(s): {failure.error}",
    )


def _with_change(outcome: ScenarioOutcome, base: ScenarioOutcome) -> ScenarioOutcome:
    if outcome.objective_value is None or base.objective_value is None:
        return outcome
    change = round(outcome.objective_value - base.objective_value, 6)
    return outcome.model_copy(update={"change": change})


def run_sweep(
    spec: Spec,
    catalog: Catalog,
    scenarios: Sequence[Scenario],
    executor: Executor,
    *,
    plan: Plan | None = None,
    options: SolveOptions = SolveOptions(),
    settings: PerfSettings = DEFAULT_SETTINGS,
    profiles: Profiles | None = None,
    on_result: Callable[[ScenarioOutcome], None] | None = None,
) -> SweepRun:
    """Solve every scenario (or check `plan` in each) and the base, and sum them up."""
    job = Job(spec, catalog, plan, options, settings, profiles)
    items = (BASE, *scenarios)

    def arrived(i: int, value: object) -> None:
        if on_result is not None:
            on_result(value[0] if isinstance(value, tuple) else _failed(items[i], value))  # type: ignore[arg-type]

    began = time.perf_counter()
    raw = executor.map(run_task, job, items, on_result=arrived)
    wall = time.perf_counter() - began
    outcomes = [
        value[0] if isinstance(value, tuple) else _failed(item, value)
        for item, value in zip(items, raw, strict=True)
    ]
    seconds = tuple(value[1] if isinstance(value, tuple) else None for value in raw)
    base, rest = outcomes[0], outcomes[1:]
    results = sorted((_with_change(r, base) for r in rest), key=lambda r: r.id)
    sweep = Sweep(
        mode="plan" if plan is not None else "solve",
        base=base,
        results=results,
        summary=summarise(results),
    )
    return SweepRun(sweep=sweep, wall_seconds=wall, task_seconds=seconds[1:])
