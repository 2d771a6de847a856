"""The one way the planner makes and calls Google Cloud GAPIC clients (Vertex AI): Google's API
is a server like any other, untrusted, and gets the same bounds as every HTTP answer
(planner._http) and every AWS answer (providers.aws.sdk).

- Bytes travel through a requests transport adapter (`BoundedAdapter`), mounted on the
  `requests.Session` (google-auth's AuthorizedSession) that each REST transport and its
  long-running-operations transport made: requests' own way to change how a session sends.
  The answer's size is capped as it is read (decompressed), the whole request has a deadline
  (a server dripping one byte a second cannot hold the planner), no redirect is followed (a
  bearer token never leaves for another origin), and a credential holding a control character
  is never sent nor shown.
- Every answer is checked against the shape of what the launcher reads (an operation, an
  endpoint, a model, an error): types, ranges (counts are whole and not negative, a traffic
  share is 0-100, ids and labels have a grammar), before the SDK parses it; what the SDK still
  cannot parse is a ResponseError too: exit 2, naming the URL (no credentials) and the field.
- Retries are few and bounded: the launcher's own calls are not retried (Vertex's defaults),
  and polling a long-running operation retries an unavailable server for `POLL_RETRY_S` at most.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from planner import _http
from planner._http import (
    CREDENTIAL_HEADERS,
    CredentialError,
    ResponseError,
    check_credential,
    check_shape,
    decode_json,
    origin,
    redact_url,
    shape_types,
    shown,
)
from planner.errors import PlannerError

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0
"""Longest wait for the next bytes of an answer; the whole request has `DEADLINE_S`."""
DEADLINE_S = _http.DEADLINE_S
"""Longest one request may take, connecting and reading included."""
MAX_RESPONSE_BYTES = _http.MAX_RESPONSE_BYTES
"""Largest answer read (requests itself reads any size into memory)."""
POLL_RETRY_S = 30.0
"""Longest a poll of a long-running operation retries a server answering 503."""

Shape, _Number, Count = shape_types()
Percent = Annotated[int, Field(ge=0, le=100)]
Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,128}$")]
Label = Annotated[str, Field(pattern=r"^[\w-]{0,63}$")]
Text = Annotated[str, Field(max_length=4096)]


class Status(Shape):
    """google.rpc.Status: an operation's or an answer's error."""

    code: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    message: Text = ""
    details: tuple[dict[str, Any], ...] = ()


class ErrorAnswer(Shape):
    """The body of an HTTP error status (read by google-api-core for its message)."""

    error: Status


class Operation(Shape):
    """google.longrunning.Operation: what every call that changes something answers."""

    name: Text = ""
    done: bool = False
    error: Status | None = None
    response: dict[str, Any] | None = None


class MachineSpec(Shape):
    """The JSON names of the API, as sent."""

    machineType: Text = ""
    acceleratorCount: Count = 0


class DedicatedResources(Shape):
    machineSpec: MachineSpec | None = None
    minReplicaCount: Count = 0
    maxReplicaCount: Count = 0


class DeployedModel(Shape):
    id: Id
    model: Text = ""
    dedicatedResources: DedicatedResources | None = None


class Endpoint(Shape):
    """The fields of an endpoint the launcher reads: who made it, what is deployed on it."""

    name: Text = ""
    labels: dict[Label, Label] = Field(default_factory=dict)
    deployedModels: tuple[DeployedModel, ...] = ()
    trafficSplit: dict[Id, Percent] = Field(default_factory=dict)


class Model(Shape):
    name: Text = ""
    labels: dict[Label, Label] = Field(default_factory=dict)


_OPERATION = re.compile(r"/operations/[^/:]+$")
_ENDPOINT = re.compile(r"/endpoints/[^/:]+$")
_MODEL = re.compile(r"/models/[^/:]+$")


def answer_shape(method: str, path: str) -> Any:
    """The shape of a successful answer to `method` on `path`: an operation for whatever
    changes something (and for a poll), else the resource read; None for anything else."""
    if _OPERATION.search(path) or method in ("POST", "DELETE"):
        return Operation
    if _ENDPOINT.search(path):
        return Endpoint
    if _MODEL.search(path):
        return Model
    return None


def check_answer(method: str, url: str, status: int, body: bytes) -> None:
    """`body` is an answer Vertex AI sends: a ResponseError naming the URL and field if not.

    An error status's body that is not JSON at all (a proxy's HTML page) is left to the SDK,
    which shows its text; JSON of another shape is refused (the SDK would fail on it)."""
    if status >= 400:
        import json

        try:
            json.loads(body)
        except (ValueError, RecursionError):
            return
        check_shape(ErrorAnswer, _object(decode_json(body, url), url), url)
        return
    data = _object(decode_json(body, url), url)
    shape = answer_shape(method, urllib.parse.urlsplit(url).path)
    if shape is not None:
        check_shape(shape, data, url)
    if shape is Endpoint:
        split = sum(data.get("trafficSplit", {}).values())
        if split > 100:
            raise ResponseError(f"{redact_url(url)}: field 'trafficSplit': the shares add up "
                                f"to {split}, more than 100")  # fmt: skip


def _object(data: Any, url: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ResponseError(f"{redact_url(url)}: field '(the answer)': expected a JSON object, "
                            f"got {type(data).__name__}")  # fmt: skip
    return data


class _Decoded:
    """urllib3's raw answer read as planner._http reads any answer (`read1`): decompressed,
    with urllib3's own read errors as the OSError the bounded reader reports."""

    def __init__(self, raw: Any):
        self._raw = raw

    def read1(self, size: int) -> bytes:
        from urllib3.exceptions import HTTPError

        try:
            return self._raw.read1(size, decode_content=True)
        except HTTPError as err:
            raise OSError(type(err).__name__) from None


