"""A minimal client for Prometheus's HTTP API (/api/v1/query, /api/v1/query_range), urllib only.

Every failure becomes a PlannerError that names Prometheus and the URL (credentials removed).
"""

from __future__ import annotations

import base64
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from planner.errors import PlannerError
from planner.observe.model import Point


@dataclass(frozen=True)
class Series:
    """One result series: its labels and its (time, value) points (non-finite values dropped)."""

    labels: dict[str, str]
    points: tuple[Point, ...]


def redact(url: str) -> str:
    """`url` without a user name or password, for messages."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def _finite(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class PrometheusClient:
    """Queries one Prometheus server; `token` is sent as a bearer token when given."""

    url: str
    token: str | None = None
    timeout_s: float = 30.0

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
            return {"Authorization": f"Bearer {self.token}"}
        parts = urllib.parse.urlsplit(self.url)
        if not parts.username:
            return {}
        user = urllib.parse.unquote(parts.username)
        pair = f"{user}:{urllib.parse.unquote(parts.password or '')}"
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

    def _get(self, endpoint: str, params: dict[str, str], query: str) -> dict[str, Any]:
        base = redact(self.url).rstrip("/")
        request = urllib.request.Request(
            f"{base}/api/v1/{endpoint}?{urllib.parse.urlencode(params)}", headers=self.headers()
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                body = response.read()
        except urllib.error.HTTPError as err:
            raise self._http_error(err, query) from None
        except (TimeoutError, OSError) as err:  # URLError and connection errors are OSErrors
            reason = getattr(err, "reason", err)
            raise PlannerError(f"{self.where}: cannot connect ({reason})") from None
        data = self._json(body)
        if data.get("status") != "success":
            raise PlannerError(f"{self.where}: query failed ({_error_text(data)}): {query}")
        return data

    def _http_error(self, err: urllib.error.HTTPError, query: str) -> PlannerError:
        if err.code in (401, 403):
            return PlannerError(
                f"{self.where}: access refused (HTTP {err.code}); check the credentials "
                "(user:password@ in --url, or a bearer token with --token-env)"
            )
        try:
            data = json.loads(err.read() or b"{}")
        except ValueError:
            data = {}
        detail = _error_text(data) if isinstance(data, dict) and data else err.reason
        return PlannerError(f"{self.where}: query failed (HTTP {err.code}, {detail}): {query}")

    def _json(self, body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict) or "status" not in data:
            raise PlannerError(f"{self.where}: the answer is not Prometheus API JSON")
        return data

    def _series(self, data: dict[str, Any]) -> list[Series]:
        result = data.get("data", {})
        kind, rows = result.get("resultType"), result.get("result", [])
        if kind not in ("vector", "matrix"):
            raise PlannerError(f"{self.where}: unexpected result type {kind!r}")
        out = []
        for row in rows:
            pairs = [row["value"]] if kind == "vector" else row.get("values", [])
            points = tuple(
                Point(t=float(t), value=v) for t, text in pairs if (v := _finite(text)) is not None
            )
            out.append(Series(labels=dict(row.get("metric", {})), points=points))
        return out


def _error_text(data: dict[str, Any]) -> str:
    kind, error = data.get("errorType", "error"), data.get("error", "no reason given")
    return f"{kind}: {error}"
