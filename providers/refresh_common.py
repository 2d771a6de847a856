"""What every catalog or quota refresh shares: retries with backoff, paging over HTTP, progress,
the result of a refresh, merging it with the rows already known, and writing the catalog CSV.

Nothing here imports a cloud SDK; the per-cloud modules pass their calls in as functions.
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from planner._http import (
    DEADLINE_S,
    MAX_PAGES,
    MAX_RESPONSE_BYTES,
    CredentialError,
    ResponseError,
    StatusError,
    check_shape,
    decode_json,
    redact_url,
)
from planner._http import get as http_get
from planner.catalog.offering import CATALOG_COLUMNS, Offering
from planner.errors import InputError, PlannerError
from planner.markup import csv_text
from planner.safe_text import safe

T = TypeVar("T")

# --- retries -----------------------------------------------------------------------------------

RETRYABLE_HTTP = frozenset({429, 500, 502, 503, 504})
"""HTTP statuses worth another try: throttling (429, 503) and transient gateway errors."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a throttled call: full-jitter exponential backoff.

    Attempt n (from 0) waits a uniform random time in [0, min(cap_s, base_s * 2**n)]; the
    jitter comes from `random.Random(seed)`, so a given seed always waits the same.
    """

    attempts: int = 5
    base_s: float = 0.5
    cap_s: float = 30.0
    seed: int = 0

    def delays(self) -> list[float]:
        """The waits between the attempts (one fewer than attempts)."""
        rng = random.Random(self.seed)
        return [
            rng.uniform(0, min(self.cap_s, self.base_s * 2**n)) for n in range(self.attempts - 1)
        ]


class RetriesExhausted(PlannerError):
    """A call was still throttled (or failing transiently) after every attempt."""


def retry(
    call: Callable[[], T],
    *,
    retryable: Callable[[BaseException], bool],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    what: str,
) -> T:
    """`call()`, retried after the policy's waits while it raises something `retryable`.

    The last retryable error becomes RetriesExhausted naming `what`; others pass through at once.
    """
    delays = policy.delays()
    for attempt in range(policy.attempts):
        try:
            return call()
        except Exception as err:
            if not retryable(err):
                raise
            if attempt == policy.attempts - 1:
                reason = describe_error(err)
                raise RetriesExhausted(
                    f"{what}: still failing after {policy.attempts} attempts ({reason})"
                ) from err
            sleep(delays[attempt])
    raise AssertionError("unreachable")


def describe_error(err: BaseException) -> str:
    """A one-line description of an error for summaries and the CSV header: credentials
    (from the environment, or shaped like one) and control characters removed."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    text = safe(text)[:300]
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


# --- HTTP (GCP and Azure REST) -----------------------------------------------------------------


class HttpError(PlannerError):
    """An HTTP request answered with an error status; the URL never carries credentials."""

    def __init__(self, status: int, url: str, detail: str):
        self.status = status
        super().__init__(f"HTTP {status} from {url}: {detail}")


def _http_retryable(err: BaseException) -> bool:
    if isinstance(err, HttpError):
        return err.status in RETRYABLE_HTTP
    if isinstance(err, ResponseError):
        return False
    return isinstance(err, (urllib.error.URLError, TimeoutError, ConnectionError))


