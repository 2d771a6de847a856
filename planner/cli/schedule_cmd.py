"""`planner schedule` (jobs on limited capacity), `planner simulate` (requests on a plan's
replicas) and `planner autoscale` (hourly replicas against the static fleet)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from planner._writefile import refuse_overwrite
from planner.cli.options import PlanArgument, ProfilesCsv
from planner.cli.output import (
    choices,
    chosen,
    file_option,
    force_option,
    format_option,
    guard_output,
    show,
)
from planner.cli.params import PlannerCommand, number
from planner.errors import InputError

# what simulate and autoscale share: the plan's spec, and the fit that sized its replicas
SpecOfPlan = Annotated[
    Path, typer.Option("--spec", metavar="FILE", help="The spec the plan was made from.")
]
FitForReplicas = Annotated[
    Path | None,
    typer.Option(
        "--fit",
        metavar="FILE",
        help="Efficiency fit from `planner calibrate` for the replicas' capacity.",
    ),
]

ScheduleFormat = choices("Schedules")
SimulateFormat = choices("SimulationReport")
AutoscaleFormat = choices("AutoscalePlan")


class SchedulePolicy(enum.StrEnum):
    fcfs = "fcfs"
    sjf = "sjf"
    priority = "priority"
    priority_preemptive = "priority-preemptive"
    rr = "rr"
    optimal = "optimal"
    all = "all"


class ScheduleObjective(enum.StrEnum):
    makespan = "makespan"
    weighted_completion = "weighted-completion"
    cost = "cost"


class QueuePolicy(enum.StrEnum):
    fcfs = "fcfs"
    sjf = "sjf"
    priority = "priority"
    priority_preemptive = "priority-preemptive"
    rr = "rr"


# --- planner schedule ---------------------------------------------------------------------


def schedule(
    jobs_file: Path = typer.Argument(..., help="Jobs file (YAML or JSON)."),
    policy: list[SchedulePolicy] = typer.Option(
        [SchedulePolicy.all],
        "--policy",
        metavar="fcfs|sjf|priority|priority-preemptive|rr|optimal|all",
        help="Policy to run (repeatable); all: every one.",
    ),
    objective: ScheduleObjective | None = typer.Option(
        None,
        "--objective",
        metavar="makespan|weighted-completion|cost",
        help="What 'optimal' minimises (default: the file's options).",
    ),
    time_limit: float | None = number(
        float, None, "--time-limit", help="CP-SAT deterministic time limit (about seconds)."
    ),
    fit: Path | None = typer.Option(
        None,
        "--fit",
        metavar="FILE",
        help="Efficiency fit from `planner calibrate` for the jobs' durations.",
    ),
    fmt: ScheduleFormat = format_option(ScheduleFormat, "table"),
    output: Path = file_option(),
    chart: Path | None = typer.Option(
        None,
        "--chart",
        metavar="FILE",
        help="Write a Gantt chart (.png, .svg or .pdf; needs matplotlib).",
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --chart or -o file."),
) -> None:
    """Schedule jobs on limited GPU pools under each policy and compare them side by side."""
    fmt = chosen(fmt, output, ScheduleFormat, "table")
    guard_output(output, force)
    from planner import app
    from planner.schedule import write_gantt

    refuse_overwrite(chart, force)
    if time_limit is not None and time_limit <= 0:
        raise InputError("--time-limit must be above 0")
    policies = None if SchedulePolicy.all in policy else [p.value for p in policy]
    found = app.schedule(
        jobs_file,
        policies=policies,
        objective=objective.value if objective is not None else None,
        time_limit_s=time_limit,
        fit=fit,
    )
    if chart is not None:
        write_gantt(found.problem, found.comparison.schedules, chart)
    show(found, fmt, output, f"the schedules ({fmt})")
    if chart is not None and fmt == "table":
        typer.echo(f"Gantt chart: {chart}", err=output is not None)


# --- planner simulate ---------------------------------------------------------------------


def simulate(
    plan_file: PlanArgument,
    spec_file: SpecOfPlan = ...,
    requests: int | None = number(
        int,
        None,
        "--requests",
        min=1,
        help="Requests (Poisson: default 100000; trace: the first N).",
    ),
    policy: QueuePolicy = typer.Option(
        QueuePolicy.fcfs,
        "--policy",
        metavar="fcfs|sjf|priority|priority-preemptive|rr",
        help="Queue discipline.",
    ),
    seed: int = number(int, 0, "--seed", help="Random seed."),
    trace: Path | None = typer.Option(
        None,
        "--trace",
        metavar="FILE",
        help="CSV: arrival_s, input_tokens, output_tokens[, workload, priority].",
    ),
    quantum: float = number(float, 2.0, "--quantum-s", help="Round robin time slice (seconds)."),
    high_share: float = number(
        float, 0.0, "--high-priority-share", help="Poisson: share of requests in priority class 1."
    ),
    profiles: ProfilesCsv = None,
    fit: FitForReplicas = None,
    fmt: SimulateFormat = format_option(SimulateFormat, "table"),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """Simulate requests on the plan's replicas: TTFT, latency, waiting, utilisation, SLO."""
    fmt = chosen(fmt, output, SimulateFormat, "table")
    guard_output(output, force)
    from planner import app

    if quantum <= 0 or not 0 <= high_share <= 1:
        raise InputError("--quantum-s must be above 0 and --high-priority-share in [0, 1]")
    report = app.simulate(
        plan_file, spec_file, requests=requests, policy=policy.value, seed=seed, trace=trace,
        quantum_s=quantum, high_priority_share=high_share, profiles=profiles, fit=fit,
    )  # fmt: skip
    show(report, fmt, output, f"the simulation ({fmt})")


# --- planner autoscale --------------------------------------------------------------------


def autoscale(
    plan_file: PlanArgument,
    spec_file: SpecOfPlan = ...,
    profiles: ProfilesCsv = None,
    fit: FitForReplicas = None,
    fmt: AutoscaleFormat = format_option(AutoscaleFormat, "table"),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """Hourly replicas from each workload's hourly_profile, against the peak-sized fleet."""
    fmt = chosen(fmt, output, AutoscaleFormat, "table")
    guard_output(output, force)
    from planner import app

    show(
        app.autoscale(plan_file, spec_file, profiles=profiles, fit=fit),
        fmt,
        output,
        f"the replica schedule ({fmt})",
    )


def register(app: typer.Typer) -> None:
    app.command(cls=PlannerCommand)(schedule)
    app.command(cls=PlannerCommand)(simulate)
    app.command(cls=PlannerCommand)(autoscale)
