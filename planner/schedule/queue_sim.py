"""One queue with `slots` parallel servers under FCFS, SJF, priority or round robin.

Each function takes arrival times (sorted), service times and, for priority, classes, and
returns when each request first got a slot and when it finished. FCFS on one slot is the
Lindley recursion in closed, vectorised form; FCFS on several slots keeps a heap of the times
the slots free up (O(n log c)); the other disciplines are event loops over heaps.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

import numpy as np

QUEUE_POLICIES = ("fcfs", "sjf", "priority", "priority-preemptive", "rr")


@dataclass(frozen=True)
class QueueResult:
    """When each request first started service and when it finished (same order as input)."""

    start: np.ndarray
    finish: np.ndarray

    def waits(self, arrival: np.ndarray, service: np.ndarray) -> np.ndarray:
        """Time each request spent not being served: finish - arrival - service."""
        return np.maximum(self.finish - arrival - service, 0.0)


def serve(
    arrival: np.ndarray,
    service: np.ndarray,
    slots: int = 1,
    policy: str = "fcfs",
    priority: np.ndarray | None = None,
    quantum: float = 1.0,
) -> QueueResult:
    """Run one queue. `priority`: higher is served first (priority policies only);
    `quantum`: the time slice of round robin, in the units of the times given."""
    arrival = np.asarray(arrival, dtype=float)
    service = np.asarray(service, dtype=float)
    if arrival.shape != service.shape or arrival.ndim != 1:
        raise ValueError("arrival and service must be 1-d arrays of the same length")
    if slots < 1:
        raise ValueError(f"slots must be at least 1, got {slots}")
    if arrival.size and np.any(np.diff(arrival) < 0):
        raise ValueError("arrival times must be sorted")
    if policy not in QUEUE_POLICIES:
        raise ValueError(f"unknown policy {policy!r}; use one of {', '.join(QUEUE_POLICIES)}")
    if arrival.size == 0:
        return QueueResult(np.empty(0), np.empty(0))
    classes = np.zeros(arrival.size) if priority is None else np.asarray(priority, dtype=float)
    if policy == "fcfs":
        return _fcfs(arrival, service, slots)
    if policy == "sjf":
        return _keyed(arrival, service, slots, service)
    if policy == "priority":
        return _keyed(arrival, service, slots, -classes)
    if policy == "priority-preemptive":
        return _preemptive(arrival, service, slots, -classes)
    if not quantum > 0:
        raise ValueError(f"quantum must be positive, got {quantum!r}")
    return _round_robin(arrival, service, slots, quantum)


def _fcfs(arrival: np.ndarray, service: np.ndarray, slots: int) -> QueueResult:
    if slots == 1:
        # finish_n = max_k<=n (a_k + s_k + ... + s_n): a running maximum, no loop.
        work = np.cumsum(service)
        before = work - service
        finish = work + np.maximum.accumulate(arrival - before)
        return QueueResult(finish - service, finish)
    if slots >= arrival.size:
        return QueueResult(arrival.copy(), arrival + service)
    free = [0.0] * slots
    starts = [0.0] * arrival.size
    replace = heapq.heapreplace
    for i, (a, s) in enumerate(zip(arrival.tolist(), service.tolist(), strict=True)):
        t = free[0]
        begin = a if a > t else t
        replace(free, begin + s)
        starts[i] = begin
    start = np.array(starts)
    return QueueResult(start, start + service)


def _keyed(arrival: np.ndarray, service: np.ndarray, slots: int, key: np.ndarray) -> QueueResult:
    """Non-preemptive: a freed slot takes the waiting request with the smallest key (then the
    earliest arrival)."""
    a, s, k = arrival.tolist(), service.tolist(), key.tolist()
    n = len(a)
    starts = [0.0] * n
    busy: list[float] = []
    waiting: list[tuple[float, int]] = []
    push, pop = heapq.heappush, heapq.heappop
    i, t = 0, 0.0
    while i < n or waiting:
        # with nobody waiting the next event is an arrival; else every slot is busy and the
        # next event is an arrival or a slot freeing up
        t = a[i] if not waiting or (i < n and a[i] < busy[0]) else busy[0]
        while busy and busy[0] <= t:
            pop(busy)
        while i < n and a[i] <= t:
            push(waiting, (k[i], i))
            i += 1
        while waiting and len(busy) < slots:
            _, j = pop(waiting)
            starts[j] = t
            push(busy, t + s[j])
    start = np.array(starts)
    return QueueResult(start, start + service)


def _preemptive(
    arrival: np.ndarray, service: np.ndarray, slots: int, key: np.ndarray
) -> QueueResult:
    """Preemptive-resume priority: an arrival with a smaller key takes the slot of the least
    urgent running request (the latest started among equals), which resumes later."""
    a, k = arrival.tolist(), key.tolist()
    n = len(a)
    remaining = service.tolist()
    first = [math.nan] * n
    finish = [0.0] * n
    version = [0] * n
    since: dict[int, float] = {}  # running request -> start of its current stretch
    ends: list[tuple[float, int, int]] = []  # (finish time, request, version)
    victims: list[tuple[float, float, int, int]] = []  # (-key, -start, request, version)
    waiting: list[tuple[float, int]] = []
    push, pop = heapq.heappush, heapq.heappop

    def begin(j: int, t: float) -> None:
        since[j] = t
        if first[j] != first[j]:
            first[j] = t
        version[j] += 1
        push(ends, (t + remaining[j], j, version[j]))
        push(victims, (-k[j], -t, j, version[j]))

    i = 0
    while i < n or waiting or since:
        while ends and version[ends[0][1]] != ends[0][2]:
            pop(ends)
        next_end = ends[0][0] if ends else math.inf
        if i < n and a[i] < next_end:
            t = a[i]
            push(waiting, (k[i], i))
            i += 1
        else:
            t, j, _ = pop(ends)
            finish[j] = t
            version[j] += 1
            del since[j]
        while waiting:
            if len(since) < slots:
                _, j = pop(waiting)
                begin(j, t)
                continue
            while version[victims[0][2]] != victims[0][3]:
                pop(victims)
            victim = victims[0][2]
            if waiting[0][0] >= k[victim]:
                break
            pop(victims)
            remaining[victim] -= t - since.pop(victim)
            version[victim] += 1
            push(waiting, (k[victim], victim))
            _, j = pop(waiting)
            begin(j, t)
    return QueueResult(np.array(first), np.array(finish))


def _round_robin(
    arrival: np.ndarray, service: np.ndarray, slots: int, quantum: float
) -> QueueResult:
    """Round robin: a request runs for at most `quantum` and then, if others wait, goes to the
    back of the line. While nobody waits a slice runs on to the end (no event per quantum); when
    a request has to wait, every running slice is cut at its next quantum boundary."""
    a = arrival.tolist()
    n = len(a)
    remaining = service.tolist()
    first = [math.nan] * n
    finish = [0.0] * n
    version = [0] * n
    since: dict[int, float] = {}
    unbounded: set[int] = set()
    events: list[tuple[float, int, int, bool]] = []  # (time, request, version, finishes)
    line: deque[int] = deque()
    push, pop = heapq.heappush, heapq.heappop

    def begin(j: int, t: float) -> None:
        since[j] = t
        if first[j] != first[j]:
            first[j] = t
        version[j] += 1
        if line and remaining[j] > quantum:
            push(events, (t + quantum, j, version[j], False))
        else:
            push(events, (t + remaining[j], j, version[j], True))
            if remaining[j] > quantum:
                unbounded.add(j)

    def bound_all(t: float) -> None:
        for j in unbounded:
            start = since[j]
            boundary = start + max(1, math.ceil((t - start) / quantum)) * quantum
            if boundary < start + remaining[j]:
                version[j] += 1
                push(events, (boundary, j, version[j], False))
        unbounded.clear()

    i = 0
    while i < n or line or since:
        while events and version[events[0][1]] != events[0][2]:
            pop(events)
        next_event = events[0][0] if events else math.inf
        if i < n and a[i] < next_event:
            t = a[i]
            line.append(i)
            i += 1
        else:
            t, j, _, done = pop(events)
            version[j] += 1
            unbounded.discard(j)
            if done:
                finish[j] = t
                del since[j]
            else:
                remaining[j] -= t - since.pop(j)
                if line:
                    line.append(j)
                else:
                    begin(j, t)
        while line and len(since) < slots:
            begin(line.popleft(), t)
        if line and unbounded:
            bound_all(t)
    return QueueResult(np.array(first), np.array(finish))
