"""`planner observe` and `planner rightsize`: what a deployed plan really serves, beside what it
predicted, and a spec and plan sized to what was observed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from planner._writefile import write_output
from planner.cli.options import Catalogs, ProfilesCsv, SolverTimeLimit
from planner.cli.output import choices, chosen, file_option, format_option, guard_output, show
from planner.cli.params import PlannerCommand
from planner.errors import InputError
from planner.observe.promql import DEFAULT_LABEL

LABEL_HELP = (
    "Series label naming the workload. Default: `planner emit` labels pods planner-workload, "
    "which Prometheus's Kubernetes discovery stores as planner_workload; vLLM's own model_name "
    "label (the served model name is the workload's name) also works for vLLM series."
)
STEP_HELP = "Length of each mean (peak = p95 of the step means; the 24-hour profile needs 1h)."


SOURCE_HELP = (
    "prometheus, or a cloud's metrics source (its provider's, or the cloud's name); a cloud "
    "without one exits 2 naming it."
)


# the options observe and rightsize share: where the metrics are, and what to write
MetricsSource = Annotated[str | None, typer.Option("--source", metavar="TEXT", help=SOURCE_HELP)]
PrometheusUrl = Annotated[
    str | None,
    typer.Option("--url", metavar="URL", help="Prometheus base URL (user:password@ allowed)."),
]
Window = Annotated[
    str, typer.Option("--window", metavar="TEXT", help="How far back to look (90s, 30m, 24h).")
]
Step = Annotated[str, typer.Option("--step", metavar="TEXT", help=STEP_HELP)]
SeriesLabel = Annotated[str, typer.Option("--label", metavar="TEXT", help=LABEL_HELP)]
MetricsRegion = Annotated[
    str | None,
    typer.Option("--region", metavar="TEXT", help="A cloud's metrics: only this region."),
]
MetricsEndpoint = Annotated[
    str | None,
    typer.Option("--endpoint-url", metavar="URL", help="A cloud's metrics API URL."),
]
TokenEnv = Annotated[
    str | None,
    typer.Option(
        "--token-env",
        metavar="TEXT",
        help="Environment variable holding a Prometheus bearer token.",
    ),
]
FitForFigures = Annotated[
    Path | None,
    typer.Option(
        "--fit",
        metavar="FILE",
        help="Efficiency fit from `planner calibrate` for the model's figures.",
    ),
]
ProfilesOut = Annotated[
    Path | None,
    typer.Option(
        "--profiles-out",
        metavar="FILE",
        help="Write calibrated measured-profile rows (CSV) here.",
    ),
]
OverwriteOutputs = Annotated[bool, typer.Option("--force", help="Overwrite existing output files.")]

ObserveFormat = choices("Observed")
RightsizeFormat = choices("Rightsized")


def _write(path: Path, text: str, what: str) -> None:
    write_output(path, text)
    typer.echo(f"Wrote {what} to {path}", err=True)


def _query(source, url, window, step, label, region, endpoint_url, token_env):
    from planner.app.observing import MetricsQuery

    return MetricsQuery(source, url, window, step, label, region, endpoint_url, token_env)


def observe(
    plan_file: Path = typer.Option(
        ..., "--plan", metavar="FILE", help="Plan JSON (from planner plan -o)."
    ),
    source: MetricsSource = ...,
    url: PrometheusUrl = None,
    window: Window = "24h",
    step: Step = "1h",
    label: SeriesLabel = DEFAULT_LABEL,
    region: MetricsRegion = None,
    endpoint_url: MetricsEndpoint = None,
    token_env: TokenEnv = None,
    spec_file: Path = typer.Option(
        None,
        "--spec",
        metavar="FILE",
        help="The plan's spec: planned request sizes and hourly profile.",
    ),
    fit: FitForFigures = None,
    fmt: ObserveFormat = format_option(ObserveFormat, "table"),
    output: Path = file_option(),
    profiles_out: ProfilesOut = None,
    html: Path = typer.Option(
        None, "--html", metavar="FILE", help="Write the plan's report with an Observed part."
    ),
    force: OverwriteOutputs = False,
) -> None:
    """Planned beside observed per workload: traffic, sizes, latency, utilisation, replicas, cost.

    A workload without series is shown as NO DATA (never as zero traffic). Exit 1 when the source
    cannot be reached, refuses access or rejects a query.
    """
    from planner import app
    from planner.app import observing

    fmt = chosen(fmt, output, ObserveFormat, "table")
    observing.check_source(source)
    for path in (output, profiles_out, html):
        guard_output(path, force)
    spec = app.load_spec(spec_file) if spec_file is not None else None
    plan = app.read_plan(plan_file, spec)
    query = _query(source, url, window, step, label, region, endpoint_url, token_env)
    found = app.observed(plan, observing.observe(plan, query), spec, fit=fit)
    show(found, fmt, output, f"the observation ({fmt})")
    if profiles_out is not None:
        text = observing.profile_rows(found.calibrations, found.observation)
        _write(profiles_out, text, f"{len(found.calibrations)} profile row(s)")
    if html is not None:
        from planner.report import render_html

        page = render_html(plan, None, observation=observing.observed_section(found))
        _write(html, page, "the report with observations")


def _spec_output(spec_file: Path, output: Path | None, force: bool) -> Path:
    """Where the right-sized spec goes: never over the user's spec (or any file) without --force."""
    target = output or spec_file.with_name(f"{spec_file.stem}.rightsized.yaml")
    if target.resolve() == spec_file.resolve() and not force:
        raise InputError(f"{target} is the spec itself; write elsewhere or pass --force")
    guard_output(target, force)
    return target


