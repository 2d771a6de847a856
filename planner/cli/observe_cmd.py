"""`planner observe` and `planner rightsize`: what a deployed plan really serves, beside what it
predicted, and a spec and plan sized to what was observed."""

from __future__ import annotations

import enum
import json
from pathlib import Path

import typer

from planner._readfile import load_json, read_input
from planner._writefile import refuse_overwrite, write_output
from planner.cli.catalog_cmd import CATALOG_HELP
from planner.cli.output import chosen, file_option, format_option, printed_to
from planner.cli.params import PlannerCommand, number
from planner.errors import InputError

DEFAULT_LABEL = "planner_workload"
LABEL_HELP = (
    "Series label naming the workload. Default: `planner emit` labels pods planner-workload, "
    "which Prometheus's Kubernetes discovery stores as planner_workload; vLLM's own model_name "
    "label (the served model name is the workload's name) also works for vLLM series."
)
STEP_HELP = "Length of each mean (peak = p95 of the step means; the 24-hour profile needs 1h)."


PROMETHEUS = "prometheus"
SOURCE_HELP = (
    "prometheus, or a cloud's metrics source (its provider's, or the cloud's name); a cloud "
    "without one exits 2 naming it."
)


class ObserveFormat(enum.StrEnum):
    table = "table"
    json = "json"
    md = "md"


def _guard(path: Path | None, force: bool) -> None:
    refuse_overwrite(path, force)


def _write(path: Path, text: str, what: str) -> None:
    write_output(path, text)
    typer.echo(f"Wrote {what} to {path}", err=True)


def _observe(plan, source, url, window, step, label, region, endpoint_url, token_env):
    """Ask the source; the observation of every serving workload of `plan`."""
    from planner import clock
    from planner.observe.window import check_window, parse_duration

    window_s, step_s = parse_duration(window, "--window"), parse_duration(step, "--step")
    check_window(window_s, step_s)
    if source is None:
        raise InputError(
            "give --source: prometheus or a cloud's metrics source (or --observation FILE)"
        )
    metrics = _metrics_source(source, url, label, region, endpoint_url, token_env)
    end = clock.now().timestamp()  # the window ends now: read once, here at the edge
    return metrics.observe(plan, window_s, step_s, end)


def _check_source(source: str | None) -> None:
    """Exit 2 before any work when `--source` names no source (or a cloud without one)."""
    if source is not None and source != PROMETHEUS:
        from providers.provider import metrics_source

        metrics_source(source)


def _metrics_source(source, url, label, region, endpoint_url, token_env):
    """The MetricsSource `--source` names: Prometheus (over HTTP), or a cloud's, found through
    its provider's registry entry."""
    import os

    if source == PROMETHEUS:
        from planner.observe.prom_http import PrometheusClient
        from planner.observe.prometheus import PrometheusSource

        if not url:
            raise InputError("--source prometheus needs --url (e.g. http://prometheus:9090)")
        token = None
        if token_env:
            from planner._http import check_credential

            token = os.environ.get(token_env)
            if not token:
                raise InputError(f"--token-env {token_env}: that environment variable is empty")
            token = check_credential(token.strip(), f"--token-env {token_env}")
        return PrometheusSource(PrometheusClient(url, token=token), label)
    from providers.provider import MetricsOptions, metrics_source

    found = metrics_source(source)
    return found.open(MetricsOptions(url=url, region=region, endpoint_url=endpoint_url))


def _read_observation(path: Path):
    """An observation saved with `planner observe --format json`."""
    from pydantic import ValidationError

    from planner.observe.model import Observation

    try:
        data = load_json(read_input(path, "observation"), str(path), "observation JSON")
        return Observation.model_validate(data.get("observation", data))
    except (OSError, ValueError, AttributeError, ValidationError) as err:
        raise InputError(
            f"{path} is not an observation (from planner observe --format json): {err}"
        ) from None


def _section(observation, drifts, notes):
    from planner.observe.render import DRIFT_COLUMNS, drift_rows, headline
    from planner.report.observed import ObservedSection

    rows = drift_rows(drifts)
    return ObservedSection(
        heading=headline(observation),
        headers=tuple(DRIFT_COLUMNS),
        rows=tuple(tuple(r[c] for c in DRIFT_COLUMNS) for r in rows),
        notes=tuple(notes),
    )


