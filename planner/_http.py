"""The one way the planner reads an answer from a server (Prometheus, the clouds' REST price and
quota APIs): every server is untrusted, like every file.

- The size of an answer is capped (MAX_RESPONSE_BYTES, counted as it is read: a Content-Length
  is not trusted) and so is the total time to read it (a deadline, not only a per-read timeout,
  so a server that drips one byte a second cannot hold the planner).
- A redirect to another origin (scheme, host or port) is refused: the request's credentials
  (Authorization, X-Goog-Api-Key) never leave for a server the user did not name.
- A credential holding a control character (a newline pasted into a variable) is refused before
  anything is sent, without showing it.
- Every field read from an answer is checked against its declared shape (`check_shape`, a
  pydantic model per API) and numbers are finite and in range; a failure is a ResponseError
  (exit 2) in one style: the URL without credentials or query, the field, what was expected.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from planner._readfile import JSON_NUMBERS, check_json_nesting
from planner.errors import InputError

MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""Largest answer read from a server (64 MiB; a page of 5,000 Google SKUs is about 10 MB)."""
MAX_ERROR_BYTES = 64 * 1024
"""Largest error body read (its message is shown cut to 200 characters)."""
DEADLINE_S = 120.0
"""Longest a single request may take, connecting and reading included."""
MAX_PAGES = 1_000
"""Most pages one paged listing may have (a link pointing back at a page read is refused)."""
CREDENTIAL_HEADERS = (
    "authorization",
    "x-goog-api-key",
    "proxy-authorization",
    "cookie",
    "x-amz-security-token",
)


class ResponseError(InputError):
    """A server's answer the planner cannot use (too large, too slow, the wrong shape, a
    redirect to another origin): exit 2, naming the URL (no credentials) and the field."""


class CredentialError(InputError):
    """A credential that cannot be sent (a control character, not ASCII): exit 2, never shown."""


def redact_url(url: str) -> str:
    """`url` for messages: no user name or password, no query string (keys and tokens)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        port = None
    if port:
        host = f"{host}:{port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


MAX_URL = 2048
"""Longest URL an option takes."""


def check_url(value: str, option: str, bare_host: bool = False) -> str:
    """`value` (a URL the user gave with `option`) when it is an http(s) URL with a host and a
    valid port (with `bare_host`, a host[:port] alone is one too); an InputError naming the
    option otherwise, showing the URL without its credentials and query."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_URL or any(c.isspace() or not c.isprintable() for c in text):
        raise InputError(f"{option}: not a URL (empty, longer than {MAX_URL:,} characters, or "
                         "holding spaces or control characters)")  # fmt: skip
    full = text if "://" in text or not bare_host else f"https://{text}"
    try:
        parts = urllib.parse.urlsplit(full)
        port = parts.port
    except ValueError as err:
        raise InputError(f"{option}: not a URL ({err})") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InputError(f"{option} {redact_url(full)!r}: not an http(s) URL with a host")
    del port
    return value


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of `url`, the port made explicit for http and https."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    scheme = parts.scheme.lower()
    default = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port or default


def check_credential(value: str, source: str) -> str:
    """`value` (a token, key or password from `source`, e.g. 'environment variable
    PROM_TOKEN') when it can be sent in a header; an InputError that never shows it."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise CredentialError(
            f"{source}: the credential holds a control character (a newline or a tab?); "
            "set it to the token alone (it is not shown here)"
        )
    if not value.isascii():
        raise CredentialError(f"{source}: the credential holds characters other than ASCII")
    return value


class _SameOrigin(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only within the origin asked; another origin is a ResponseError."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        target = urllib.parse.urljoin(req.full_url, newurl)
        if origin(target) != origin(req.full_url):
            scheme, host, port = origin(target)
            raise ResponseError(
                f"{redact_url(req.full_url)}: redirected (HTTP {code}) to another origin, "
                f"{scheme}://{host}:{port}; not followed, so no credential is sent there "
                "(give that server's URL yourself if you trust it)"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SameOrigin)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Follows no redirect: a signed request (AWS) is valid for its own URL only, so a 3xx is
    handed back to the caller as the answer it is."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_PLAIN_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class Answer:
    """A server's answer: its status and body (at most the cap)."""

    status: int
    body: bytes


class StatusError(Exception):
    """An HTTP error status; `body` is at most MAX_ERROR_BYTES. Never carries credentials."""

    def __init__(self, status: int, url: str, body: bytes, reason: str = ""):
        super().__init__(f"HTTP {status} from {redact_url(url)}")
        self.status, self.url, self.body, self.reason = status, redact_url(url), body, reason


