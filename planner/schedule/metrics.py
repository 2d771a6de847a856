"""The same figures for every schedule: makespan, completion and waiting per priority class,
deadline misses, utilisation, cost, and the objective value the optimal schedule minimises.

Completion is a job's finish time (hours from time 0); waiting is the time between its release
and its finish that it did not run (for a non-preemptive schedule, start - release).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from planner.schedule.problem import Objective, Schedule, SchedulingProblem

_MIN_PER_H = 60.0
_EPS = 1e-9


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClassFigures(Frozen):
    """Completion and waiting of the jobs of one priority."""

    priority: int
    jobs: int
    completion_mean_h: float
    completion_p95_h: float
    waiting_mean_h: float
    waiting_p95_h: float


class ScheduleMetrics(Frozen):
    """How one schedule does; the same fields for every policy."""

    policy: str
    status: str
    objective: str
    objective_value: float = Field(description="Objective plus lateness penalty (soft deadlines).")
    bound: float | None = Field(None, description="CP-SAT's lower bound on objective_value.")
    makespan_h: float
    completion_mean_h: float
    completion_p95_h: float
    waiting_mean_h: float
    waiting_p95_h: float
    deadline_misses: int
    late_jobs: list[str]
    lateness_h: float = Field(description="Hours late, summed over jobs.")
    utilisation: float = Field(description="GPU-hours used / (all pools' GPUs x makespan).")
    pool_utilisation: dict[str, float]
    cost: float | None = Field(None, description="Dollars, over pools that have a price.")
    preemptions: int
    solve_seconds: float = 0.0
    by_priority: list[ClassFigures]


def completions(problem: SchedulingProblem, schedule: Schedule) -> dict[str, float]:
    """Finish time (minutes) of every job."""
    out: dict[str, float] = {}
    for s in schedule.segments:
        out[s.task] = max(out.get(s.task, 0.0), s.end)
    missing = [t.name for t in problem.tasks if t.name not in out]
    if missing:
        raise ValueError(f"schedule {schedule.policy!r} never runs {', '.join(missing)}")
    return out


def schedule_cost(problem: SchedulingProblem, schedule: Schedule) -> float | None:
    """Dollars for the GPU-hours used, over pools with a price (None when none has one)."""
    if all(p.price_per_gpu_hour is None for p in problem.pools):
        return None
    pool = problem.pool
    gpus = {t.name: t.gpus for t in problem.tasks}
    return sum(
        gpus[s.task] * (pool[s.pool].price_per_gpu_hour or 0.0) * (s.end - s.start) / _MIN_PER_H
        for s in schedule.segments
    )


def lateness_hours(problem: SchedulingProblem, finish: dict[str, float]) -> dict[str, float]:
    """Hours each job with a deadline finishes after it (0 when on time)."""
    return {
        t.name: max(0.0, finish[t.name] - t.deadline) / _MIN_PER_H
        for t in problem.tasks
        if t.deadline is not None
    }


def objective_value(problem: SchedulingProblem, schedule: Schedule, objective: Objective) -> float:
    """The objective in hours (makespan, weighted completion) or dollars (cost), plus
    lateness_penalty per hour late when deadlines are soft."""
    finish = completions(problem, schedule)
    if objective == "makespan":
        value = max(finish.values()) / _MIN_PER_H
    elif objective == "weighted-completion":
        value = sum(t.weight * finish[t.name] for t in problem.tasks) / _MIN_PER_H
    else:
        value = schedule_cost(problem, schedule) or 0.0
    if problem.deadlines == "soft":
        value += problem.lateness_penalty * sum(lateness_hours(problem, finish).values())
    return value


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def schedule_metrics(
    problem: SchedulingProblem, schedule: Schedule, objective: Objective
) -> ScheduleMetrics:
    """Every figure of `schedule` (see the module docstring)."""
    finish = completions(problem, schedule)
    ran: dict[str, float] = defaultdict(float)
    pieces: dict[str, int] = defaultdict(int)
    used: dict[str, float] = defaultdict(float)
    gpus = {t.name: t.gpus for t in problem.tasks}
    for s in schedule.segments:
        ran[s.task] += s.end - s.start
        pieces[s.task] += 1
        used[s.pool] += gpus[s.task] * (s.end - s.start)
    makespan = max(finish.values())
    completion = {t.name: finish[t.name] / _MIN_PER_H for t in problem.tasks}
    waiting = {
        t.name: max(0.0, finish[t.name] - t.release - ran[t.name]) / _MIN_PER_H
        for t in problem.tasks
    }
    late = lateness_hours(problem, finish)
    classes = sorted({t.priority for t in problem.tasks}, reverse=True)
    by_priority = []
    for priority in classes:
        names = [t.name for t in problem.tasks if t.priority == priority]
        by_priority.append(
            ClassFigures(
                priority=priority,
                jobs=len(names),
                completion_mean_h=float(np.mean([completion[n] for n in names])),
                completion_p95_h=_p95([completion[n] for n in names]),
                waiting_mean_h=float(np.mean([waiting[n] for n in names])),
                waiting_p95_h=_p95([waiting[n] for n in names]),
            )
        )
    total_gpus = sum(p.gpus for p in problem.pools)
    return ScheduleMetrics(
        policy=schedule.policy,
        status=schedule.status,
        objective=objective,
        objective_value=objective_value(problem, schedule, objective),
        bound=schedule.bound,
        makespan_h=makespan / _MIN_PER_H,
        completion_mean_h=float(np.mean(list(completion.values()))),
        completion_p95_h=_p95(list(completion.values())),
        waiting_mean_h=float(np.mean(list(waiting.values()))),
        waiting_p95_h=_p95(list(waiting.values())),
        deadline_misses=sum(1 for v in late.values() if v > _EPS),
        late_jobs=[name for name, v in late.items() if v > _EPS],
        lateness_h=sum(late.values()),
        utilisation=sum(used.values()) / (total_gpus * makespan) if makespan > 0 else 0.0,
        pool_utilisation={
            p.name: used[p.name] / (p.gpus * makespan) if makespan > 0 else 0.0
            for p in problem.pools
        },
        cost=schedule_cost(problem, schedule),
        preemptions=sum(n - 1 for n in pieces.values()),
        solve_seconds=schedule.solve_seconds,
        by_priority=by_priority,
    )