def _error_detail(body: bytes) -> str:
    """The message of a Google ({error: {message}}) or Azure ({Error: {Message}}) JSON error
    body, else the body's first 200 characters."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        error = data.get("error") or data.get("Error") or data
        if isinstance(error, dict):
            message = error.get("message") or error.get("Message")
            if isinstance(message, str):
                return message[:200]
    return text.strip()[:200] or "no body"


@dataclass(frozen=True)
class Http:
    """GETs JSON with retries; headers (credentials) are sent but never shown in errors, and
    never sent to another origin (planner._http: size cap, deadline, same-origin redirects)."""

    headers: Mapping[str, str] = field(default_factory=dict)
    policy: RetryPolicy = RetryPolicy()
    sleep: Callable[[float], None] = time.sleep
    timeout_s: float = 60.0
    deadline_s: float = DEADLINE_S
    max_bytes: int = MAX_RESPONSE_BYTES

    def get_json(
        self, url: str, params: Mapping[str, str] | None = None, *, shape: Any = None
    ) -> dict[str, Any]:
        """The JSON object at `url` (with `params` added to its query), retried when throttled;
        with `shape` (a pydantic model of the fields read), checked against it."""
        full = _with_params(url, params or {})

        def once() -> dict[str, Any]:
            try:
                body = http_get(
                    full,
                    {"Accept": "application/json", **self.headers},
                    timeout_s=self.timeout_s,
                    deadline_s=self.deadline_s,
                    max_bytes=self.max_bytes,
                )
            except StatusError as err:
                raise HttpError(err.status, _redact(full), _error_detail(err.body)) from None
            data = decode_json(body, full)
            if not isinstance(data, dict):
                raise ResponseError(
                    f"{_redact(full)}: field '(the answer)': expected a JSON object, "
                    f"got {type(data).__name__}"
                )
            if shape is not None:
                check_shape(shape, data, full)
            return data

        return retry(
            once,
            retryable=_http_retryable,
            policy=self.policy,
            sleep=self.sleep,
            what=f"GET {_redact(full)}",
        )


def _with_params(url: str, params: Mapping[str, str]) -> str:
    if not params:
        return url
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + sep + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def _redact(url: str) -> str:
    """`url` for messages: without credentials or its query string (keys or tokens)."""
    return redact_url(url)


# --- paging and progress -----------------------------------------------------------------------


class Progress(Protocol):
    """Told about every page fetched, so a long refresh shows that it is moving."""

    def page(self, what: str) -> None: ...


class NullProgress:
    """Progress that shows nothing (not a terminal, --quiet, tests)."""

    def page(self, what: str) -> None:
        return None


NULL_PROGRESS = NullProgress()


class _RichProgress:
    def __init__(self, progress: Any, task: Any):
        self._progress, self._task = progress, task

    def page(self, what: str) -> None:
        self._progress.update(self._task, advance=1, description=what)


@contextmanager
def progress_bar(title: str, enabled: bool) -> Iterator[Progress]:
    """A rich progress display on stderr counting the pages fetched, or NullProgress.

    It is shown only when `enabled` and stderr is a terminal, so logs and pipes stay clean.
    """
    if not (enabled and sys.stderr.isatty()):
        yield NULL_PROGRESS
        return
    from rich.console import Console
    from rich.progress import Progress as RichProgress
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (
        SpinnerColumn(),
        TextColumn(f"{title}: {{task.completed}} pages"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    screen = Console(stderr=True, file=getattr(sys.stderr, "unfiltered", sys.stderr))
    with RichProgress(*columns, console=screen, transient=True) as bar:
        yield _RichProgress(bar, bar.add_task("", total=None))


def pages(
    fetch: Callable[[str | None], tuple[Sequence[T], str | None]],
    progress: Progress,
    what: str,
) -> Iterator[T]:
    """Every item of a paged listing: `fetch(token)` returns one page's items and the next token.

    Pages are requested lazily; an error on page n propagates after pages 1..n-1 were yielded,
    so a caller may keep what it already has.
    """
    token: str | None = None
    seen: set[str] = set()
    number = 0
    while True:
        items, token = fetch(token)
        number += 1
        progress.page(f"{what} (page {number})")
        yield from items
        if not token:
            return
        if not isinstance(token, str) or len(token) > 4096:
            raise ResponseError(
                f"{what}: page {number}: field 'next page': not a page token or link"
            )
        if token in seen:
            raise ResponseError(
                f"{what}: page {number}: the next page ({redact_url(token)}) was already read; "
                "the listing loops, so it was stopped"
            )
        if number >= MAX_PAGES:
            raise ResponseError(f"{what}: more than {MAX_PAGES:,} pages; the listing was stopped")
        seen.add(token)


# --- the result of a refresh -------------------------------------------------------------------

Scope = tuple[str, str, str]
"""(provider, region, service): a slice of the catalog a refresh replaced."""
RowKey = tuple[str, str, str, str]
"""(provider, region, service, instance_type): one row of the catalog, zone aside."""


@dataclass(frozen=True)
class Failure:
    """Something a refresh could not fetch, and why (shown on stderr and in the CSV header)."""

    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"


@dataclass(frozen=True)
class RefreshResult:
    """Fresh offerings of one provider and what they replace in the base catalog.

    - `refreshed`: scopes now described by `offerings`; base rows in them whose instance type
      matches `covers` are dropped (a type no longer offered disappears), others are kept.
    - `kept`: rows of refreshed scopes that could not be refreshed (a failed call, a missing
      price); the base row stays.
    - `spot_kept`: fresh rows whose spot price could not be fetched; the base spot price stays.
    """

    provider: str
    offerings: tuple[Offering, ...]
    refreshed: frozenset[Scope]
    covers: re.Pattern[str]
    kept: frozenset[RowKey] = frozenset()
    spot_kept: frozenset[RowKey] = frozenset()
    failures: tuple[Failure, ...] = ()
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass
class RunLog:
    """What went wrong and what is worth saying during one refresh (filled as it goes)."""

    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, what: str, err: BaseException | str) -> None:
        """Record that `what` could not be fetched, and why. A server's answer of the wrong
        shape (ResponseError) is not a failure to work around: it stops the refresh (exit 2),
        so a catalog is never written from data the planner would refuse."""
        if isinstance(err, ResponseError | CredentialError):
            raise err
        reason = err if isinstance(err, str) else describe_error(err)
        self.failures.append(Failure(what, reason))


def row_key(offering: Offering) -> RowKey:
    """The (provider, region, service, instance_type) of an offering."""
    return (offering.provider, offering.region, offering.service, offering.instance_type)


@dataclass(frozen=True)
class Merged:
    """The catalog after a refresh, with counts for the summary."""

    offerings: tuple[Offering, ...]
    fresh: int
    kept_after_failure: int
    spot_from_base: int
    dropped: int


SPOT_FROM_BASE = "+spot-from-base"


def merge_with_base(base: Iterable[Offering], result: RefreshResult) -> Merged:
    """The base catalog with `result` applied: refreshed scopes replaced, failures kept from base.

    A fresh row overrides the base row with the same key; a fresh row in `spot_kept` without a
    spot price takes the base row's, and its source says so (`+spot-from-base`).
    """
    base = tuple(base)
    by_key = {b.key: b for b in base}
    fresh_keys = {o.key for o in result.offerings}
    out: dict[tuple[str, ...], Offering] = {}
    kept = dropped = spot = 0
    for b in base:
        scope = (b.provider, b.region, b.service)
        if scope not in result.refreshed or not result.covers.search(b.instance_type):
            out[b.key] = b
        elif b.key in fresh_keys:
            continue
        elif row_key(b) in result.kept:
            out[b.key] = b
            kept += 1
        else:
            dropped += 1
    for o in result.offerings:
        old = by_key.get(o.key)
        if o.price_spot is None and row_key(o) in result.spot_kept and old and old.price_spot:
            o = replace(
                o,
                price_spot=old.price_spot,
                spot_price_kind=old.spot_price_kind,
                source=o.source + SPOT_FROM_BASE,
            )
            spot += 1
        out[o.key] = o
    return Merged(
        offerings=tuple(out[k] for k in sorted(out)),
        fresh=len(result.offerings),
        kept_after_failure=kept,
        spot_from_base=spot,
        dropped=dropped,
    )


def summary_lines(result: RefreshResult, merged: Merged) -> list[str]:
    """What the refresh did, in a few lines for stderr and the CSV header (failures aside)."""
    regions = sorted({o.region for o in result.offerings})
    lines = [
        f"{result.provider}: {merged.fresh} offerings refreshed in {len(regions)} region(s)"
        + (f" ({', '.join(regions)})" if regions else "")
    ]
    if merged.dropped:
        lines.append(
            f"{merged.dropped} base row(s) dropped: no longer offered in a refreshed region"
        )
    if merged.kept_after_failure:
        lines.append(
            f"{merged.kept_after_failure} base row(s) kept because they could not be refreshed"
        )
    if merged.spot_from_base:
        lines.append(f"{merged.spot_from_base} spot price(s) kept from the base catalog")
    lines.extend(result.notes)
    return lines


# --- writing -----------------------------------------------------------------------------------


def format_number(value: float | int | None) -> str:
    """A CSV cell: '' for None, integers without '.0', others with at most 6 decimals."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{float(value):.6f}".rstrip("0").rstrip(".")


