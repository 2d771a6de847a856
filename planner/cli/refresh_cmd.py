"""`planner catalog refresh` and `planner quotas refresh`: fresh prices and real quotas from the
clouds' APIs, written to files the planner reads (`--catalog`, a quotas YAML).

The provider code (and boto3 or HTTP calls) is imported only when a command runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from planner.cli.catalog_cmd import catalog_app
from planner.cli.output import choices, metavar, show
from planner.cli.params import PlannerCommand

SLEEP: Callable[[float], None] = time.sleep
"""How retries wait (tests replace it to run without waiting)."""

SummaryFormat = choices("CatalogRefreshed")
quotas_app = typer.Typer(help="Fetch accelerator quotas from the clouds.", no_args_is_help=True)

REGIONS_HELP = (
    "Region; repeatable or comma-separated, or 'all' (--regions is the old name). Default: "
    "the regions the base catalog (quotas: --catalog) has for the provider."
)
ENDPOINT_HELP = (
    "Send requests to URL instead of the cloud (a proxy, a test server). 'SERVICE=URL' sets one "
    "of the provider's services (aws: ec2, pricing, service-quotas; gcp: compute, billing; "
    "azure: prices; ...); a bare URL sets all. Repeatable."
)
PROJECT_HELP = "GCP project for the Compute Engine API (default: $GOOGLE_CLOUD_PROJECT)."
AS_OF_HELP = "Date written to the as_of column (YYYY-MM-DD); default: today (UTC)."
SUMMARY_HELP = (
    "How stdout says what was written: text (one line) or json (file, counts, failures, notes)."
)

# what both refresh verbs take: where to ask, and how to say what was written
Regions = Annotated[
    list[str] | None, typer.Option("--region", "--regions", metavar="TEXT", help=REGIONS_HELP)
]
EndpointUrls = Annotated[
    list[str] | None, typer.Option("--endpoint-url", metavar="URL", help=ENDPOINT_HELP)
]
Project = Annotated[str | None, typer.Option("--project", metavar="TEXT", help=PROJECT_HELP)]
Force = Annotated[bool, typer.Option("--force", help="Overwrite the output file.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")]
Summary = Annotated[
    SummaryFormat, typer.Option("--format", metavar=metavar(SummaryFormat), help=SUMMARY_HELP)
]


def _report(result) -> None:
    for line in result.notes:
        typer.echo(f"note: {line}", err=True)
    for failure in result.failures:
        typer.echo(f"warning: not refreshed: {failure}", err=True)


def _fetch(regions, endpoint_url, project, as_of, quiet):
    from planner.app.refresh import Fetch

    project = project or os.environ.get("GOOGLE_CLOUD_PROJECT")
    return Fetch(regions, tuple(endpoint_url or ()), project, as_of, SLEEP, not quiet)


@catalog_app.command("refresh", cls=PlannerCommand)
def refresh_catalog(
    provider: str = typer.Option(
        ..., "--provider", metavar="TEXT", help="A cloud with price refresh (aws, gcp, azure, ...)."
    ),
    output: Path = typer.Option(
        ..., "-o", "--output", metavar="FILE", help="Catalog CSV to write."
    ),
    regions: Regions = None,
    base: list[str] = typer.Option(
        None,
        "--base",
        metavar="PATH",
        help="Catalog(s) whose rows are kept where not refreshed (default: bundled); repeatable.",
    ),
    endpoint_url: EndpointUrls = None,
    project: Project = None,
    as_of: str = typer.Option(None, "--as-of", metavar="TEXT", help=AS_OF_HELP),
    force: Force = False,
    quiet: Quiet = False,
    fmt: Summary = SummaryFormat.text,
) -> None:
    """Fetch current offerings and prices from a cloud's APIs into a catalog CSV.

    Rows that cannot be refreshed (a failing region, call or spot listing) keep their values
    from the base catalog, and the summary on stderr says which.
    """
    from planner.app.refresh import refresh_catalog

    fetch = _fetch(regions, endpoint_url, project, as_of, quiet)
    found = refresh_catalog(provider, output, base=base, fetch=fetch, force=force)
    _report(found)
    show(found, fmt, None, "")


@quotas_app.command("refresh", cls=PlannerCommand)
def refresh_quotas(
    provider: str = typer.Option(
        ..., "--provider", metavar="TEXT", help="A cloud with quota refresh (aws, gcp, ...)."
    ),
    output: Path = typer.Option(
        ..., "-o", "--output", metavar="FILE", help="Quotas YAML file to write."
    ),
    regions: Regions = None,
    catalog: list[str] = typer.Option(
        None,
        "--catalog",
        metavar="PATH",
        help="Catalog(s) giving the EC2 types' vCPUs per accelerator and the default regions "
        "(default: bundled).",
    ),
    fewest_vcpus: bool = typer.Option(
        False,
        "--fewest-vcpus",
        help="AWS: convert vCPU quotas with the fewest vCPUs per accelerator among a family's "
        "types (optimistic) instead of the most (conservative, the default).",
    ),
    endpoint_url: EndpointUrls = None,
    project: Project = None,
    as_of: str = typer.Option(
        None, "--as-of", metavar="TEXT", help="Date written in the file's header."
    ),
    force: Force = False,
    quiet: Quiet = False,
    fmt: Summary = SummaryFormat.text,
) -> None:
    """Fetch accelerator quotas (AWS Service Quotas, GCP regional quotas) into a quotas YAML."""
    from planner.app.refresh import refresh_quotas

    fetch = _fetch(regions, endpoint_url, project, as_of, quiet)
    found = refresh_quotas(
        provider, output, catalog=catalog, fewest_vcpus=fewest_vcpus, fetch=fetch, force=force
    )
    _report(found)
    show(found, fmt, None, "")


def register(app: typer.Typer) -> None:
    app.add_typer(quotas_app, name="quotas")
