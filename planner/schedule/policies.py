"""List scheduling of gang jobs on pools: FCFS, SJF, priority (non-preemptive and preemptive)
and round robin.

At every event (a release, a completion, the end of a quantum) the jobs are taken in the
policy's order, and each starts on the pool where it would finish soonest among those it may
use with enough free GPUs; a job that does not fit does not hold back the ones after it
(backfilling). Non-preemptive policies never stop a running job. Preemptive priority reassigns
in priority order at every event (a running job keeps its pool when it can); a preempted job
resumes later with the work it has left, on any pool it may use, with no restart cost. Round
robin runs a job for at most a quantum while others wait, then sends it to the back of the line.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from planner.bounds import check_slices
from planner.schedule.problem import Schedule, SchedulingProblem, Segment, Task

LIST_POLICIES = ("fcfs", "sjf", "priority", "priority-preemptive", "rr")
NON_PREEMPTIVE = ("fcfs", "sjf", "priority")
_EPS = 1e-9


def _order(policy: str) -> Callable[[int, Task], tuple]:
    if policy == "fcfs":
        return lambda i, t: (t.release, i)
    if policy == "sjf":
        return lambda i, t: (t.shortest, t.release, i)
    return lambda i, t: (-t.priority, t.release, i)


def list_schedule(problem: SchedulingProblem, policy: str) -> Schedule:
    """Simulate `policy` on `problem` (see the module docstring)."""
    if policy not in LIST_POLICIES:
        raise ValueError(f"unknown policy {policy!r}; use one of {', '.join(LIST_POLICIES)}")
    if policy == "rr":
        work = sum(max(d for _, d in t.durations) for t in problem.tasks)
        check_slices(work / 60, problem.quantum / 60, len(problem.tasks), "quantum_hours", "h")
    return _Run(problem, policy).schedule()


class _Run:
    """The state of one simulation: work left, who runs where, and the segments so far."""

    def __init__(self, problem: SchedulingProblem, policy: str):
        self.problem = problem
        self.policy = policy
        self.tasks = problem.tasks
        self.duration = [t.duration_on for t in self.tasks]
        self.capacity = {p.name: p.gpus for p in problem.pools}
        self.pool_rank = {p.name: i for i, p in enumerate(problem.pools)}
        self.left = [1.0] * len(self.tasks)
        self.running: dict[int, str] = {}
        self.since: dict[int, float] = {}
        self.slice_start: dict[int, float] = {}
        self.released = [False] * len(self.tasks)
        self.done = [False] * len(self.tasks)
        self.line: list[int] = []
        self.segments: list[Segment] = []
        key = _order(policy)
        self.key = lambda i: key(i, self.tasks[i])

    def schedule(self) -> Schedule:
        t = 0.0
        while not all(self.done):
            self._release(t)
            if self.policy == "rr":
                self._rotate(t)
            self._apply(self._assign(), t)
            t = self._advance(t)
        segments = sorted(self.segments, key=lambda s: (s.start, s.task, s.end))
        return Schedule(policy=self.policy, segments=tuple(segments))

    def _release(self, t: float) -> None:
        for i, task in enumerate(self.tasks):
            if not self.released[i] and task.release <= t + _EPS:
                self.released[i] = True
                self.line.append(i)

    def _waiting(self) -> list[int]:
        return [i for i in self.line if i not in self.running and not self.done[i]]

    def _rotate(self, t: float) -> None:
        """Round robin: a running job whose quantum ends now goes to the back if others wait;
        while nobody waits its quantum is renewed."""
        quantum = self.problem.quantum
        waiting = bool(self._waiting())
        for i in [i for i in self.line if i in self.running]:
            elapsed = t - self.slice_start[i]
            if elapsed < quantum - _EPS:
                continue
            turns = math.floor((elapsed + _EPS) / quantum)
            if waiting and abs(elapsed - turns * quantum) < _EPS:
                self.line.remove(i)
                self.line.append(i)
                self.slice_start[i] = t
            else:
                self.slice_start[i] += turns * quantum

    def _best_pool(self, i: int, free: dict[str, int]) -> str | None:
        gpus = self.tasks[i].gpus
        fits = [p for p in self.duration[i] if free[p] >= gpus]
        if not fits:
            return None
        return min(fits, key=lambda p: (self.left[i] * self.duration[i][p], self.pool_rank[p]))

    def _assign(self) -> dict[int, str]:
        """Where each job should run from now on."""
        active = [i for i in self.line if not self.done[i]]
        free = dict(self.capacity)
        chosen: dict[int, str] = {}
        if self.policy in ("priority-preemptive", "rr"):
            order = active if self.policy == "rr" else sorted(active, key=self.key)
        else:
            for i, pool in self.running.items():
                chosen[i] = pool
                free[pool] -= self.tasks[i].gpus
            order = sorted((i for i in active if i not in self.running), key=self.key)
        for i in order:
            if i in chosen:
                continue
            pool = self.running.get(i)
            if pool is None or free[pool] < self.tasks[i].gpus:
                pool = self._best_pool(i, free)
            if pool is not None:
                chosen[i] = pool
                free[pool] -= self.tasks[i].gpus
        return chosen

    def _apply(self, chosen: dict[int, str], t: float) -> None:
        for i in list(self.running):
            if chosen.get(i) != self.running[i]:
                self._close(i, t)
        for i, pool in chosen.items():
            if i not in self.running:
                self.running[i] = pool
                self.since[i] = t
                self.slice_start[i] = t

    def _close(self, i: int, t: float) -> None:
        pool = self.running.pop(i)
        start = self.since.pop(i)
        if t > start + _EPS:
            self.segments.append(Segment(self.tasks[i].name, pool, start, t))

    def _advance(self, t: float) -> float:
        """Move to the next event, updating work left and closing finished jobs."""
        ends = {i: t + self.left[i] * self.duration[i][p] for i, p in self.running.items()}
        upcoming = [task.release for i, task in enumerate(self.tasks) if not self.released[i]]
        candidates = [*ends.values(), *upcoming]
        if self.policy == "rr" and self._waiting():
            candidates += [self.slice_start[i] + self.problem.quantum for i in self.running]
        if not candidates:  # nothing runs and nothing will be released: cannot happen
            raise RuntimeError("list scheduling stalled")
        step = min(candidates)
        for i, pool in list(self.running.items()):
            if ends[i] <= step + _EPS:
                self.left[i] = 0.0
                self.done[i] = True
                self._close(i, ends[i])
            else:
                self.left[i] -= (step - t) / self.duration[i][pool]
        return step