def checked_catalog_csv(offerings: Iterable[Offering], comments: Sequence[str], what: str) -> str:
    """`catalog_csv`, read back by the catalog reader first: a refresh never writes a catalog
    the planner would refuse (a ResponseError, exit 2, names the row and column)."""
    from planner.catalog.load import CatalogError, read_native_csv

    text = catalog_csv(offerings, comments)
    try:
        read_native_csv(Path(what), text)
    except CatalogError as err:
        raise ResponseError(
            f"the answers of {what} make a catalog the planner refuses: {err}"
        ) from None
    return text


def catalog_csv(offerings: Iterable[Offering], comments: Sequence[str]) -> str:
    """Catalog CSV text: '#' comment lines, the header, one row per offering."""
    rows = (
        [
            format_number(v) if isinstance(v, (int, float)) or v is None else v
            for v in (o.as_row()[c] for c in CATALOG_COLUMNS)
        ]
        for o in offerings
    )
    return csv_text(CATALOG_COLUMNS, rows, comments)


def check_writable(path: Path, force: bool) -> None:
    """Refuse to overwrite an existing output file unless forced (checked before any fetching)."""
    from planner._writefile import refuse_overwrite

    refuse_overwrite(path, force)
    if not path.parent.exists():
        raise InputError(f"Cannot write {path}: folder {path.parent} does not exist")


def write_text_atomically(path: Path, text: str, force: bool) -> None:
    """Write `text` to `path` through a temporary file, so a failure never leaves half a file;
    without `force` a file that appeared meanwhile is refused, not replaced."""
    from planner._writefile import write_output

    check_writable(path, force)
    write_output(path, text, overwrite=force)


@dataclass(frozen=True)
class RefreshContext:
    """What a refresh run needs besides its inputs: the clock reading, retries, progress."""

    now: datetime
    as_of: str
    policy: RetryPolicy = RetryPolicy()
    sleep: Callable[[float], None] = time.sleep
    progress: Progress = NULL_PROGRESS

    def call(self, fn: Callable[[], T], retryable: Callable[[BaseException], bool], what: str) -> T:
        """`fn()` under this run's retry policy."""
        return retry(fn, retryable=retryable, policy=self.policy, sleep=self.sleep, what=what)

    def http(self, headers: Mapping[str, str] | None = None) -> Http:
        """An HTTP client with this run's retry policy and sleep."""
        return Http(headers=dict(headers or {}), policy=self.policy, sleep=self.sleep)


def utc_now() -> datetime:
    """The current time in UTC (the CLI's clock; tests pass their own)."""
    from planner import clock

    return clock.now()
