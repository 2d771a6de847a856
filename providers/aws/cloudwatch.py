"""Observing a plan's SageMaker endpoints through CloudWatch's get_metric_data, per variant.

Endpoints and variants are named by the provider registry (planner.clouds.aws), as `planner emit`
and `planner launch` name them. CloudWatch sums have no counter resets; a step without datapoints
is left out (never read as zero). SageMaker reports no token counts, TTFT or TPOT: those stay
unmeasured.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from planner._http import ResponseError, check_shape
from planner.clouds.aws import endpoint_name, variant_name
from planner.emit.groups import endpoint_groups
from planner.errors import InputError, PlannerError
from planner.extras import require
from planner.observe.model import NO_DATA, Observation, Point, WorkloadObservation
from planner.observe.stats import hourly_profile, mean, percentile
from planner.observe.window import aligned_window
from planner.plans.model import Allocation, Plan
from providers.aws import sdk
from providers.refresh_common import NULL_PROGRESS, pages

Clients = Callable[[str, str], Any]
Data = dict[str, list[tuple[float, float]]]
"""(timestamp, value) pairs per get_metric_data query id."""
ENDPOINT_NS = "AWS/SageMaker"
INSTANCE_NS = "/aws/sagemaker/Endpoints"
MAX_QUERIES = 500
AUTH_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
    }
)
AGGREGATES = (
    ("latency_mean", ENDPOINT_NS, "ModelLatency", "Average"),
    ("latency_p95", ENDPOINT_NS, "ModelLatency", "p95"),
    ("overhead_mean", ENDPOINT_NS, "OverheadLatency", "Average"),
    ("gpu", INSTANCE_NS, "GPUUtilization", "Average"),
    ("gpu_memory", INSTANCE_NS, "GPUMemoryUtilization", "Average"),
    ("cpu", INSTANCE_NS, "CPUUtilization", "Average"),
)
"""Per variant, one figure over the whole window: (key, namespace, metric, statistic)."""


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Result(_Read):
    Id: str
    Timestamps: list[datetime] = []
    Values: list[Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]] = []
    """Invocations, latencies (microseconds) and utilisations: none is negative."""


class MetricDataPage(_Read):
    """get_metric_data: the fields read, with their ranges."""

    MetricDataResults: list[_Result] = []
    NextToken: str | None = None


class _Variant(_Read):
    VariantName: str
    CurrentInstanceCount: int = Field(default=0, ge=0, le=100_000)


class EndpointAnswer(_Read):
    """describe_endpoint: the variants' instance counts."""

    ProductionVariants: list[_Variant] = []


@dataclass(frozen=True)
class Variant:
    """One production variant of one endpoint: an allocation of the plan."""

    index: int
    workload: str
    region: str
    endpoint: str
    variant: str
    allocation: Allocation


def plan_variants(plan: Plan) -> list[Variant]:
    """The plan's SageMaker variants, named as the emitter and launcher name them."""
    out: list[Variant] = []
    for group in endpoint_groups(plan, "sagemaker"):
        for k, item in enumerate(group.members):
            a = item.allocation
            out.append(
                Variant(
                    len(out),
                    group.workload,
                    group.region,
                    endpoint_name(group.workload),
                    variant_name(k, a.instance_type),
                    a,
                )
            )
    return out


def _query(qid: str, v: Variant, namespace: str, metric: str, stat: str, period: int) -> dict:
    dimensions = [
        {"Name": "EndpointName", "Value": v.endpoint},
        {"Name": "VariantName", "Value": v.variant},
    ]
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": True,
    }


def metric_queries(variants: Iterable[Variant], step_s: float, window_s: float) -> list[dict]:
    """get_metric_data queries: Invocations per step, the rest once over the window."""
    queries = []
    for v in variants:
        queries.append(
            _query(f"v{v.index}_invocations", v, ENDPOINT_NS, "Invocations", "Sum", int(step_s))
        )
        for key, namespace, metric, stat in AGGREGATES:
            queries.append(_query(f"v{v.index}_{key}", v, namespace, metric, stat, int(window_s)))
    return queries


def _cloud_error(err: Exception, where: str) -> PlannerError:
    response = getattr(err, "response", None) or {}
    error = response.get("Error", {})
    code, message = error.get("Code", ""), error.get("Message", str(err))
    kind = type(err).__name__
    if code in AUTH_CODES or kind in ("NoCredentialsError", "PartialCredentialsError"):
        return PlannerError(
            f"{where}: access refused ({code or kind}: {message}); "
            "check the AWS credentials and region"
        )
    if code:
        return PlannerError(f"{where}: query failed ({code}: {message})")
    return PlannerError(f"{where}: cannot connect ({err})")