def get(
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    timeout_s: float = 30.0,
    deadline_s: float = DEADLINE_S,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> bytes:
    """The body of a GET of `url`. StatusError for an HTTP error status, ResponseError for an
    answer too large, too slow or redirected elsewhere; connection errors (OSError) pass
    through for the caller to retry or report."""
    if origin(url)[0] not in ("http", "https") or not origin(url)[1]:
        raise InputError(f"{redact_url(url)!r} is not an http(s) URL")
    headers = dict(headers or {})
    for name, value in headers.items():
        if name.lower() in CREDENTIAL_HEADERS:
            check_credential(value, f"the {name} header")
    start = time.monotonic()
    request = urllib.request.Request(url, headers=headers)
    wait = max(0.001, min(timeout_s, deadline_s))
    try:
        response = _OPENER.open(request, timeout=wait)
    except urllib.error.HTTPError as err:
        body = read_body(err, MAX_ERROR_BYTES, start + min(deadline_s, 10.0), url, cut=True)
        raise StatusError(err.code, url, body, str(err.reason or "")) from None
    with response:
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and len(length) < 20 and int(length) > max_bytes:
            raise ResponseError(f"{redact_url(url)}: the answer is {int(length):,} bytes, more "
                                f"than the {max_bytes:,} read")  # fmt: skip
        return read_body(response, max_bytes, start + deadline_s, url)


@dataclass(frozen=True)
class Reply:
    """A server's whole answer to `exchange`: status, headers and body (at most the cap; an
    error status's body at most MAX_ERROR_BYTES)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def exchange(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None = None,
    *,
    timeout_s: float = 30.0,
    deadline_s: float = DEADLINE_S,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> Reply:
    """Any request (an SDK's signed POST) under the same bounds as `get`: size cap, total
    deadline, credentials checked before sending. Every status comes back as a Reply (the
    caller's SDK reads error bodies); no redirect is followed. Connection errors (OSError)
    pass through."""
    if origin(url)[0] not in ("http", "https") or not origin(url)[1]:
        raise InputError(f"{redact_url(url)!r} is not an http(s) URL")
    for name, value in headers.items():
        if name.lower() in CREDENTIAL_HEADERS:
            check_credential(value, f"the {name} header")
    start = time.monotonic()
    request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
    wait = max(0.001, min(timeout_s, deadline_s))
    try:
        response = _PLAIN_OPENER.open(request, timeout=wait)
    except urllib.error.HTTPError as err:
        with err:
            data = read_body(err, MAX_ERROR_BYTES, start + min(deadline_s, 10.0), url, cut=True)
            return Reply(err.code, tuple(err.headers.items()), data)
    with response:
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and len(length) < 20 and int(length) > max_bytes:
            raise ResponseError(f"{redact_url(url)}: the answer is {int(length):,} bytes, more "
                                f"than the {max_bytes:,} read")  # fmt: skip
        data = read_body(response, max_bytes, start + deadline_s, url)
        return Reply(response.status, tuple(response.headers.items()), data)


def read_body(response: Any, max_bytes: int, deadline: float, url: str, cut: bool = False) -> bytes:
    """At most `max_bytes` of `response` (anything with `read1` or `read`), read before
    `deadline` (a monotonic time): a ResponseError past either, or the part read when `cut`."""
    read = getattr(response, "read1", None) or response.read
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            if cut:
                break
            raise ResponseError(
                f"{redact_url(url)}: the answer was still arriving after the deadline "
                f"({DEADLINE_S:g} s at most per request); the server is too slow or stalled"
            )
        try:
            chunk = read(64 * 1024)
        except (TimeoutError, OSError) as err:
            if cut:
                break
            raise ResponseError(f"{redact_url(url)}: reading the answer failed ({err})") from None
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            if cut:
                break
            raise ResponseError(
                f"{redact_url(url)}: the answer is larger than {max_bytes:,} bytes, the most read"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def decode_json(body: bytes, url: str) -> Any:
    """A server's JSON answer (bounded nesting, no NaN, numbers of bounded size), or a
    ResponseError naming the URL."""
    where = redact_url(url)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ResponseError(f"{where}: the answer is not UTF-8 (byte {err.start})") from None
    try:
        check_json_nesting(text, where)
        return json.loads(text, **JSON_NUMBERS)
    except InputError as err:
        raise ResponseError(f"{where}: the answer is not JSON the planner reads ({err})") from None
    except json.JSONDecodeError as err:
        raise ResponseError(
            f"{where}: the answer is not JSON (line {err.lineno}: {err.msg})"
        ) from None
    except (ValueError, RecursionError) as err:
        raise ResponseError(f"{where}: the answer is not JSON the planner reads ({err})") from None


def field_name(location: tuple[Any, ...], prefix: str = "") -> str:
    """A pydantic error location as a field path: ('data', 'result', 0, 'value') ->
    data.result[0].value."""
    out = prefix
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(the answer)"


def shown(value: Any, limit: int = 60) -> str:
    """A value quoted for a message, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_shape(model: Any, data: Any, url: str, prefix: str = "") -> Any:
    """`data` validated by the pydantic `model` (the fields an API's answer must have, with
    their types and ranges); a ResponseError naming the URL and the first wrong field."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        count = err.error_count()
        more = f" (and {count - 1} more problem(s))" if count > 1 else ""
        raise ResponseError(
            f"{redact_url(url)}: field '{field_name(tuple(first['loc']), prefix)}': "
            f"{first['msg'].lower()}, got {shown(first.get('input'))}{more}"
        ) from None


def shape_types() -> tuple[Any, Any, Any]:
    """(Shape, Number, Count): the base model of an answer's shape (unknown fields ignored),
    a finite non-negative number up to 1e12, and a whole number up to 10**9."""
    from typing import Annotated

    from pydantic import BaseModel, ConfigDict, Field

    class Shape(BaseModel):
        model_config = ConfigDict(extra="ignore", frozen=True)

    number = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
    count = Annotated[int, Field(ge=0, le=10**9)]
    return Shape, number, count
