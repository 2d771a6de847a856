"""The scheduling problem and its answers as plain values, in whole minutes.

Every policy and the CP-SAT model read a SchedulingProblem and return a Schedule; metrics are
computed from the Schedule alone, so every policy is judged by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Objective = Literal["makespan", "weighted-completion", "cost"]
OBJECTIVES: tuple[Objective, ...] = ("makespan", "weighted-completion", "cost")


@dataclass(frozen=True)
class PoolSpec:
    """GPUs of one accelerator type shared by jobs."""

    name: str
    gpus: int
    price_per_gpu_hour: float | None = None
    accelerator: str = ""


@dataclass(frozen=True)
class Task:
    """A job as the schedulers see it: a gang size, times in minutes, and its duration (whole
    minutes) on each pool it may use."""

    name: str
    gpus: int
    durations: tuple[tuple[str, int], ...]
    """(pool name, minutes) for every pool the job may run on; at least one."""
    priority: int = 0
    release: int = 0
    deadline: int | None = None

    @property
    def weight(self) -> int:
        return self.priority + 1

    @property
    def duration_on(self) -> dict[str, int]:
        return dict(self.durations)

    @property
    def shortest(self) -> int:
        """Minutes on the fastest pool the job may use (SJF's estimate)."""
        return min(d for _, d in self.durations)


@dataclass(frozen=True)
class SchedulingProblem:
    """Jobs, pools, and how a schedule is judged."""

    tasks: tuple[Task, ...]
    pools: tuple[PoolSpec, ...]
    deadlines: Literal["soft", "hard"] = "soft"
    lateness_penalty: float = 10.0
    """Objective units per hour late (soft deadlines)."""
    quantum: int = 60
    """Round robin's slice, minutes."""

    def __post_init__(self) -> None:
        names = {p.name: p for p in self.pools}
        for task in self.tasks:
            usable = [p for p, _ in task.durations if p in names and names[p].gpus >= task.gpus]
            if not usable:
                raise ValueError(f"job {task.name!r} fits no pool it may use")
            if any(d < 1 for _, d in task.durations):
                raise ValueError(f"job {task.name!r}: durations must be at least 1 minute")

    @property
    def pool(self) -> dict[str, PoolSpec]:
        return {p.name: p for p in self.pools}


@dataclass(frozen=True)
class Segment:
    """A stretch of one job running on one pool, minutes from time 0."""

    task: str
    pool: str
    start: float
    end: float


@dataclass(frozen=True)
class Schedule:
    """What a policy decided: the segments (several per job only when it was preempted)."""

    policy: str
    segments: tuple[Segment, ...]
    status: str = "heuristic"
    """"heuristic" for list policies; CP-SAT: "optimal", "feasible" or "best list policy"."""
    objective: Objective | None = None
    """The objective CP-SAT minimised (None for list policies)."""
    bound: float | None = None
    """CP-SAT's lower bound on the objective, in objective units."""
    solve_seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())