def adapter() -> Any:
    """A `requests` transport adapter under the planner's bounds (made lazily: requests is
    imported only by a verb that calls Google)."""
    import io

    import requests
    from requests.adapters import HTTPAdapter

    class BoundedAdapter(HTTPAdapter):
        """Sends like requests' own adapter, then reads the whole answer under the cap and
        the deadline, refuses a redirect, and checks the answer's shape."""

        def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
            url = request.url
            for name, value in request.headers.items():
                if name.lower() in CREDENTIAL_HEADERS:
                    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    check_credential(text, f"the {name} header")
            start = time.monotonic()
            try:
                response = super().send(request, stream=True,
                                        timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
                                        verify=verify, cert=cert, proxies=proxies)  # fmt: skip
            except requests.exceptions.RequestException as err:
                raise PlannerError(
                    f"{redact_url(url)}: no answer from the server ({type(err).__name__})"
                ) from None
            with response:
                if response.is_redirect:
                    target = urllib.parse.urljoin(url, response.headers["location"])
                    scheme, host, port = origin(target)
                    where = "another origin, " if origin(target) != origin(url) else ""
                    raise ResponseError(
                        f"{redact_url(url)}: redirected (HTTP {response.status_code}) to "
                        f"{where}{scheme}://{host}:{port}; not followed, so no credential is "
                        "sent there (Vertex AI's API does not redirect)"
                    )
                error = response.status_code >= 400
                data = _http.read_body(
                    _Decoded(response.raw),
                    _http.MAX_ERROR_BYTES if error else MAX_RESPONSE_BYTES,
                    start + (min(DEADLINE_S, 10.0) if error else DEADLINE_S),
                    url,
                    cut=error,
                )
            check_answer(request.method, url, response.status_code, data)
            response.raw = io.BytesIO(data)
            return response

    return BoundedAdapter()


def bound(session: Any) -> None:
    """Mount the bounded adapter on `session` (a requests.Session) for every URL it sends to.

    A session set up for mutual TLS (GOOGLE_API_USE_CLIENT_CERTIFICATE) keeps google-auth's own
    adapter, which cannot be bounded: it is refused rather than left unbounded."""
    if getattr(session, "is_mtls", False):
        raise PlannerError(
            "Vertex AI over mutual TLS (GOOGLE_API_USE_CLIENT_CERTIFICATE=true) is not "
            "supported by the launcher: unset it"
        )
    mounted = adapter()
    session.mount("https://", mounted)
    session.mount("http://", mounted)
    session.max_redirects = 0


