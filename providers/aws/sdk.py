"""The one way the planner makes and calls AWS SDK (boto3) clients: AWS is a server like any
other, untrusted, and gets the same bounds as every HTTP answer (planner._http).

- Bytes travel through planner._http's bounded reader: botocore's documented `before-send`
  event lets a handler answer a signed request itself, so the answer's size is capped, the
  whole request has a deadline (a server dripping one byte a second cannot hold the planner),
  no redirect is followed and a credential holding a control character is never sent.
- Retries are few and bounded (`ATTEMPTS`, botocore's standard mode, jittered backoff): no
  retry storm against a server that keeps failing.
- Every answer is checked against the operation's own output shape from the SDK's service
  model (a number where a number belongs, finite and at most `MAX_NUMBER`, a list where a
  list belongs), and an answer botocore cannot parse at all (malformed XML, JSON or CBOR)
  becomes a ResponseError too: exit 2, naming the endpoint (no credentials) and the field.
- Callers add the ranges of the fields they read with `check_shape` (a price is not
  negative, a quota is a count) and page with `refresh_common.pages` (a page cap; a
  NextToken already seen stops the listing).
"""

from __future__ import annotations

import datetime
import functools
import math
from collections.abc import Callable
from typing import Any

from planner import _http
from planner._http import ResponseError, exchange, redact_url, shown
from planner.errors import InputError
from planner.extras import require

ATTEMPTS = 3
"""Attempts per call (first try included) where the caller does not retry itself."""
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0
"""Longest wait for the next bytes of an answer; the whole request has planner._http's deadline."""
MAX_NUMBER = 1e15
"""Largest magnitude of any number read from an AWS answer (1e308 is not a price or a count)."""
DEADLINE_S = _http.DEADLINE_S
"""Longest one request may take, connecting, retrying aside, and reading included."""
MAX_RESPONSE_BYTES = _http.MAX_RESPONSE_BYTES
"""Largest answer read (botocore itself reads any size)."""
MAX_DEPTH = 64
"""Deepest nesting of an answer checked (the service models nest a dozen levels at most)."""


def config(attempts: int = ATTEMPTS) -> Any:
    """botocore's client Config: `attempts` in standard retry mode, bounded timeouts."""
    from botocore.config import Config

    return Config(
        retries={"total_max_attempts": max(1, attempts), "mode": "standard"},
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        max_pool_connections=4,
    )


class _Body:
    """The raw body of a bounded answer, as botocore's AWSResponse reads it (`stream()`)."""

    def __init__(self, data: bytes):
        self._data = data

    def stream(self, *args: Any, **kwargs: Any):
        yield self._data

    def read(self, *args: Any) -> bytes:
        data, self._data = self._data, b""
        return data


def _header(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def send_bounded(request: Any, protocol: str = "", **kwargs: Any) -> Any:
    """botocore `before-send` handler: sends the signed `request` through planner._http's
    bounded exchange and hands botocore the answer (every status; botocore reads errors).

    botocore reads a JSON-protocol answer that is not JSON (cut short, garbage) as an empty
    one; here a successful answer of a JSON `protocol` must be a JSON object."""
    from botocore.awsrequest import AWSResponse
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {_header(k): _header(v) for k, v in request.headers.items()}
    url = request.url
    try:
        reply = exchange(request.method, url, headers, body or None, timeout_s=READ_TIMEOUT_S,
                         deadline_s=DEADLINE_S, max_bytes=MAX_RESPONSE_BYTES)  # fmt: skip
    except TimeoutError:
        raise ReadTimeoutError(endpoint_url=redact_url(url)) from None
    except OSError as err:
        reason = getattr(err, "reason", err)
        if isinstance(reason, TimeoutError):
            raise ConnectTimeoutError(endpoint_url=redact_url(url)) from None
        raise EndpointConnectionError(endpoint_url=redact_url(url)) from None
    if protocol in _JSON_PROTOCOLS and 200 <= reply.status < 300 and reply.body.strip():
        _check_json(reply.body, url)
    return AWSResponse(url, reply.status, dict(reply.headers), _Body(reply.body))


_JSON_PROTOCOLS = frozenset({"json", "rest-json"})


def _check_json(body: bytes, url: str) -> None:
    """`body` is a JSON object (NaN and huge numbers pass: the field checks name them)."""
    import json

    from planner._readfile import check_json_nesting

    try:
        text = body.decode("utf-8")
        check_json_nesting(text, redact_url(url))
        data = json.loads(text)
    except (ValueError, RecursionError, InputError) as err:
        raise ResponseError(
            f"{redact_url(url)}: the answer is not JSON ({shown(str(err), 120)})"
        ) from None
    if not isinstance(data, dict):
        raise ResponseError(f"{redact_url(url)}: field '(the answer)': expected a JSON object, "
                            f"got {type(data).__name__}")  # fmt: skip


def client(
    service: str,
    region: str,
    endpoint_url: str | None = None,
    *,
    attempts: int = ATTEMPTS,
    session: Any = None,
    purpose: str = "calling AWS",
) -> Any:
    """A bounded boto3 client for `service` in `region` (the SDK's usual credential chain)."""
    boto3 = require("boto3", "aws", purpose)
    made = (session or boto3.session.Session()).client(
        service, region_name=region, endpoint_url=endpoint_url, config=config(attempts)
    )
    protocol = made.meta.service_model.resolved_protocol
    made.meta.events.register("before-send", functools.partial(send_bounded, protocol=protocol))
    return Bounded(made)


class Bounded:
    """A boto3 client whose every call's answer is checked against the operation's output
    shape; an answer botocore cannot parse is a ResponseError naming the endpoint."""

    def __init__(self, inner: Any):
        self._inner = inner
        self.meta = inner.meta
        self.exceptions = inner.exceptions

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)
        if not callable(method) or name.startswith("_") or name in _NOT_OPERATIONS:
            return method
        operation = self._inner.meta.method_to_api_mapping.get(name)
        if operation is None:
            return method
        return _checked(self._inner, operation, method)


