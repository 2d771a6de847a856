"""List policies and the CP-SAT schedule: valid schedules, expected orderings, optimality."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import InfeasibleError
from planner.schedule import (
    LIST_POLICIES,
    NON_PREEMPTIVE,
    OBJECTIVES,
    PoolSpec,
    Schedule,
    SchedulingProblem,
    Task,
    build_problem,
    list_schedule,
    load_jobs,
    objective_value,
    optimal_schedule,
    schedule_metrics,
)
from planner.schedule.compare import best_list_schedule, compare_policies
from tests.conftest import ROOT

HEAVY_TAIL = ROOT / "examples" / "jobs" / "heavy-tail.yaml"
JOBS = ROOT / "examples" / "jobs" / "jobs.yaml"


def assert_valid(problem: SchedulingProblem, schedule: Schedule) -> None:
    """Checked without the scheduler's code: work done, releases, pools, GPUs in use."""
    tasks = {t.name: t for t in problem.tasks}
    capacity = {p.name: p.gpus for p in problem.pools}
    work: dict[str, float] = defaultdict(float)
    own: dict[str, list[tuple[float, float]]] = defaultdict(list)
    events: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for s in schedule.segments:
        task = tasks[s.task]
        assert s.pool in task.duration_on, f"{s.task} ran on {s.pool}, not allowed"
        assert s.start >= task.release - 1e-9 and s.end > s.start
        work[s.task] += (s.end - s.start) / task.duration_on[s.pool]
        own[s.task].append((s.start, s.end))
        events[s.pool] += [(s.start, task.gpus), (s.end, -task.gpus)]
    for name in tasks:
        assert work[name] == pytest.approx(1.0, abs=1e-6), f"{name} did {work[name]} of its work"
        spans = sorted(own[name])
        assert all(a[1] <= b[0] + 1e-9 for a, b in itertools.pairwise(spans))
    for pool, changes in events.items():
        in_use = 0
        for _, delta in sorted(changes, key=lambda e: (round(e[0], 9), e[1])):
            in_use += delta
            assert in_use <= capacity[pool], f"{pool} over capacity"


@st.composite
def problems(draw, max_jobs: int = 6) -> SchedulingProblem:
    pool_sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=2))
    pools = tuple(
        PoolSpec(f"p{i}", gpus, float(draw(st.integers(0, 3)))) for i, gpus in enumerate(pool_sizes)
    )
    tasks = []
    for j in range(draw(st.integers(1, max_jobs))):
        gpus = draw(st.integers(1, max(pool_sizes)))
        fitting = [p.name for p in pools if p.gpus >= gpus]
        allowed = sorted(draw(st.sets(st.sampled_from(fitting), min_size=1)))
        release = draw(st.integers(0, 20))
        tasks.append(
            Task(
                name=f"j{j}",
                gpus=gpus,
                durations=tuple((p, draw(st.integers(1, 30))) for p in allowed),
                priority=draw(st.integers(0, 2)),
                release=release,
                deadline=draw(st.one_of(st.none(), st.integers(release + 1, release + 60))),
            )
        )
    return SchedulingProblem(
        tuple(tasks),
        pools,
        deadlines="soft",
        lateness_penalty=float(draw(st.integers(0, 5))),
        quantum=draw(st.integers(1, 20)),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_list_policy_gives_a_valid_schedule(problem):
    for policy in LIST_POLICIES:
        schedule = list_schedule(problem, policy)
        assert_valid(problem, schedule)
        if policy in NON_PREEMPTIVE:
            assert len(schedule.segments) == len(problem.tasks)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from(OBJECTIVES))
def test_cp_sat_is_proven_optimal_and_never_worse_than_a_non_preemptive_list_policy(
    problem, objective
):
    schedule = optimal_schedule(problem, objective, time_limit_s=20.0)
    assert schedule.status == "optimal"
    assert_valid(problem, schedule)
    assert len(schedule.segments) == len(problem.tasks)
    value = objective_value(problem, schedule, objective)
    best = min(
        objective_value(problem, list_schedule(problem, p), objective) for p in NON_PREEMPTIVE
    )
    assert value <= best + 1e-6
    assert schedule.bound is not None and schedule.bound <= value + 1e-6


def test_cp_sat_proves_the_bundled_example_optimal_and_beats_every_list_policy():
    problem = build_problem(load_jobs(JOBS))
    result = compare_policies(problem, objective="weighted-completion")
    optimal = result.metrics[-1]
    assert optimal.policy == "optimal" and optimal.status == "optimal"
    assert optimal.bound == pytest.approx(optimal.objective_value)
    assert all(optimal.objective_value <= m.objective_value + 1e-9 for m in result.metrics)