def observe(
    plan_file: Path = typer.Option(
        ..., "--plan", metavar="FILE", help="Plan JSON (from planner plan -o)."
    ),
    source: str = typer.Option(..., "--source", metavar="TEXT", help=SOURCE_HELP),
    url: str = typer.Option(
        None, "--url", metavar="URL", help="Prometheus base URL (user:password@ allowed)."
    ),
    window: str = typer.Option(
        "24h", "--window", metavar="TEXT", help="How far back to look (90s, 30m, 24h)."
    ),
    step: str = typer.Option("1h", "--step", metavar="TEXT", help=STEP_HELP),
    label: str = typer.Option(DEFAULT_LABEL, "--label", metavar="TEXT", help=LABEL_HELP),
    region: str = typer.Option(
        None, "--region", metavar="TEXT", help="A cloud's metrics: only this region."
    ),
    endpoint_url: str = typer.Option(
        None, "--endpoint-url", metavar="URL", help="A cloud's metrics API URL."
    ),
    token_env: str = typer.Option(
        None,
        "--token-env",
        metavar="TEXT",
        help="Environment variable holding a Prometheus bearer token.",
    ),
    spec_file: Path = typer.Option(
        None,
        "--spec",
        metavar="FILE",
        help="The plan's spec: planned request sizes and hourly profile.",
    ),
    fit: Path = typer.Option(
        None,
        "--fit",
        metavar="FILE",
        help="Efficiency fit from `planner calibrate` for the model's figures.",
    ),
    fmt: ObserveFormat = format_option(ObserveFormat, "table", "table, json, md."),
    output: Path = file_option(),
    profiles_out: Path = typer.Option(
        None,
        "--profiles-out",
        metavar="FILE",
        help="Write calibrated measured-profile rows (CSV) here.",
    ),
    html: Path = typer.Option(
        None, "--html", metavar="FILE", help="Write the plan's report with an Observed part."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite existing output files."),
) -> None:
    """Planned beside observed per workload: traffic, sizes, latency, utilisation, replicas, cost.

    A workload without series is shown as NO DATA (never as zero traffic). Exit 1 when the source
    cannot be reached, refuses access or rejects a query.
    """
    fmt = chosen(fmt, output, ObserveFormat, "table")
    with printed_to(output, force, fmt, "the observation"):
        from planner import app
        from planner.cli.output import Format, print_rows
        from planner.observe.calibrate import profile_csv
        from planner.observe.render import (
            CALIBRATION_COLUMNS,
            DRIFT_COLUMNS,
            calibration_rows,
            drift_rows,
            headline,
            observe_json,
            observe_markdown,
        )

        _check_source(source)
        _guard(profiles_out, force)
        _guard(html, force)
        spec = app.load_spec(spec_file) if spec_file is not None else None
        plan = app.read_plan(plan_file, spec)
        observation = _observe(
            plan, source, url, window, step, label, region, endpoint_url, token_env
        )
        found = app.observed(plan, observation, spec, fit=fit)
        drifts, calibrations, notes = found.drifts, found.calibrations, found.notes
        if fmt is ObserveFormat.json:
            typer.echo(json.dumps(observe_json(observation, drifts, calibrations, notes), indent=2))
        elif fmt is ObserveFormat.md:
            typer.echo(observe_markdown(observation, drifts, calibrations, notes), nl=False)
        else:
            typer.echo(headline(observation))
            print_rows(
                drift_rows(drifts), DRIFT_COLUMNS, Format.table, title="Planned and observed"
            )
            if calibrations:
                rows = calibration_rows(calibrations)
                print_rows(
                    rows, CALIBRATION_COLUMNS, Format.table, title="Roofline against observation"
                )
            for note in notes:
                typer.echo(f"note: {note}")
        if profiles_out is not None:
            where = f"{observation.source} at {observation.url}"
            _write(
                profiles_out,
                profile_csv(calibrations, where),
                f"{len(calibrations)} profile row(s)",
            )
        if html is not None:
            from planner.report import render_html

            page = render_html(plan, None, observation=_section(observation, drifts, notes))
            _write(html, page, "the report with observations")


def _spec_output(spec_file: Path, output: Path | None, force: bool) -> Path:
    """Where the right-sized spec goes: never over the user's spec (or any file) without --force."""
    target = output or spec_file.with_name(f"{spec_file.stem}.rightsized.yaml")
    if target.resolve() == spec_file.resolve() and not force:
        raise InputError(f"{target} is the spec itself; write elsewhere or pass --force")
    _guard(target, force)
    return target


def rightsize(
    plan_file: Path = typer.Option(
        ..., "--plan", metavar="FILE", help="The plan running now (JSON)."
    ),
    spec_file: Path = typer.Option(
        ..., "--spec", metavar="FILE", help="The spec that plan was made from."
    ),
    source: str = typer.Option(None, "--source", metavar="TEXT", help=SOURCE_HELP),
    observation_file: Path = typer.Option(
        None,
        "--observation",
        metavar="FILE",
        help="Instead of --source: JSON from planner observe.",
    ),
    url: str = typer.Option(
        None, "--url", metavar="URL", help="Prometheus base URL (user:password@ allowed)."
    ),
    window: str = typer.Option(
        "24h", "--window", metavar="TEXT", help="How far back to look (90s, 30m, 24h)."
    ),
    step: str = typer.Option("1h", "--step", metavar="TEXT", help=STEP_HELP),
    label: str = typer.Option(DEFAULT_LABEL, "--label", metavar="TEXT", help=LABEL_HELP),
    region: str = typer.Option(
        None, "--region", metavar="TEXT", help="A cloud's metrics: only this region."
    ),
    endpoint_url: str = typer.Option(
        None, "--endpoint-url", metavar="URL", help="A cloud's metrics API URL."
    ),
    token_env: str = typer.Option(
        None,
        "--token-env",
        metavar="TEXT",
        help="Environment variable holding a Prometheus bearer token.",
    ),
    spec_out: Path = typer.Option(
        None,
        "--write-spec",
        metavar="FILE",
        help="Where the right-sized spec goes (default: SPEC.rightsized.yaml next to SPEC).",
    ),
    plan_out: Path = typer.Option(
        None, "--plan-out", metavar="FILE", help="Write the new plan (JSON) here."
    ),
    catalog: list[str] = typer.Option(None, "--catalog", metavar="PATH", help=CATALOG_HELP),
    profiles: Path = typer.Option(
        None, "--profiles", metavar="FILE", help="Measured profiles CSV."
    ),
    fit: Path = typer.Option(
        None,
        "--fit",
        metavar="FILE",
        help="Efficiency fit from `planner calibrate` for the model's figures.",
    ),
    use_calibration: bool = typer.Option(
        False, "--calibrate", help="Plan with the observed latencies (calibrated profile rows)."
    ),
    profiles_out: Path = typer.Option(
        None,
        "--profiles-out",
        metavar="FILE",
        help="Write calibrated measured-profile rows (CSV) here.",
    ),
    time_limit: float = number(float, 60.0, "--time-limit", help="Solver time limit, seconds."),
    fmt: ObserveFormat = format_option(ObserveFormat, "table", "table, json, md."),
    output: Path = file_option(),
    force: bool = typer.Option(False, "--force", help="Overwrite existing output files."),
) -> None:
    """Observed traffic -> right-sized spec (a new file) -> new plan -> diff and recommendations.

    Workloads without data keep their planned traffic. Exit 1 when the source fails, 3 when the
    right-sized spec has no plan.
    """
    fmt = chosen(fmt, output, ObserveFormat, "table")
    with printed_to(output, force, fmt, "the right-sizing result"):
        from planner import app
        from planner.cli.output import Format, print_rows
        from planner.observe.calibrate import profile_csv
        from planner.report.diff_render import CHANGE_COLUMNS, change_rows, diff_json, headline

        _check_source(source)
        target = _spec_output(spec_file, spec_out, force)
        for path in (plan_out, profiles_out):
            _guard(path, force)
        if (source is None) == (observation_file is None):
            raise InputError(
                "give one of --source (with --url or the cloud's settings) or --observation"
            )
        if time_limit <= 0:
            raise InputError("--time-limit must be above 0")
        spec = app.load_spec(spec_file)
        plan = app.read_plan(plan_file, spec)
        if observation_file is not None:
            observation = _read_observation(observation_file)
        else:
            observation = _observe(
                plan, source, url, window, step, label, region, endpoint_url, token_env
            )
        result = app.rightsize(
            plan, spec_file, observation, catalog, profiles=profiles, fit=fit,
            use_calibration=use_calibration, time_limit_s=time_limit,
        )  # fmt: skip
        _write(target, result.spec_text, "the right-sized spec")
        if plan_out is not None:
            _write(plan_out, result.plan.model_dump_json(indent=2) + "\n", "the new plan")
        if profiles_out is not None:
            where = f"{observation.source} at {observation.url}"
            text = profile_csv(result.calibrations, where)
            _write(profiles_out, text, f"{len(result.calibrations)} profile row(s)")
        if fmt is ObserveFormat.json:
            data = {
                "spec": str(target),
                "traffic": [
                    {
                        "workload": c.workload,
                        "updated": c.updated,
                        "reason": c.reason,
                        "changes": list(c.changes),
                    }
                    for c in result.changes
                ],
                "recommendations": list(result.recommendations),
                "notes": list(result.notes),
                "diff": json.loads(diff_json(result.diff)),
            }
            typer.echo(json.dumps(data, indent=2))
            return
        bullet = "- " if fmt is ObserveFormat.md else "  "
        lines = [f"Right-sized spec: {target}"]
        for c in result.changes:
            if c.updated:
                what = "; ".join(c.changes) or "as observed: unchanged"
            else:
                what = f"{c.reason} ({c.detail})" if c.detail else c.reason
            lines.append(f"{bullet}{c.workload}: {what}")
        lines += ["", headline(result.diff), "", "Recommendations:"]
        lines += [f"{bullet}{r}" for r in result.recommendations]
        lines += [f"{bullet}note: {n}" for n in result.notes]
        typer.echo("\n".join(lines))
        if fmt is ObserveFormat.table and result.diff.changes:
            print_rows(change_rows(result.diff), CHANGE_COLUMNS, Format.table, title="Changes")


def register(app: typer.Typer) -> None:
    app.command(cls=PlannerCommand)(observe)
    app.command(cls=PlannerCommand)(rightsize)
