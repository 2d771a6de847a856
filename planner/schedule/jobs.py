"""The jobs file: jobs to run on a fixed set of accelerator pools, and how to judge a schedule.

Like the spec, every model forbids unknown keys and is frozen. Times are hours from the start
of the schedule; they are kept in whole minutes when scheduling.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planner.bounds import (
    AtLeastOneReplica,
    DollarsPerHour,
    GangSize,
    GpuHours,
    Hours,
    HoursFromStart,
    Priority,
    Requests,
    Tokens,
    TotalTokens,
    UnitPrice,
)
from planner.spec.models import ModelDefinition, Name, Strict, WeightsDtype

Objective = Literal["makespan", "weighted-completion", "cost"]


class Job(Strict):
    """One job: its size (one of three forms), its gang of GPUs and when it may run."""

    name: Name
    gpus: GangSize = Field(1, description="GPUs the job needs at once, in one pool (a gang).")
    priority: Priority = Field(
        0, ge=0, description="Higher runs first; weight in weighted completion is priority + 1."
    )
    release_hours: HoursFromStart = Field(0.0, description="Earliest start, hours from time 0.")
    deadline_hours: Hours | None = Field(
        None, description="Finish by this time, hours from time 0."
    )
    accelerators: tuple[str, ...] | None = Field(
        None, min_length=1, description="Accelerator types the job may use; any pool if omitted."
    )
    gpu_hours: GpuHours | None = Field(
        None, description="Work in GPU-hours on `reference_accelerator`."
    )
    reference_accelerator: str | None = Field(
        None, min_length=1, description="The accelerator `gpu_hours` was measured on."
    )
    model: str | None = Field(
        None, min_length=1, description="Model trained (with tokens) or run (with requests)."
    )
    tokens: TotalTokens | None = Field(None, description="Training tokens (with model).")
    requests: Requests | None = Field(None, description="Batch inference requests (with model).")
    input_tokens: Tokens | None = Field(None, description="Prompt tokens per request.")
    output_tokens: Tokens | None = Field(None, description="Generated tokens per request.")
    weights_dtype: WeightsDtype = Field("bf16", description="Weights format for inference.")

    @model_validator(mode="after")
    def _one_size(self) -> Job:
        given = [form for form, (marks, _) in SIZE_FORMS.items() if _any_set(self, marks)]
        if len(given) != 1:
            raise ValueError(
                f"the job's size is given in {len(given)} forms ({'; '.join(given)}); keep one"
                if given
                else "give the job's size as " + "; or ".join(SIZE_FORMS)
            )
        missing = [f for f in SIZE_FORMS[given[0]][1] if getattr(self, f) is None]
        if missing:
            raise ValueError(f"{given[0]}: missing {', '.join(missing)}")
        if self.model is not None and "model" not in SIZE_FORMS[given[0]][1]:
            raise ValueError("`model` goes with tokens or requests, not with gpu_hours")
        if self.deadline_hours is not None and self.deadline_hours <= self.release_hours:
            raise ValueError(
                f"deadline_hours ({self.deadline_hours:g}) must be after release_hours "
                f"({self.release_hours:g})"
            )
        return self

    @property
    def form(self) -> str:
        """ "gpu_hours", "training" or "inference": how the size is given."""
        return next(k for k, (marks, _) in SIZE_FORMS.items() if _any_set(self, marks)).split()[0]

    @property
    def weight(self) -> int:
        """Weight in the weighted completion time: priority + 1."""
        return self.priority + 1


SIZE_FORMS = {
    "gpu_hours + reference_accelerator": (
        ("gpu_hours", "reference_accelerator"),
        ("gpu_hours", "reference_accelerator"),
    ),
    "training (model + tokens)": (("tokens",), ("model", "tokens")),
    "inference (model + requests + input_tokens + output_tokens)": (
        ("requests", "input_tokens", "output_tokens"),
        ("model", "requests", "input_tokens", "output_tokens"),
    ),
}
"""The ways to give a job's size: the fields that mark each form, and the fields it needs."""


def _any_set(job: Job, fields: tuple[str, ...]) -> bool:
    return any(getattr(job, f) is not None for f in fields)


class Pool(Strict):
    """GPUs of one accelerator type that jobs share (a reservation, a cluster, a quota)."""

    name: Name
    accelerator: str = Field(min_length=1, description="Accelerator name or alias (H100, L4...).")
    gpus: AtLeastOneReplica = Field(description="GPUs in the pool.")
    price_per_gpu_hour: UnitPrice | None = Field(
        None, description="Dollars per GPU-hour used; cost is not counted if omitted."
    )


class Capacity(Strict):
    """The pools jobs may run on."""

    pools: tuple[Pool, ...] = Field(min_length=1)


class Options(Strict):
    """How schedules are judged."""

    objective: Objective = Field(
        "weighted-completion",
        description="What the optimal schedule minimises (the CLI's --objective overrides it).",
    )
    deadlines: Literal["soft", "hard"] = Field(
        "soft",
        description="hard: the optimal schedule must meet every deadline; soft: lateness costs "
        "lateness_penalty per hour.",
    )
    lateness_penalty: DollarsPerHour = Field(
        10.0, description="Added to the objective per hour a job is late (soft deadlines)."
    )
    quantum_hours: Hours = Field(1.0, description="Round robin's time slice.")
    time_limit_s: float = Field(
        10.0,
        gt=0,
        le=86_400,
        strict=True,
        description="CP-SAT's deterministic time limit: repeatable; wall time varies by machine.",
    )
    workers: int = Field(
        1,
        strict=True,
        ge=1,
        le=64,
        description="CP-SAT subsolvers, interleaved on one thread (deterministic); more find "
        "better schedules for hundreds of jobs, one is fastest for small problems.",
    )


class JobsFile(Strict):
    """A jobs file: `jobs:`, `capacity:`, optional `options:` and `models:`."""

    jobs: tuple[Job, ...] = Field(min_length=1)
    capacity: Capacity
    options: Options = Options()
    models: tuple[ModelDefinition, ...] = ()