def test_cp_sat_is_deterministic():
    problem = build_problem(load_jobs(JOBS))
    first = optimal_schedule(problem, "makespan", 10.0, best_list_schedule(problem, "makespan"))
    second = optimal_schedule(problem, "makespan", 10.0, best_list_schedule(problem, "makespan"))
    assert first.segments == second.segments


def test_interleaved_workers_are_deterministic_and_optimal_too():
    problem = build_problem(load_jobs(JOBS))
    hint = best_list_schedule(problem, "weighted-completion")
    runs = [optimal_schedule(problem, "weighted-completion", 10.0, hint, workers=4) for _ in "ab"]
    assert runs[0].segments == runs[1].segments and runs[0].status == "optimal"
    single = optimal_schedule(problem, "weighted-completion", 10.0, hint)
    assert objective_value(problem, runs[0], "weighted-completion") == pytest.approx(
        objective_value(problem, single, "weighted-completion")
    )


def _two_jobs(deadlines: str) -> SchedulingProblem:
    pool = (PoolSpec("gpu", 1, 1.0),)
    tasks = (
        Task("a", 1, (("gpu", 60),), deadline=60),
        Task("b", 1, (("gpu", 60),), deadline=60),
    )
    return SchedulingProblem(tasks, pool, deadlines=deadlines, lateness_penalty=100.0)  # type: ignore[arg-type]


def test_hard_deadlines_nobody_can_meet_are_reported_as_infeasible():
    with pytest.raises(InfeasibleError, match="hard deadline"):
        optimal_schedule(_two_jobs("hard"), "makespan")


def test_soft_deadlines_cost_the_lateness_penalty():
    problem = _two_jobs("soft")
    schedule = optimal_schedule(problem, "makespan")
    metrics = schedule_metrics(problem, schedule, "makespan")
    assert metrics.deadline_misses == 1 and metrics.lateness_h == pytest.approx(1.0)
    assert metrics.objective_value == pytest.approx(2.0 + 100.0)


def test_cost_objective_picks_the_cheaper_slower_pool_when_deadlines_allow():
    pools = (PoolSpec("fast", 4, 10.0), PoolSpec("slow", 4, 1.0))
    tasks = (Task("job", 4, (("fast", 60), ("slow", 180)), deadline=200),)
    problem = SchedulingProblem(tasks, pools)
    assert optimal_schedule(problem, "cost").segments[0].pool == "slow"
    assert optimal_schedule(problem, "makespan").segments[0].pool == "fast"


def test_sjf_waits_less_than_fcfs_on_the_heavy_tailed_jobs():
    problem = build_problem(load_jobs(HEAVY_TAIL))
    fcfs = schedule_metrics(problem, list_schedule(problem, "fcfs"), "makespan")
    sjf = schedule_metrics(problem, list_schedule(problem, "sjf"), "makespan")
    assert sjf.waiting_mean_h < fcfs.waiting_mean_h


def test_preemptive_priority_gives_the_high_class_a_lower_wait_than_fcfs():
    problem = build_problem(load_jobs(HEAVY_TAIL))
    fcfs = schedule_metrics(problem, list_schedule(problem, "fcfs"), "makespan")
    preemptive = schedule_metrics(
        problem, list_schedule(problem, "priority-preemptive"), "makespan"
    )

    def high(m):
        return next(c for c in m.by_priority if c.priority == 2)

    assert high(preemptive).waiting_mean_h < high(fcfs).waiting_mean_h
    assert preemptive.preemptions > 0


def test_round_robin_slices_long_jobs_when_others_wait():
    problem = build_problem(load_jobs(HEAVY_TAIL))
    schedule = list_schedule(problem, "rr")
    assert_valid(problem, schedule)
    pieces = defaultdict(int)
    for s in schedule.segments:
        pieces[s.task] += 1
    assert pieces["pretrain-ablation-a"] > 1


def test_metrics_are_the_same_fields_for_every_policy():
    problem = build_problem(load_jobs(JOBS))
    for policy in LIST_POLICIES:
        m = schedule_metrics(problem, list_schedule(problem, policy), "cost")
        assert 0 < m.utilisation <= 1
        assert m.cost is not None and m.cost > 0
        assert m.makespan_h >= max(c.completion_p95_h for c in m.by_priority) - 1e-9
        assert {c.priority for c in m.by_priority} == {t.priority for t in problem.tasks}
