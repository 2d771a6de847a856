"""Where an observation of a deployed plan comes from: a metrics source (Prometheus over HTTP,
or a cloud's, found through its provider) asked over a window, or a saved observation; and the
right-sizing result as the CLI shows it (`Rightsized`: the proposal and where its spec went)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from planner.app.arguments import checked
from planner.app.inputs import PathLike
from planner.errors import InputError
from planner.observe.promql import DEFAULT_LABEL

if TYPE_CHECKING:
    from planner.app.operate import Observed
    from planner.observe.model import Observation
    from planner.plans import Plan
    from planner.report.observed import ObservedSection
    from planner.rightsize import Proposal

PROMETHEUS = "prometheus"


@dataclass(frozen=True)
class MetricsQuery:
    """What to ask: a source (prometheus, or a cloud's metrics source), where it answers, the
    window and step (90s, 30m, 24h...), and how series name their workload."""

    source: str | None
    url: str | None = None
    window: str = "24h"
    step: str = "1h"
    label: str = DEFAULT_LABEL
    region: str | None = None
    endpoint_url: str | None = None
    token_env: str | None = None
    """An environment variable holding a Prometheus bearer token."""


def check_source(source: str | None) -> None:
    """InputError before any work when `source` names no source (or a cloud without one)."""
    if source is not None and source != PROMETHEUS:
        from providers.provider import metrics_source

        metrics_source(source)


@checked()
def observe(plan: Plan, query: MetricsQuery) -> Observation:
    """Ask the source; the observation of every serving workload of `plan` over the window
    that ends now."""
    from planner import clock
    from planner._http import check_url
    from planner.observe.window import check_window, parse_duration

    window_s, step_s = (
        parse_duration(query.window, "--window"),
        parse_duration(query.step, "--step"),
    )
    check_window(window_s, step_s)
    for value, option in ((query.url, "--url"), (query.endpoint_url, "--endpoint-url")):
        if value is not None:
            check_url(value, option)
    if query.source is None:
        raise InputError(
            "give --source: prometheus or a cloud's metrics source (or --observation FILE)"
        )
    metrics = _metrics_source(query)
    end = clock.now().timestamp()  # the window ends now: read once, here at the edge
    return metrics.observe(plan, window_s, step_s, end)


def _metrics_source(query: MetricsQuery):
    """The MetricsSource the query names: Prometheus (over HTTP), or a cloud's, found through
    its provider's registry entry."""
    if query.source == PROMETHEUS:
        from planner.observe.prom_http import PrometheusClient
        from planner.observe.prometheus import PrometheusSource

        if not query.url:
            raise InputError("--source prometheus needs --url (e.g. http://prometheus:9090)")
        token = None
        if query.token_env:
            from planner._http import check_credential

            token = os.environ.get(query.token_env)
            if not token:
                raise InputError(
                    f"--token-env {query.token_env}: that environment variable is empty"
                )
            token = check_credential(token.strip(), f"--token-env {query.token_env}")
        return PrometheusSource(PrometheusClient(query.url, token=token), query.label)
    from providers.provider import MetricsOptions, metrics_source

    found = metrics_source(query.source)
    options = MetricsOptions(url=query.url, region=query.region, endpoint_url=query.endpoint_url)
    return found.open(options)


@checked()
def read_observation(path: PathLike) -> Observation:
    """An observation saved with `planner observe --format json`."""
    from pathlib import Path

    from pydantic import ValidationError

    from planner._readfile import load_json, read_input
    from planner.observe.model import Observation

    try:
        data = load_json(read_input(Path(path), "observation"), str(path), "observation JSON")
        return Observation.model_validate(data.get("observation", data))
    except (OSError, ValueError, AttributeError, ValidationError) as err:
        raise InputError(
            f"{path} is not an observation (from planner observe --format json): {err}"
        ) from None


def observed_section(found: Observed) -> ObservedSection:
    """The Observed part of a plan's HTML report."""
    from planner.observe.render import DRIFT_COLUMNS, drift_rows, headline
    from planner.report.observed import ObservedSection

    rows = drift_rows(found.drifts)
    return ObservedSection(
        heading=headline(found.observation),
        headers=tuple(DRIFT_COLUMNS),
        rows=tuple(tuple(r[c] for c in DRIFT_COLUMNS) for r in rows),
        notes=tuple(found.notes),
    )


def profile_rows(calibrations, observation: Observation) -> str:
    """Calibrated measured-profile rows (CSV) from what was observed."""
    from planner.observe.calibrate import profile_csv

    return profile_csv(calibrations, f"{observation.source} at {observation.url}")


@dataclass(frozen=True)
class Rightsized:
    """A right-sizing proposal and the file its spec was written to."""

    proposal: Proposal
    spec_file: str
