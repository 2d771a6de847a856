"""`planner schedule` (jobs on limited capacity), `planner simulate` (requests on a plan's
replicas) and `planner autoscale` (hourly replicas against the static fleet)."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from planner._writefile import refuse_overwrite
from planner.cli.output import Format, choices, print_rows, show, writes_output
from planner.errors import InputError


class Out(enum.StrEnum):
    table = "table"
    json = "json"


ScheduleFormat = choices("Schedules")


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


def _plan_inputs(plan_file: Path, spec_file: Path, profiles: Path | None):
    from planner.perf import load_profiles
    from planner.plans.io import load_plan
    from planner.schedule import serving_models
    from planner.spec import load_spec

    spec = load_spec(spec_file)
    plan = load_plan(plan_file, spec=spec)
    measured = load_profiles(profiles, spec.user_llms()) if profiles else None
    return plan, spec, serving_models(plan, spec, profiles=measured)


# --- planner schedule ---------------------------------------------------------------------


def schedule(
    jobs_file: Path = typer.Argument(..., help="Jobs file (YAML or JSON)."),
    policy: list[SchedulePolicy] = typer.Option(
        [SchedulePolicy.all], "--policy", help="Policy to run (repeatable); all: every one."
    ),
    objective: ScheduleObjective | None = typer.Option(
        None, "--objective", help="What 'optimal' minimises (default: the file's options)."
    ),
    time_limit: float | None = typer.Option(
        None, "--time-limit", help="CP-SAT deterministic time limit (about seconds)."
    ),
    fit: Path | None = typer.Option(
        None, "--fit", help="Efficiency fit from `planner calibrate` for the jobs' durations."
    ),
    fmt: ScheduleFormat = typer.Option(ScheduleFormat.table, "--format", help="table or json."),
    chart: Path | None = typer.Option(
        None, "--chart", help="Write a Gantt chart (.png, .svg or .pdf; needs matplotlib)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --chart file."),
) -> None:
    """Schedule jobs on limited GPU pools under each policy and compare them side by side."""
    from planner import app
    from planner.schedule import write_gantt

    refuse_overwrite(chart, force)
    if time_limit is not None and time_limit <= 0:
        raise InputError("--time-limit must be above 0")
    chosen = None if SchedulePolicy.all in policy else [p.value for p in policy]
    found = app.schedule(
        jobs_file,
        policies=chosen,
        objective=objective.value if objective is not None else None,
        time_limit_s=time_limit,
        fit=fit,
    )
    if chart is not None:
        write_gantt(found.problem, found.comparison.schedules, chart)
    show(found, fmt, None, "")
    if chart is not None and fmt == "table":
        typer.echo(f"Gantt chart: {chart}")


# --- planner simulate ---------------------------------------------------------------------

_SIM_COLUMNS = [
    "workload", "requests", "ttft_p50_ms", "ttft_p95_ms", "ttft_p99_ms", "e2e_p50_ms",
    "e2e_p95_ms", "e2e_p99_ms", "wait_mean_ms", "wait_p95_ms", "utilisation",
    "planned_utilisation", "slo_attainment", "meets_slo",
]  # fmt: skip


def simulate(
    plan_file: Path = typer.Argument(..., help="Plan JSON (from planner plan -o)."),
    spec_file: Path = typer.Option(..., "--spec", help="The spec the plan was made from."),
    requests: int | None = typer.Option(
        None, "--requests", min=1, help="Requests (Poisson: default 100000; trace: the first N)."
    ),
    policy: QueuePolicy = typer.Option(QueuePolicy.fcfs, "--policy", help="Queue discipline."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    trace: Path | None = typer.Option(
        None, "--trace", help="CSV: arrival_s, input_tokens, output_tokens[, workload, priority]."
    ),
    quantum: float = typer.Option(2.0, "--quantum-s", help="Round robin time slice (seconds)."),
    high_share: float = typer.Option(
        0.0, "--high-priority-share", help="Poisson: share of requests in priority class 1."
    ),
    profiles: Path | None = typer.Option(None, "--profiles", help="Measured profiles CSV."),
    fmt: Out = typer.Option(Out.table, "--format", help="table or json."),
) -> None:
    """Simulate requests on the plan's replicas: TTFT, latency, waiting, utilisation, SLO."""
    from planner.schedule import read_trace
    from planner.schedule import simulate as run

    if quantum <= 0 or not 0 <= high_share <= 1:
        raise InputError("--quantum-s must be above 0 and --high-priority-share in [0, 1]")
    plan, spec, models = _plan_inputs(plan_file, spec_file, profiles)
    if not models:
        raise InputError(f"{plan_file} has no serving workloads to simulate")
    loaded = read_trace(trace) if trace is not None else None
    count = requests if requests is not None or loaded is not None else 100_000
    report = run(plan, spec, count, policy.value, seed, loaded, quantum, high_share, models)
    if fmt is Out.json:
        typer.echo(report.model_dump_json(indent=2))
        return
    typer.echo(
        f"{report.requests:,} requests ({report.source}), policy {report.policy}, "
        f"seed {report.seed}"
    )
    rows = []
    for w in report.workloads:
        rows.append(w.model_dump())
        rows += [
            {**c.model_dump(), "workload": f"{w.workload} (priority {c.priority})"}
            for c in w.classes
        ]
    print_rows(rows, _SIM_COLUMNS, Format.table)


