"""A minimal client for Prometheus's HTTP API (/api/v1/query, /api/v1/query_range), urllib only.

Every failure becomes a PlannerError that names Prometheus and the URL (credentials removed);
an answer of the wrong shape, too large, too slow, redirected to another origin or holding a
negative sample is a ResponseError (exit 2, planner._http) naming the field.
"""

from __future__ import annotations

import base64
import math
import urllib.parse
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from planner._http import (
    DEADLINE_S,
    ResponseError,
    StatusError,
    check_credential,
    check_shape,
    decode_json,
    redact_url,
    shape_types,
)
from planner._http import get as http_get
from planner.errors import PlannerError
from planner.observe.model import Point


@dataclass(frozen=True)
class Series:
    """One result series: its labels and its (time, value) points (non-finite values dropped)."""

    labels: dict[str, str]
    points: tuple[Point, ...]


def redact(url: str) -> str:
    """`url` without a user name or password, for messages."""
    return redact_url(url)


def _finite(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


MAX_SAMPLE = 1e15
"""Largest sample value read (every metric the planner reads is a count, a rate, a duration or
a size, never negative and far below this)."""
Shape, _Number, _Count = shape_types()
_Time = Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)]
_Sample = tuple[_Time, Annotated[str, Field(max_length=64)]]


class _Series(Shape):
    metric: dict[str, Annotated[str, Field(max_length=1024)]] = Field(default_factory=dict)
    value: _Sample | None = None
    values: list[_Sample] | None = None


class _Data(Shape):
    resultType: str
    result: list[_Series] = Field(default_factory=list)


class Answer(Shape):
    """The fields of a Prometheus HTTP API answer the planner reads."""

    status: str
    data: _Data | None = None
    errorType: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class PrometheusClient:
    """Queries one Prometheus server; `token` is sent as a bearer token when given."""

    url: str
    token: str | None = None
    timeout_s: float = 30.0
    deadline_s: float = DEADLINE_S

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PlannerError(
                f"prometheus: {redact(self.url)!r} is not an http(s) URL "
                "(expected e.g. http://prometheus:9090)"
            )

    def headers(self) -> dict[str, str]:
        """Authorization from the bearer token, or from user:password in the URL."""
        if self.token:
            return {"Authorization": f"Bearer {check_credential(self.token, 'the bearer token')}"}
        parts = urllib.parse.urlsplit(self.url)
        if not parts.username:
            return {}
        user = urllib.parse.unquote(parts.username)
        pair = f"{user}:{urllib.parse.unquote(parts.password or '')}"
        check_credential(pair, "the user:password in --url")
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}

    @property
    def where(self) -> str:
        return f"prometheus at {redact(self.url)}"

    def instant(self, query: str, at: float) -> list[Series]:
        """An instant query evaluated at Unix time `at`."""
        return self._series(self._get("query", {"query": query, "time": f"{at:.3f}"}, query))

    def range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        """A range query: one point per `step` seconds from `start` to `end`."""
        params = {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        return self._series(self._get("query_range", params, query))

    def _get(self, endpoint: str, params: dict[str, str], query: str) -> Any:
        base = redact(self.url).rstrip("/")
        url = f"{base}/api/v1/{endpoint}?{urllib.parse.urlencode(params)}"
        try:
            body = http_get(
                url, self.headers(), timeout_s=self.timeout_s, deadline_s=self.deadline_s
            )
        except StatusError as err:
            raise self._http_error(err, query) from None
        except ResponseError:
            raise
        except (TimeoutError, OSError) as err:  # URLError and connection errors are OSErrors
            reason = getattr(err, "reason", err)
            raise PlannerError(f"{self.where}: cannot connect ({reason})") from None
        data = self._json(body, url)
        if data.status != "success":
            raise PlannerError(f"{self.where}: query failed ({_error_text(data)}): {query}")
        if data.data is None:
            raise ResponseError(f"{redact(url)}: field 'data': missing in a successful answer")
        return data

    def _http_error(self, err: StatusError, query: str) -> PlannerError:
        if err.status in (401, 403):
            return PlannerError(
                f"{self.where}: access refused (HTTP {err.status}); check the credentials "
                "(user:password@ in --url, or a bearer token with --token-env)"
            )
        try:
            data = Answer.model_validate_json(err.body or b"{}")
        except ValueError:
            data = None
        detail = _error_text(data) if data is not None else _cut(err.reason)
        return PlannerError(f"{self.where}: query failed (HTTP {err.status}, {detail}): {query}")

    def _json(self, body: bytes, url: str) -> Any:
        try:
            data = decode_json(body, url)
        except ResponseError as err:
            data, why = None, f" ({str(err).split(': ', 1)[-1]})"
        else:
            why = ""
        if not isinstance(data, dict) or "status" not in data:
            raise ResponseError(
                f"{self.where}: the answer is not Prometheus API JSON{why} from {redact(url)}"
            )
        return check_shape(Answer, data, url)

    def _series(self, data: Any) -> list[Series]:
        result = data.data
        kind = result.resultType
        if kind not in ("vector", "matrix"):
            raise ResponseError(
                f"{self.where}: field 'data.resultType': expected vector or matrix, "
                f"got {_cut(kind)!r}"
            )
        out = []
        for number, row in enumerate(result.result):
            pairs = (
                ([row.value] if row.value is not None else [])
                if kind == "vector"
                else (row.values or [])
            )
            points = []
            for index, (t, text) in enumerate(pairs):
                value = _finite(text)
                if value is None:
                    if _finite_or_special(text):
                        continue  # NaN or an infinity: no value at that time
                    raise self._bad_sample(number, kind, index, text, "is not a number")
                if not 0 <= value <= MAX_SAMPLE:
                    raise self._bad_sample(
                        number, kind, index, text, f"is outside 0 to {MAX_SAMPLE:g}"
                    )
                points.append(Point(t=float(t), value=value))
            out.append(Series(labels=dict(row.metric), points=tuple(points)))
        return out

    def _bad_sample(self, row: int, kind: str, index: int, text: str, why: str) -> ResponseError:
        where = (
            f"data.result[{row}].value[1]"
            if kind == "vector"
            else (f"data.result[{row}].values[{index}][1]")
        )
        return ResponseError(
            f"{self.where}: field '{where}': the sample {_cut(text)!r} {why}; every metric the "
            "planner reads is a count, rate, duration or size"
        )


def _finite_or_special(text: str) -> bool:
    return text.strip().lower().lstrip("+-") in ("nan", "inf", "infinity")


def _cut(text: Any, limit: int = 200) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _error_text(data: Any) -> str:
    kind = data.errorType or "error"
    error = data.error or "no reason given"
    return f"{_cut(kind, 40)}: {_cut(error)}"