def rightsize(
    plan_file: Path = typer.Option(
        ..., "--plan", metavar="FILE", help="The plan running now (JSON)."
    ),
    spec_file: Path = typer.Option(
        ..., "--spec", metavar="FILE", help="The spec that plan was made from."
    ),
    source: MetricsSource = None,
    observation_file: Path = typer.Option(
        None,
        "--observation",
        metavar="FILE",
        help="Instead of --source: JSON from planner observe.",
    ),
    url: PrometheusUrl = None,
    window: Window = "24h",
    step: Step = "1h",
    label: SeriesLabel = DEFAULT_LABEL,
    region: MetricsRegion = None,
    endpoint_url: MetricsEndpoint = None,
    token_env: TokenEnv = None,
    spec_out: Path = typer.Option(
        None,
        "--write-spec",
        metavar="FILE",
        help="Where the right-sized spec goes (default: SPEC.rightsized.yaml next to SPEC).",
    ),
    plan_out: Path = typer.Option(
        None, "--plan-out", metavar="FILE", help="Write the new plan (JSON) here."
    ),
    catalog: Catalogs = None,
    profiles: ProfilesCsv = None,
    fit: FitForFigures = None,
    use_calibration: bool = typer.Option(
        False, "--calibrate", help="Plan with the observed latencies (calibrated profile rows)."
    ),
    profiles_out: ProfilesOut = None,
    time_limit: SolverTimeLimit = 60.0,
    fmt: RightsizeFormat = format_option(RightsizeFormat, "table"),
    output: Path = file_option(),
    force: OverwriteOutputs = False,
) -> None:
    """Observed traffic -> right-sized spec (a new file) -> new plan -> diff and recommendations.

    Workloads without data keep their planned traffic. Exit 1 when the source fails, 3 when the
    right-sized spec has no plan.
    """
    from planner import app
    from planner.app import observing

    fmt = chosen(fmt, output, RightsizeFormat, "table")
    observing.check_source(source)
    target = _spec_output(spec_file, spec_out, force)
    for path in (output, plan_out, profiles_out):
        guard_output(path, force)
    if (source is None) == (observation_file is None):
        raise InputError(
            "give one of --source (with --url or the cloud's settings) or --observation"
        )
    if time_limit <= 0:
        raise InputError("--time-limit must be above 0")
    spec = app.load_spec(spec_file)
    plan = app.read_plan(plan_file, spec)
    if observation_file is not None:
        observation = observing.read_observation(observation_file)
    else:
        query = _query(source, url, window, step, label, region, endpoint_url, token_env)
        observation = observing.observe(plan, query)
    result = app.rightsize(
        plan, spec_file, observation, catalog, profiles=profiles, fit=fit,
        use_calibration=use_calibration, time_limit_s=time_limit,
    )  # fmt: skip
    _write(target, result.spec_text, "the right-sized spec")
    if plan_out is not None:
        _write(plan_out, result.plan.model_dump_json(indent=2) + "\n", "the new plan")
    if profiles_out is not None:
        text = observing.profile_rows(result.calibrations, observation)
        _write(profiles_out, text, f"{len(result.calibrations)} profile row(s)")
    found = observing.Rightsized(result, str(target))
    show(found, fmt, output, f"the right-sizing result ({fmt})")


def register(app: typer.Typer) -> None:
    app.command(cls=PlannerCommand)(observe)
    app.command(cls=PlannerCommand)(rightsize)
