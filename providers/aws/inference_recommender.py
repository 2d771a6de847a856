"""SageMaker Inference Recommender job results as benchmark runs (`planner profiles import
--sagemaker-job NAME`), read through boto3's DescribeInferenceRecommendationsJob.

What the response holds, as the SageMaker API reference documents it: InferenceRecommendations,
each with EndpointConfiguration.InstanceType (and InitialInstanceCount), ModelConfiguration
.EnvironmentParameters (Key/Value; LMI's HF_MODEL_ID, TENSOR_PARALLEL_DEGREE) and Metrics:
MaxInvocations, "the expected maximum number of requests per minute for the instance", and
ModelLatency, "the expected model latency at maximum invocations per minute", in milliseconds.
Load-test (Advanced) jobs also list EndpointPerformances for endpoints the user named; those
carry no instance type and are not read.

A recommendation measures whole requests, not tokens: the run's TTFT and its TPOT are both
bounded by the request's latency (TTFT <= latency, TPOT <= latency / output tokens), so those
bounds are what the profile row records (conservative: the replica met at least that).
Request sizes are the job's sample payloads, which the response does not describe: the caller
gives them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from planner.errors import InputError, PlannerError
from planner.perf.bench_import import BenchRun
from providers.aws import sdk

TOOL = "sagemaker inference recommender"
AUTH_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnrecognizedClientException",
     "InvalidClientTokenId", "ExpiredTokenException", "SignatureDoesNotMatch"}
)  # fmt: skip


def sagemaker_client(region: str, endpoint_url: str | None = None) -> Any:
    """A boto3 SageMaker client with few retries (a dead endpoint fails fast)."""
    return sdk.client("sagemaker", region, endpoint_url, attempts=2,
                      purpose="planner profiles import --sagemaker-job")  # fmt: skip


def describe_job(client: Any, job: str) -> dict[str, Any]:
    """The job's DescribeInferenceRecommendationsJob response; InputError (exit 2) when the
    job does not exist or has not completed, PlannerError when AWS cannot be asked."""
    from botocore.exceptions import BotoCoreError, ClientError

    where = f"Inference Recommender job {job}"
    try:
        answer = client.describe_inference_recommendations_job(JobName=job)
    except ClientError as err:
        error = err.response.get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", str(err))
        if code in AUTH_CODES:
            raise PlannerError(
                f"{where}: access refused ({code}: {message}); check the AWS credentials and region"
            ) from None
        raise InputError(f"{where}: {code or 'error'}: {message}") from None
    except BotoCoreError as err:
        kind = type(err).__name__
        if kind in ("NoCredentialsError", "PartialCredentialsError"):
            raise PlannerError(f"{where}: no AWS credentials ({err})") from None
        raise PlannerError(f"{where}: cannot connect ({err})") from None
    status = answer.get("Status")
    if status != "COMPLETED":
        reason = answer.get("FailureReason") or ""
        raise InputError(
            f"{where}: status {status}, not COMPLETED{f' ({reason})' if reason else ''}; "
            "import it when it has finished"
        )
    return answer


def _field(where: str, data: Any, key: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise InputError(f"{where}: field '{key}': missing")
    return data[key]


def _positive(where: str, data: Any, key: str) -> float:
    value = _field(where, data, key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{where}: field '{key}': expected a number (got {value!r})")
    if value <= 0:
        raise InputError(f"{where}: field '{key}': expected a positive number (got {value!r})")
    return float(value)


def _environment(config: Any) -> dict[str, str]:
    params = config.get("EnvironmentParameters", []) if isinstance(config, dict) else []
    return {
        p["Key"]: str(p.get("Value", ""))
        for p in params
        if isinstance(p, dict) and isinstance(p.get("Key"), str)
    }


def recommendation_runs(
    answer: Mapping[str, Any],
    *,
    instances: Mapping[str, tuple[str, int]],
    input_tokens: float,
    output_tokens: float,
    model: str | None = None,
    tp: int | None = None,
) -> list[BenchRun]:
    """One run per recommendation of a completed job: requests/s per model replica at the
    recommended load, with the latency bounds above.

    `instances` maps a SageMaker instance type to its accelerator and count (the catalog's).
    TP is `tp`, else the recommendation's TENSOR_PARALLEL_DEGREE, else every accelerator of
    the instance (LMI's default); an instance holding several TP-sized replicas shares its
    invocations between them.
    """
    job = str(answer.get("JobName", "?"))
    found = answer.get("InferenceRecommendations")
    if not isinstance(found, list) or not found:
        raise InputError(f"Inference Recommender job {job}: no InferenceRecommendations")
    runs = []
    for i, rec in enumerate(found):
        where = f"Inference Recommender job {job}: InferenceRecommendations[{i}]"
        endpoint = _field(where, rec, "EndpointConfiguration")
        instance = _field(where, endpoint, "InstanceType")
        if not isinstance(instance, str) or instance not in instances:
            raise InputError(
                f"{where}: field 'EndpointConfiguration.InstanceType': not a SageMaker instance "
                f"type with accelerators in the catalog (got {instance!r})"
            )
        accelerator, count = instances[instance]
        metrics = _field(where, rec, "Metrics")
        per_minute = _positive(where, metrics, "MaxInvocations")
        latency_ms = _positive(where, metrics, "ModelLatency")
        env = _environment(rec.get("ModelConfiguration"))
        degree = tp or _degree(where, env.get("TENSOR_PARALLEL_DEGREE"), count)
        replicas = max(1, count // degree)
        runs.append(
            BenchRun(
                path=f"sagemaker:{job}#{i}",
                tool=TOOL,
                model=model or env.get("HF_MODEL_ID") or None,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                requests_per_s=per_minute / 60 / replicas,
                tpot_ms=latency_ms / output_tokens,
                ttft_ms=latency_ms,
                accelerator=accelerator,
                tp=degree,
            )
        )
    return runs


def _degree(where: str, given: str | None, count: int) -> int:
    if given in (None, "", "max"):
        return count
    try:
        value = int(given)
    except ValueError:
        raise InputError(
            f"{where}: field 'TENSOR_PARALLEL_DEGREE': expected a whole number (got {given!r})"
        ) from None
    if not 1 <= value <= count:
        raise InputError(
            f"{where}: field 'TENSOR_PARALLEL_DEGREE': {value} is not between 1 and the "
            f"instance's {count} accelerators"
        )
    return value