def bounded_client(cls: Any, **kwargs: Any) -> Any:
    """A GAPIC client of `cls` over REST whose every request, including the polls of its
    long-running operations, goes through the bounded adapter.

    The REST transports make their own AuthorizedSession and take none as an argument, so the
    adapter is mounted on the session each made; a release that no longer keeps it where it
    did is refused (never left unbounded)."""
    made = cls(transport="rest", **kwargs)
    transports = [made.transport, made.transport.operations_client.transport]
    for transport in transports:
        session = getattr(transport, "_session", None)
        if session is None or not hasattr(session, "mount"):
            raise PlannerError(
                f"this google-cloud-aiplatform release's {type(transport).__name__} keeps no "
                "requests session the planner can bound; install the version pyproject.toml names"
            )
        bound(session)
    return Checked(made)


class Checked:
    """A GAPIC client whose calls turn an answer the SDK cannot parse into a ResponseError
    naming the API endpoint and the call, and a header requests refuses to send (a credential
    with a control character) into a CredentialError that does not show it."""

    def __init__(self, inner: Any):
        self._inner = inner
        self.where = redact_url(_url(inner.api_endpoint))

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)
        if not callable(method) or name.startswith("_"):
            return method
        where = f"{self.where} {name}"
        call = guarded(where, method)

        def run(*args: Any, **kwargs: Any) -> Any:
            from google.api_core.operation import Operation

            answer = call(*args, **kwargs)
            return Waited(answer, where) if isinstance(answer, Operation) else answer

        return run


class Waited:
    """A long-running operation whose wait is bounded: `timeout_s` in all, polls retrying an
    unavailable server for `POLL_RETRY_S`, an answer the SDK cannot parse a ResponseError."""

    def __init__(self, operation: Any, where: str):
        self.operation = operation
        self.where = where

    def result(self, timeout: float) -> Any:
        wait = guarded(f"{self.where} (waiting for its operation)", self.operation.result)
        from google.api_core.exceptions import GoogleAPICallError, RetryError

        try:
            return wait(timeout=timeout, retry=poll_retry())
        except TimeoutError as err:
            # google-api-core reports a poll that kept failing as a timeout too
            failing = err.__context__
            if isinstance(failing, RetryError) and isinstance(failing.cause, GoogleAPICallError):
                raise PlannerError(
                    f"{self.where}: polling its operation kept failing for "
                    f"{POLL_RETRY_S:g} s: {failing.cause}"
                ) from None
            raise PlannerError(
                f"{self.where}: the operation had not finished after {timeout:g} s "
                "(raise --timeout to wait longer)"
            ) from None


def _url(endpoint: str) -> str:
    return endpoint if "://" in endpoint else f"https://{endpoint}"


def guarded(where: str, call: Callable[..., Any]) -> Callable[..., Any]:
    """`call`, with the SDK's parsing failures and refused headers in the planner's words."""

    def run(*args: Any, **kwargs: Any) -> Any:
        from requests.exceptions import InvalidHeader

        try:
            return call(*args, **kwargs)
        except InvalidHeader:
            raise CredentialError(
                f"{where}: a credential or header holds a control character (a newline in a "
                "token?); nothing was sent (it is not shown here)"
            ) from None
        except (ResponseError, PlannerError, TimeoutError):
            raise
        except Exception as err:
            if not _from_parsing(err):
                raise
            raise ResponseError(
                f"{where}: the answer is not one Vertex AI sends "
                f"({type(err).__name__}: {shown(str(err), 120)})"
            ) from None

    return run


def _from_parsing(err: Exception) -> bool:
    """An error raised while the SDK read an answer: protobuf's ParseError, or a TypeError,
    ValueError... raised inside protobuf, proto-plus or google-api-core's helpers."""
    from google.protobuf.json_format import ParseError

    if isinstance(err, ParseError | RecursionError | OverflowError):
        return True
    tb, innermost = err.__traceback__, ""
    while tb is not None:
        innermost = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return any(part in innermost for part in ("protobuf", "/proto/", "api_core"))


def poll_retry() -> Any:
    """How a poll of a long-running operation retries: an unavailable server (503) for
    `POLL_RETRY_S` at most, with backoff."""
    from google.api_core import exceptions, retry

    return retry.Retry(
        predicate=retry.if_exception_type(exceptions.ServiceUnavailable),
        initial=0.5,
        maximum=10.0,
        multiplier=2.0,
        timeout=POLL_RETRY_S,
    )