def fetch(cloudwatch: Any, queries: list[dict], start: float, end: float, where: str) -> Data:
    """(timestamp, value) pairs per query id, oldest first, paging through every answer."""
    from botocore.exceptions import BotoCoreError, ClientError

    found: Data = {q["Id"]: [] for q in queries}
    url = getattr(cloudwatch.get_metric_data, "where", where)
    for first in range(0, len(queries), MAX_QUERIES):

        def page(token: str | None, first: int = first) -> tuple[list[Any], str | None]:
            params: dict[str, Any] = {
                "MetricDataQueries": queries[first : first + MAX_QUERIES],
                "StartTime": datetime.fromtimestamp(start, UTC),
                "EndTime": datetime.fromtimestamp(end, UTC),
                "ScanBy": "TimestampAscending",
            }
            if token:
                params["NextToken"] = token
            try:
                answer = cloudwatch.get_metric_data(**params)
            except (BotoCoreError, ClientError) as err:
                raise _cloud_error(err, where) from None
            read = check_shape(MetricDataPage, answer, url)
            return list(read.MetricDataResults), read.NextToken

        for result in pages(page, NULL_PROGRESS, f"{where}: get_metric_data"):
            if result.Id not in found:
                raise ResponseError(f"{url}: field 'MetricDataResults.Id': {result.Id!r} was "
                                    "not asked for")  # fmt: skip
            found[result.Id] += [
                (t.timestamp(), v) for t, v in zip(result.Timestamps, result.Values, strict=False)
            ]
    return {k: sorted(v) for k, v in found.items()}


def instance_counts(sagemaker: Any, endpoint: str) -> dict[str, int] | None:
    """CurrentInstanceCount per variant, or None when the endpoint cannot be described."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        described = sagemaker.describe_endpoint(EndpointName=endpoint)
    except (BotoCoreError, ClientError):
        return None
    url = getattr(sagemaker.describe_endpoint, "where", f"endpoint {endpoint}")
    read = check_shape(EndpointAnswer, described, url)
    return {v.VariantName: v.CurrentInstanceCount for v in read.ProductionVariants}


def _weighted(pairs: list[tuple[float | None, float]]) -> float | None:
    kept = [(v, w) for v, w in pairs if v is not None]
    total = sum(w for _, w in kept)
    if not kept:
        return None
    if total <= 0:
        return mean([v for v, _ in kept])
    return math.fsum(v * w for v, w in kept) / total


def _last(data: Data, v: Variant, key: str) -> float | None:
    found = data.get(f"v{v.index}_{key}", [])
    return found[-1][1] if found else None


def _by_calls(data: Data, variants: list[Variant], served: dict[int, float], key: str):
    """A latency in ms, averaged over variants weighted by their invocations."""
    pairs = [(_last(data, v, key), served.get(v.index, 0.0)) for v in variants]
    return _weighted([(None if x is None else x / 1000, w) for x, w in pairs])


def _by_instances(data: Data, variants: list[Variant], key: str, per_gpu: bool):
    """A utilisation as a fraction, averaged over variants weighted by their instances.

    SageMaker reports 100 per fully busy GPU (or vCPU) of an instance; GPUs are divided out.
    """
    pairs = []
    for v in variants:
        x = _last(data, v, key)
        gpus = v.allocation.accelerators_per_instance if per_gpu else 1
        pairs.append((None if x is None else x / 100 / gpus, float(v.allocation.count)))
    return _weighted(pairs)


def _replicas(variants: list[Variant], counts: dict[tuple[str, str], dict[str, int] | None]):
    """Model replicas running now, when every variant's endpoint could be described."""
    total = 0
    for v in variants:
        found = counts.get((v.region, v.endpoint))
        if found is None or v.variant not in found:
            return None
        total += found[v.variant] * v.allocation.replicas_per_instance
    return float(total)


