"""How long each job runs on each pool, from the planner's performance model.

gpu_hours on a reference accelerator are moved to the pool's accelerator by their BF16 FLOPs
and spread over the job's GPUs; training is model + tokens at the training MFU (when the model
fits the gang's memory); batch inference is the requests over the gang's offline rate at the
smallest tensor-parallel degree that fits. Durations are rounded up to whole minutes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from planner.facts import LLM, Accelerator, find_accelerator, find_llm
from planner.perf import (
    DEFAULT_SETTINGS,
    PerfSettings,
    batch_throughput,
    scale_gpu_hours,
    smallest_fitting_tp,
    training_hours,
)
from planner.perf.sizing import TRAINING_BYTES_PER_PARAM
from planner.schedule.jobs import Job, JobsFile, Pool
from planner.schedule.problem import PoolSpec, SchedulingProblem, Task

MINUTES = 60


def job_hours(
    job: Job,
    accelerator: Accelerator,
    user_llms: Iterable[LLM] = (),
    settings: PerfSettings = DEFAULT_SETTINGS,
) -> tuple[float | None, str]:
    """Wall-clock hours of `job` on `job.gpus` of `accelerator`, or None and why it cannot run."""
    if job.form == "gpu_hours":
        reference = find_accelerator(job.reference_accelerator or "")
        if reference is None:
            return None, f"unknown accelerator {job.reference_accelerator!r}"
        return scale_gpu_hours(job.gpu_hours or 0.0, reference, accelerator) / job.gpus, ""
    model = find_llm(job.model or "", tuple(user_llms))
    if model is None:
        return None, f"unknown model {job.model!r}"
    if job.form == "training":
        needed_gb = model.params_b * TRAINING_BYTES_PER_PARAM / job.gpus
        usable_gb = accelerator.memory_gb * settings.memory_utilization
        if needed_gb > usable_gb:
            return None, (
                f"training {model.name} needs {needed_gb:.0f} GB per GPU on {job.gpus} GPUs; "
                f"{accelerator.name} has {usable_gb:.0f} GB usable"
            )
        return training_hours(model, accelerator, job.gpus, job.tokens or 0.0, settings), ""
    assert job.input_tokens and job.output_tokens and job.requests
    context = job.input_tokens + job.output_tokens
    tp = smallest_fitting_tp(
        model, accelerator, job.gpus, context, job.weights_dtype, settings=settings
    )
    if tp is None:
        return None, f"{model.name} does not fit {job.gpus} x {accelerator.name}"
    rate = batch_throughput(
        model,
        accelerator,
        job.gpus,
        tp,
        job.input_tokens,
        job.output_tokens,
        settings,
        weights_dtype=job.weights_dtype,
    ).requests_per_s
    if rate <= 0:
        return None, f"{model.name} cannot run on {job.gpus} x {accelerator.name}"
    return job.requests / rate / 3600, ""


def job_minutes(
    job: Job,
    pools: Iterable[Pool],
    user_llms: Iterable[LLM] = (),
    settings: PerfSettings = DEFAULT_SETTINGS,
) -> tuple[dict[str, int], list[str]]:
    """Whole minutes on each pool the job may use, and why each other pool is ruled out."""
    wanted = None
    if job.accelerators is not None:
        wanted = {_canonical(a) for a in job.accelerators}
    found: dict[str, int] = {}
    why: list[str] = []
    for pool in pools:
        accelerator = find_accelerator(pool.accelerator)
        if accelerator is None:
            why.append(f"{pool.name}: unknown accelerator {pool.accelerator!r}")
        elif wanted is not None and accelerator.name not in wanted:
            why.append(f"{pool.name}: {accelerator.name} is not among the job's accelerators")
        elif pool.gpus < job.gpus:
            why.append(f"{pool.name}: has {pool.gpus} GPUs, the job needs {job.gpus}")
        else:
            hours, reason = job_hours(job, accelerator, user_llms, settings)
            if hours is None:
                why.append(f"{pool.name}: {reason}")
            else:
                found[pool.name] = max(1, math.ceil(hours * MINUTES - 1e-9))
    return found, why


def _canonical(name: str) -> str:
    accelerator = find_accelerator(name)
    return accelerator.name if accelerator else name


def build_problem(
    jobs: JobsFile,
    settings: PerfSettings = DEFAULT_SETTINGS,
    quantum_hours: float | None = None,
) -> SchedulingProblem:
    """The scheduling SchedulingProblem of a validated jobs file (every job fits some pool)."""
    user = tuple(m.to_llm() for m in jobs.models)
    tasks = []
    for job in jobs.jobs:
        minutes, why = job_minutes(job, jobs.capacity.pools, user, settings)
        if not minutes:
            raise ValueError(f"job {job.name!r} fits no pool: {'; '.join(why)}")
        tasks.append(
            Task(
                name=job.name,
                gpus=job.gpus,
                durations=tuple(minutes.items()),
                priority=job.priority,
                release=math.ceil(job.release_hours * MINUTES - 1e-9),
                deadline=None
                if job.deadline_hours is None
                else math.floor(job.deadline_hours * MINUTES + 1e-9),
            )
        )
    options = jobs.options
    quantum = quantum_hours if quantum_hours is not None else options.quantum_hours
    return SchedulingProblem(
        tasks=tuple(tasks),
        pools=tuple(
            PoolSpec(p.name, p.gpus, p.price_per_gpu_hour, _canonical(p.accelerator))
            for p in jobs.capacity.pools
        ),
        deadlines=options.deadlines,
        lateness_penalty=options.lateness_penalty,
        quantum=max(1, round(quantum * MINUTES)),
    )
