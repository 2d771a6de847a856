"""Use cases that fetch from the clouds: `refresh_catalog` (current offerings and prices into a
catalog CSV, rows that could not be refreshed kept from a base catalog) and `refresh_quotas`
(accelerator quotas into a quotas YAML). Each writes its file and returns what it wrote; the
provider code (and boto3 or HTTP calls) is imported only when one runs."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.app.arguments import checked
from planner.app.inputs import PathLike
from planner.clouds import cloud_names
from planner.errors import InputError, PlannerError

if TYPE_CHECKING:
    from providers.provider import Verb


@dataclass(frozen=True)
class CatalogRefreshed:
    """A catalog CSV written from a cloud's price APIs."""

    file: str
    provider: str
    offerings: int
    refreshed: int
    kept_after_failure: int
    spot_from_base: int
    dropped: int
    as_of: str
    failures: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def summary(self) -> str:
        return f"Wrote {self.offerings} offerings to {self.file}"


@dataclass(frozen=True)
class QuotasRefreshed:
    """A quotas YAML written from a cloud's quota APIs."""

    file: str
    provider: str
    quotas: int
    as_of: str
    source: str
    failures: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def summary(self) -> str:
        return f"Wrote {self.quotas} quotas to {self.file}"


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


def parse_regions(value: str | Sequence[str] | None) -> list[str] | str | None:
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
    from planner._http import check_url
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
        check_url(url, "--endpoint-url")
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


def _reasons(failures: Sequence[object], shown: int = 3) -> str:
    """The first failures, one per line, and how many more there were."""
    lines = [f"\n  {f}" for f in failures[:shown]]
    if len(failures) > shown:
        lines.append(f"\n  ... and {len(failures) - shown} more like these")
    return "".join(lines)


def _catalog_comments(provider, result, merged, base_names, as_of) -> list[str]:
    from providers.refresh_common import summary_lines

    services = ", ".join(sorted({o.service for o in result.offerings}))
    regions = ", ".join(sorted({o.region for o in result.offerings}))
    return [
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


@dataclass(frozen=True)
class Fetch:
    """How a refresh talks to a cloud: where (regions, endpoints, project), as of when, how it
    waits between retries and whether it draws progress."""

    regions: str | Sequence[str] | None = None
    endpoints: Sequence[str] = ()
    """`[SERVICE=]URL` per service, or one URL for all (a proxy, a test server)."""
    project: str | None = None
    as_of: str | None = None
    sleep: Callable[[float], None] = time.sleep
    progress: bool = True


def _context(fetch: Fetch, provider: str, what: str, offerings, progress):
    from providers.provider import Request
    from providers.refresh_common import RefreshContext, RetryPolicy, utc_now

    now = utc_now()
    stamp = _as_of(fetch.as_of, now)
    chosen = parse_regions(fetch.regions)
    if chosen is None:
        chosen = _default_regions(offerings, provider, what)
    ctx = RefreshContext(
        now=now, as_of=stamp, sleep=fetch.sleep, policy=RetryPolicy(), progress=progress
    )

    def request(fewest_vcpus: bool = False):
        return Request(
            None if chosen == "all" else chosen,
            offerings,
            ctx,
            parse_endpoints(fetch.endpoints, provider),
            fetch.project,
            fewest_vcpus,
        )

    return stamp, request


@checked()
def refresh_catalog(
    provider: str,
    output: PathLike,
    *,
    base: Sequence[str] | None = None,
    fetch: Fetch = Fetch(),
    force: bool = False,
) -> CatalogRefreshed:
    """Fetch `provider`'s current offerings and prices and write them, merged into the `base`
    catalog(s) (default: bundled), to the catalog CSV `output`."""
    from planner.catalog import load_catalog
    from providers.refresh_common import (
        check_writable,
        checked_catalog_csv,
        merge_with_base,
        progress_bar,
        summary_lines,
        write_text_atomically,
    )

    found = _provider(provider, "prices")
    provider = found.cloud
    output = Path(output)
    check_writable(output, force)
    parse_endpoints(fetch.endpoints, provider)
    parse_regions(fetch.regions)
    if fetch.as_of is not None:
        _as_of(fetch.as_of, None)
    base_names = list(base or ["bundled"])
    loaded = load_catalog(base_names)
    with progress_bar(f"Refreshing {provider}", enabled=fetch.progress) as progress:
        stamp, request = _context(fetch, provider, "base catalog", loaded.offerings, progress)
        result = found.need("prices")(request())
    if not result.refreshed:
        raise PlannerError(
            f"Nothing refreshed for {provider}; {output} not written." + _reasons(result.failures)
        )
    merged = merge_with_base(loaded.offerings, result)
    comments = _catalog_comments(provider, result, merged, base_names, stamp)
    text = checked_catalog_csv(merged.offerings, comments, f"the {provider} price APIs")
    write_text_atomically(output, text, force)
    return CatalogRefreshed(
        file=str(output),
        provider=provider,
        offerings=len(merged.offerings),
        refreshed=merged.fresh,
        kept_after_failure=merged.kept_after_failure,
        spot_from_base=merged.spot_from_base,
        dropped=merged.dropped,
        as_of=stamp,
        failures=tuple(str(f) for f in result.failures),
        notes=tuple(summary_lines(result, merged)),
    )


@checked()
def refresh_quotas(
    provider: str,
    output: PathLike,
    *,
    catalog: Sequence[str] | None = None,
    fewest_vcpus: bool = False,
    fetch: Fetch = Fetch(),
    force: bool = False,
) -> QuotasRefreshed:
    """Fetch `provider`'s accelerator quotas and write them to the quotas YAML `output`; the
    catalog(s) give the EC2 types' vCPUs per accelerator and the default regions."""
    from planner.catalog import load_catalog
    from planner.quotas import write_quotas
    from providers.refresh_common import check_writable, progress_bar

    found = _provider(provider, "quotas")
    provider = found.cloud
    output = Path(output)
    check_writable(output, force)
    parse_endpoints(fetch.endpoints, provider)
    parse_regions(fetch.regions)
    if fetch.as_of is not None:
        _as_of(fetch.as_of, None)
    loaded = load_catalog(list(catalog) if catalog else None)
    with progress_bar(f"Quotas {provider}", enabled=fetch.progress) as progress:
        stamp, request = _context(fetch, provider, "catalog", loaded.offerings, progress)
        fetched = found.need("quotas")(request(fewest_vcpus))
    quotas, log = fetched.quotas, fetched.log
    if not quotas and log.failures:
        raise PlannerError(
            f"No quotas fetched for {provider}; {output} not written." + _reasons(log.failures)
        )
    comments = [
        f"Accelerator quotas written by `planner quotas refresh --provider {provider}` on {stamp}.",
        f"Source: {fetched.source}. Conversion: {fetched.how}.",
        *(f"Not fetched: {f}" for f in log.failures),
        "Use with `planner plan SPEC --quotas FILE`; quotas in the spec win over these.",
    ]
    write_quotas(output, quotas, comments, force=force)
    return QuotasRefreshed(
        file=str(output),
        provider=provider,
        quotas=len(quotas),
        as_of=stamp,
        source=fetched.source,
        failures=tuple(str(f) for f in log.failures),
        notes=tuple(log.notes),
    )