def summarise(
    name: str,
    variants: list[Variant],
    data: Data,
    counts: dict[tuple[str, str], dict[str, int] | None],
    step_s: float,
) -> WorkloadObservation:
    """One workload's observation from its variants' datapoints (data to data)."""
    per_step: dict[float, float] = {}
    served: dict[int, float] = {}
    for v in variants:
        for t, value in data.get(f"v{v.index}_invocations", []):
            per_step[t + step_s] = per_step.get(t + step_s, 0.0) + value
            served[v.index] = served.get(v.index, 0.0) + value
    points = tuple(Point(t=t, value=total / step_s) for t, total in sorted(per_step.items()))
    values = [p.value for p in points]
    p95s = [x / 1000 for v in variants if (x := _last(data, v, "latency_p95")) is not None]
    endpoints = sorted({f"{v.endpoint} ({v.region})" for v in variants})
    return WorkloadObservation(
        workload=name,
        status="ok" if points else NO_DATA,
        note="" if points else f"no Invocations datapoints for endpoint {', '.join(endpoints)}",
        rps_mean=mean(values),
        rps_p95=percentile(values, 0.95),
        rps_steps=points,
        hourly_profile=hourly_profile(points, step_s),
        request_latency_mean_ms=_by_calls(data, variants, served, "latency_mean"),
        request_latency_p95_ms=max(p95s) if p95s else None,
        overhead_latency_mean_ms=_by_calls(data, variants, served, "overhead_mean"),
        gpu_utilisation=_by_instances(data, variants, "gpu", per_gpu=True),
        gpu_memory_utilisation=_by_instances(data, variants, "gpu_memory", per_gpu=True),
        cpu_utilisation=_by_instances(data, variants, "cpu", per_gpu=False),
        replicas=_replicas(variants, counts),
    )


def aws_clients(endpoint_url: str | None = None) -> Clients:
    """A cached boto3 client per (service, region): few retries, so a dead endpoint fails fast."""
    boto3 = require("boto3", "aws", "planner observe --source cloudwatch")
    session = boto3.session.Session()
    cache: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in cache:
            cache[(service, region)] = sdk.client(service, region, endpoint_url, attempts=2,
                                                  session=session)  # fmt: skip
        return cache[(service, region)]

    return client


@dataclass(frozen=True)
class CloudWatchSource:
    """CloudWatch as a metrics source for a plan's SageMaker endpoints (all its regions, or one)."""

    clients: Clients
    region: str | None = None
    endpoint_url: str | None = None

    def observe(self, plan: Plan, window_s: float, step_s: float, now: float) -> Observation:
        return observe_cloudwatch(
            plan, self.clients, window_s, step_s, now, self.region, self.endpoint_url
        )


def observe_cloudwatch(
    plan: Plan,
    clients: Clients,
    window_s: float,
    step_s: float,
    now: float,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> Observation:
    """What CloudWatch recorded for each SageMaker-served workload of `plan` over the window."""
    if step_s % 60 or window_s % 60:
        raise InputError("CloudWatch needs --step and --window in whole minutes (e.g. 5m, 24h)")
    variants = [v for v in plan_variants(plan) if region is None or v.region == region]
    start, end = aligned_window(now, window_s, step_s)
    data: Data = {}
    counts: dict[tuple[str, str], dict[str, int] | None] = {}
    notes = []
    at = f" at {endpoint_url}" if endpoint_url else ""
    for where in sorted({v.region for v in variants}):
        mine = [v for v in variants if v.region == where]
        data |= fetch(
            clients("cloudwatch", where),
            metric_queries(mine, step_s, window_s),
            start,
            end,
            f"cloudwatch in {where}{at}",
        )
        for endpoint in sorted({v.endpoint for v in mine}):
            counts[(where, endpoint)] = instance_counts(clients("sagemaker", where), endpoint)
            if counts[(where, endpoint)] is None:
                notes.append(f"endpoint {endpoint} in {where} not described: replicas unknown")
    names = [w.name for w in plan.workloads if w.kind == "serving"]
    off = [n for n in names if not any(v.workload == n for v in variants)]
    if off:
        notes.append(f"not on SageMaker{' in ' + region if region else ''}: {', '.join(off)}")
    return Observation(
        source="cloudwatch",
        url=f"{endpoint_url or 'cloudwatch'} ({region or 'regions of the plan'})",
        plan_id=plan.plan_id,
        start=start,
        end=end,
        step_s=step_s,
        workloads=tuple(
            summarise(n, [v for v in variants if v.workload == n], data, counts, step_s)
            if any(v.workload == n for v in variants)
            else WorkloadObservation(workload=n, status=NO_DATA, note="no SageMaker endpoint")
            for n in names
        ),
        notes=tuple(notes),
    )
