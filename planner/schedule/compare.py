"""Run several scheduling policies on one problem and measure them all the same way."""

from __future__ import annotations

from dataclasses import dataclass

from planner.schedule.metrics import ScheduleMetrics, objective_value, schedule_metrics
from planner.schedule.optimal import optimal_schedule
from planner.schedule.policies import LIST_POLICIES, NON_PREEMPTIVE, list_schedule
from planner.schedule.problem import Objective, Schedule, SchedulingProblem

POLICIES = (*LIST_POLICIES, "optimal")


@dataclass(frozen=True)
class Comparison:
    """The schedules of the policies asked for, with their metrics, in the same order."""

    objective: Objective
    schedules: tuple[Schedule, ...]
    metrics: tuple[ScheduleMetrics, ...]


def best_list_schedule(problem: SchedulingProblem, objective: Objective) -> Schedule:
    """The non-preemptive list schedule with the lowest objective (ties: policy order)."""
    schedules = [list_schedule(problem, p) for p in NON_PREEMPTIVE]
    return min(schedules, key=lambda s: objective_value(problem, s, objective))


def compare_policies(
    problem: SchedulingProblem,
    policies: tuple[str, ...] = POLICIES,
    objective: Objective = "weighted-completion",
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 1,
) -> Comparison:
    """Schedules and metrics of each policy; "optimal" starts CP-SAT from the best
    non-preemptive list schedule."""
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        raise ValueError(f"unknown policies {unknown}; use {', '.join(POLICIES)}")
    schedules = []
    for policy in policies:
        if policy == "optimal":
            hint = best_list_schedule(problem, objective)
            schedules.append(
                optimal_schedule(problem, objective, time_limit_s, hint, seed, workers)
            )
        else:
            schedules.append(list_schedule(problem, policy))
    return Comparison(
        objective=objective,
        schedules=tuple(schedules),
        metrics=tuple(schedule_metrics(problem, s, objective) for s in schedules),
    )