_NOT_OPERATIONS = frozenset({"get_paginator", "get_waiter", "can_paginate", "close"})


def where(inner: Any, operation: str) -> str:
    """'<endpoint URL> <Operation>' for messages: no credentials, no query string."""
    return f"{redact_url(inner.meta.endpoint_url)} {operation}"


def _checked(inner: Any, operation: str, method: Callable[..., Any]) -> Callable[..., Any]:
    from botocore.exceptions import BotoCoreError, ClientError

    def call(**params: Any) -> Any:
        try:
            answer = method(**params)
        except (ClientError, BotoCoreError, ResponseError):
            raise
        except Exception as err:
            if not _from_parsing(err):
                raise
            raise ResponseError(
                f"{where(inner, operation)}: the answer is not one the AWS API sends "
                f"({type(err).__name__}: {shown(str(err), 120)})"
            ) from None
        shape = inner.meta.service_model.operation_model(operation).output_shape
        if shape is not None:
            check_answer(shape, answer, where(inner, operation))
        return answer

    call.where = redact_url(inner.meta.endpoint_url)  # type: ignore[attr-defined]
    return call


def _from_parsing(err: Exception) -> bool:
    """An error raised while botocore parsed an answer: its parsers raise ResponseParserError
    for what they recognise as malformed, and ValueError, TypeError, AttributeError... from
    deeper down for the rest (a list where an object belongs, 'abc' where a number belongs)."""
    from botocore.parsers import ResponseParserError

    if isinstance(err, ResponseParserError | RecursionError | OverflowError):
        return True
    tb, innermost = err.__traceback__, ""
    while tb is not None:
        innermost = tb.tb_frame.f_code.co_filename
        if "botocore" in innermost and "parsers" in innermost:
            return True
        tb = tb.tb_next
    return False


_NUMBERS = frozenset({"double", "float"})
_WHOLE = frozenset({"integer", "long", "short", "byte"})


def check_answer(shape: Any, value: Any, where_: str, path: str = "", depth: int = 0) -> None:
    """`value` (a parsed answer) has the types `shape` (a botocore output shape) declares:
    numbers finite and at most MAX_NUMBER in magnitude, strings, lists and maps where the
    model says so. A ResponseError names the first wrong field."""
    if value is None:
        return
    if depth > MAX_DEPTH:
        _wrong(where_, path, "nested too deeply", value)
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            _wrong(where_, path, "expected an object", value)
        members = shape.members
        for name, item in value.items():
            if name in members:
                sub = f"{path}.{name}" if path else name
                check_answer(members[name], item, where_, sub, depth + 1)
    elif kind == "list":
        if not isinstance(value, list):
            _wrong(where_, path, "expected a list", value)
        for i, item in enumerate(value):
            check_answer(shape.member, item, where_, f"{path}[{i}]", depth + 1)
    elif kind == "map":
        if not isinstance(value, dict):
            _wrong(where_, path, "expected an object", value)
        for key, item in value.items():
            check_answer(shape.value, item, where_, f"{path}[{key!r}]", depth + 1)
    elif kind in _NUMBERS or kind in _WHOLE:
        whole = kind in _WHOLE
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (whole and not isinstance(value, int))
        ):
            _wrong(where_, path, "expected a whole number" if whole else "expected a number",
                   value)  # fmt: skip
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            _wrong(where_, path, f"expected a finite number of magnitude at most {MAX_NUMBER:g}",
                   value)  # fmt: skip
    elif kind == "string":
        if not isinstance(value, str):
            _wrong(where_, path, "expected a string", value)
    elif kind == "boolean":
        if not isinstance(value, bool):
            _wrong(where_, path, "expected true or false", value)
    elif kind == "timestamp" and not isinstance(value, datetime.datetime):
        _wrong(where_, path, "expected a time", value)


def _wrong(where_: str, path: str, expected: str, value: Any) -> None:
    raise ResponseError(
        f"{where_}: field '{path or '(the answer)'}': {expected}, got {shown(value)}"
    )