# --- planner autoscale --------------------------------------------------------------------

_SCALE_COLUMNS = [
    "workload", "static_replicas", "min_replicas", "max_replicas", "target_rps_per_replica",
    "static_cost_per_day", "dynamic_cost_per_day", "saving_per_day", "saving_fraction",
]  # fmt: skip


def autoscale(
    plan_file: Path = typer.Argument(..., help="Plan JSON (from planner plan -o)."),
    spec_file: Path = typer.Option(..., "--spec", help="The spec the plan was made from."),
    profiles: Path | None = typer.Option(None, "--profiles", help="Measured profiles CSV."),
    fmt: Out = typer.Option(Out.table, "--format", help="table or json."),
) -> None:
    """Hourly replicas from each workload's hourly_profile, against the peak-sized fleet."""
    from planner.schedule import autoscale as hourly

    plan, spec, models = _plan_inputs(plan_file, spec_file, profiles)
    result = hourly(plan, spec, models=models)
    if fmt is Out.json:
        typer.echo(result.model_dump_json(indent=2))
        return
    rows = [{**w.model_dump(), **w.bounds.model_dump()} for w in result.workloads]
    if rows:
        print_rows(rows, _SCALE_COLUMNS, Format.table, title="Dynamic vs static, per day")
    else:
        typer.echo("No serving workload of the plan has an hourly_profile: nothing to scale.")
    for w in result.workloads:
        hours = [
            {
                "hour": h,
                "rps": round(w.hourly_rps[h], 3),
                "slo_replicas": w.slo_replicas[h],
                "replicas": w.replicas[h],
                **{f"#{a.allocation} {a.label}": a.instances[h] for a in w.allocations},
            }
            for h in range(len(w.replicas))
        ]
        print_rows(hours, list(hours[0]), Format.table, title=f"{w.workload}: instances per hour")
    for note in result.skipped:
        typer.echo(f"skipped {note}")
    typer.echo(
        f"Total: static ${result.static_cost_per_day:,.2f}/day, dynamic "
        f"${result.dynamic_cost_per_day:,.2f}/day, saving ${result.saving_per_day:,.2f}/day"
    )


def register(app: typer.Typer) -> None:
    app.command()(writes_output("the schedules")(schedule))
    app.command()(writes_output("the simulation")(simulate))
    app.command()(writes_output("the replica schedule")(autoscale))
