"""`planner catalog refresh` and `planner quotas refresh`: fresh prices and real quotas from the
clouds' APIs, written to files the planner reads (`--catalog`, a quotas YAML).

The provider code (and boto3 or HTTP calls) is imported only when a command runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from planner.cli.catalog_cmd import catalog_app
from planner.cli.output import TextFormat, print_summary
from planner.cli.params import PlannerCommand
from planner.clouds import cloud_names
from planner.errors import InputError, PlannerError

if TYPE_CHECKING:
    from providers.provider import Verb

SLEEP: Callable[[float], None] = time.sleep
"""How retries wait (tests replace it to run without waiting)."""

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


def _provider(value: str, verb: Verb):
    """The provider named by --provider: exit 2 for an unknown cloud, or one without `verb`."""
    from providers.provider import provider, with_verb

    name = value.strip().lower()
    if name not in cloud_names():
        raise InputError(
            f"--provider {value!r} is not allowed; use one of {', '.join(with_verb(verb))}"
        )
    found = provider(name)
    found.need(verb)
    return found


def parse_regions(value: str | list[str] | None) -> list[str] | str | None:
    """None (the default regions), 'all', or the listed regions."""
    if not value:
        return None
    if not isinstance(value, str):
        value = ",".join(value)
    regions = [r.strip() for r in value.split(",") if r.strip()]
    if not regions:
        raise InputError(
            "--region is empty; give regions (repeatable or comma-separated), or 'all'"
        )
    return "all" if regions == ["all"] else regions


def parse_endpoints(values: Sequence[str] | None, provider: str) -> dict[str, str]:
    """Service -> URL from `--endpoint-url [SERVICE=]URL` options ('' is every service)."""
    from providers.provider import provider as find

    allowed = find(provider).endpoint_services
    found: dict[str, str] = {}
    for value in values or ():
        service, sep, url = value.partition("=")
        if not sep or "://" in service:
            service, url = "", value
        if service and service not in allowed:
            raise InputError(
                f"--endpoint-url {value!r}: {provider} has no service {service!r}; "
                f"use one of {', '.join(allowed)}"
            )
        if not url.startswith(("http://", "https://")):
            raise InputError(f"--endpoint-url {value!r}: the URL must start with http(s)://")
        found[service] = url
    return found


def _as_of(value: str | None, now: Any) -> str:
    if value is None:
        return now.date().isoformat()
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InputError(f"--as-of {value!r} is not a date (YYYY-MM-DD)") from None


def _default_regions(offerings, provider: str, what: str) -> list[str]:
    regions = sorted({o.region for o in offerings if o.provider == provider})
    if not regions:
        raise InputError(f"The {what} has no {provider} rows to take regions from; give --regions")
    return regions


def _request(regions, base, ctx, endpoints, project, fewest_vcpus=False):
    from providers.provider import Request

    chosen = None if regions == "all" else regions
    return Request(chosen, base, ctx, endpoints, project, fewest_vcpus)


def _reasons(failures: Sequence[object], shown: int = 3) -> str:
    """The first failures, one per line, and how many more there were."""
    lines = [f"\n  {f}" for f in failures[:shown]]
    if len(failures) > shown:
        lines.append(f"\n  ... and {len(failures) - shown} more like these")
    return "".join(lines)


def _report(lines: Sequence[str], failures: Sequence[object]) -> None:
    for line in lines:
        typer.echo(f"note: {line}", err=True)
    for failure in failures:
        typer.echo(f"warning: not refreshed: {failure}", err=True)


def _catalog_comments(provider, result, merged, base_names, as_of) -> list[str]:
    from providers.refresh_common import summary_lines

    services = ", ".join(sorted({o.service for o in result.offerings}))
    regions = ", ".join(sorted({o.region for o in result.offerings}))
    lines = [
        f"LLM placement planner catalog, written by `planner catalog refresh --provider "
        f"{provider}` on {as_of}.",
        f"Refreshed: {provider} {services} in {regions} (source and as_of columns say which rows);",
        f"every other row is from the base catalog ({', '.join(base_names)}) as it was.",
        "Sources:",
        *(f"  {s}" for s in result.sources),
        "Summary:",
        *(f"  {s}" for s in summary_lines(result, merged)),
        *(f"  not refreshed (base rows kept): {f}" for f in result.failures),
        "Prices are USD per instance-hour. Columns: see docs/catalog.md.",
    ]
    return lines


@catalog_app.command("refresh", cls=PlannerCommand)
def refresh_catalog(
    provider: str = typer.Option(
        ..., "--provider", metavar="TEXT", help="A cloud with price refresh (aws, gcp, azure, ...)."
    ),
    output: Path = typer.Option(
        ..., "-o", "--output", metavar="FILE", help="Catalog CSV to write."
    ),
    regions: list[str] = typer.Option(
        None, "--region", "--regions", metavar="TEXT", help=REGIONS_HELP
    ),
    base: list[str] = typer.Option(
        None,
        "--base",
        metavar="PATH",
        help="Catalog(s) whose rows are kept where not refreshed (default: bundled); repeatable.",
    ),
    endpoint_url: list[str] = typer.Option(
        None, "--endpoint-url", metavar="URL", help=ENDPOINT_HELP
    ),
    project: str = typer.Option(None, "--project", metavar="TEXT", help=PROJECT_HELP),
    as_of: str = typer.Option(None, "--as-of", metavar="TEXT", help=AS_OF_HELP),
    force: bool = typer.Option(False, "--force", help="Overwrite the output file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
    fmt: TextFormat = typer.Option(
        TextFormat.text, "--format", metavar="text|json", help=SUMMARY_HELP
    ),
) -> None:
    """Fetch current offerings and prices from a cloud's APIs into a catalog CSV.

    Rows that cannot be refreshed (a failing region, call or spot listing) keep their values
    from the base catalog, and the summary on stderr says which.
    """
    from planner.catalog import load_catalog
    from providers.refresh_common import (
        RefreshContext,
        RetryPolicy,
        check_writable,
        checked_catalog_csv,
        merge_with_base,
        progress_bar,
        summary_lines,
        utc_now,
        write_text_atomically,
    )

    found = _provider(provider, "prices")
    provider = found.cloud
    check_writable(output, force)
    endpoints = parse_endpoints(endpoint_url, provider)
    chosen = parse_regions(regions)
    now = utc_now()
    stamp = _as_of(as_of, now)
    base_names = list(base or ["bundled"])
    loaded = load_catalog(base_names)
    if chosen is None:
        chosen = _default_regions(loaded.offerings, provider, "base catalog")
    project = project or os.environ.get("GOOGLE_CLOUD_PROJECT")
    with progress_bar(f"Refreshing {provider}", enabled=not quiet) as progress:
        ctx = RefreshContext(
            now=now, as_of=stamp, sleep=SLEEP, policy=RetryPolicy(), progress=progress
        )
        request = _request(chosen, loaded.offerings, ctx, endpoints, project)
        result = found.need("prices")(request)
    if not result.refreshed:
        raise PlannerError(
            f"Nothing refreshed for {provider}; {output} not written." + _reasons(result.failures)
        )
    merged = merge_with_base(loaded.offerings, result)
    comments = _catalog_comments(provider, result, merged, base_names, stamp)
    text = checked_catalog_csv(merged.offerings, comments, f"the {provider} price APIs")
    write_text_atomically(output, text, force)
    lines = summary_lines(result, merged)
    _report(lines, result.failures)
    data = {
        "file": str(output),
        "provider": provider,
        "offerings": len(merged.offerings),
        "refreshed": merged.fresh,
        "kept_after_failure": merged.kept_after_failure,
        "spot_from_base": merged.spot_from_base,
        "dropped": merged.dropped,
        "as_of": stamp,
        "failures": [str(f) for f in result.failures],
        "notes": lines,
    }
    print_summary(fmt, f"Wrote {len(merged.offerings)} offerings to {output}", data)


@quotas_app.command("refresh", cls=PlannerCommand)
def refresh_quotas(
    provider: str = typer.Option(
        ..., "--provider", metavar="TEXT", help="A cloud with quota refresh (aws, gcp, ...)."
    ),
    output: Path = typer.Option(
        ..., "-o", "--output", metavar="FILE", help="Quotas YAML file to write."
    ),
    regions: list[str] = typer.Option(
        None, "--region", "--regions", metavar="TEXT", help=REGIONS_HELP
    ),
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
    endpoint_url: list[str] = typer.Option(
        None, "--endpoint-url", metavar="URL", help=ENDPOINT_HELP
    ),
    project: str = typer.Option(None, "--project", metavar="TEXT", help=PROJECT_HELP),
    as_of: str = typer.Option(
        None, "--as-of", metavar="TEXT", help="Date written in the file's header."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite the output file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
    fmt: TextFormat = typer.Option(
        TextFormat.text, "--format", metavar="text|json", help=SUMMARY_HELP
    ),
) -> None:
    """Fetch accelerator quotas (AWS Service Quotas, GCP regional quotas) into a quotas YAML."""
    from planner.catalog import load_catalog
    from planner.quotas import write_quotas
    from providers.refresh_common import (
        RefreshContext,
        RetryPolicy,
        check_writable,
        progress_bar,
        utc_now,
    )

    found = _provider(provider, "quotas")
    provider = found.cloud
    check_writable(output, force)
    endpoints = parse_endpoints(endpoint_url, provider)
    chosen = parse_regions(regions)
    now = utc_now()
    stamp = _as_of(as_of, now)
    loaded = load_catalog(catalog or None)
    if chosen is None:
        chosen = _default_regions(loaded.offerings, provider, "catalog")
    project = project or os.environ.get("GOOGLE_CLOUD_PROJECT")
    with progress_bar(f"Quotas {provider}", enabled=not quiet) as progress:
        ctx = RefreshContext(
            now=now, as_of=stamp, sleep=SLEEP, policy=RetryPolicy(), progress=progress
        )
        request = _request(chosen, loaded.offerings, ctx, endpoints, project, fewest_vcpus)
        fetched = found.need("quotas")(request)
        quotas, log, source, how = fetched.quotas, fetched.log, fetched.source, fetched.how
    if not quotas and log.failures:
        raise PlannerError(
            f"No quotas fetched for {provider}; {output} not written." + _reasons(log.failures)
        )
    comments = [
        f"Accelerator quotas written by `planner quotas refresh --provider {provider}` on {stamp}.",
        f"Source: {source}. Conversion: {how}.",
        *(f"Not fetched: {f}" for f in log.failures),
        "Use with `planner plan SPEC --quotas FILE`; quotas in the spec win over these.",
    ]
    write_quotas(output, quotas, comments, force=force)
    _report(log.notes, log.failures)
    data = {
        "file": str(output),
        "provider": provider,
        "quotas": len(quotas),
        "as_of": stamp,
        "source": source,
        "failures": [str(f) for f in log.failures],
        "notes": list(log.notes),
    }
    print_summary(fmt, f"Wrote {len(quotas)} quotas to {output}", data)


def register(app: typer.Typer) -> None:
    app.add_typer(quotas_app, name="quotas")
