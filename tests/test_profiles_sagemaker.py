"""`planner profiles import --sagemaker-job`: SageMaker Inference Recommender results into
profile rows, read through boto3 from a local fake of the SageMaker API (moto does not
implement DescribeInferenceRecommendationsJob). The fake answers with the response shape the
SageMaker API reference documents; boto3's own client serialises the call and parses it."""

from __future__ import annotations

import csv

import pytest

from tests.fakes.server import FakeServer, Reply, Request

TARGET = "SageMaker.DescribeInferenceRecommendationsJob"


def recommendation(instance: str, per_minute: float, latency_ms: float, env=None) -> dict:
    return {
        "RecommendationId": f"rec-{instance}",
        "Metrics": {
            "CostPerHour": 1.5,
            "CostPerInference": 0.0001,
            "MaxInvocations": per_minute,
            "ModelLatency": latency_ms,
            "CpuUtilization": 12.5,
            "MemoryUtilization": 40.0,
            "ModelSetupTime": 300,
        },
        "EndpointConfiguration": {
            "EndpointName": f"sm-epc-{instance.replace('.', '-')}",
            "VariantName": "AllTraffic",
            "InstanceType": instance,
            "InitialInstanceCount": 1,
        },
        "ModelConfiguration": {
            "EnvironmentParameters": [
                {"Key": k, "ValueType": "String", "Value": v} for k, v in (env or {}).items()
            ]
        },
        "InvocationStartTime": 1764547200.0,
        "InvocationEndTime": 1764550800.0,
    }


def job(name: str, status: str = "COMPLETED", recommendations=None) -> dict:
    return {
        "JobName": name,
        "JobDescription": "llama 8b on g5",
        "JobType": "Default",
        "JobArn": f"arn:aws:sagemaker:us-east-1:123456789012:inference-recommendations-job/{name}",
        "RoleArn": "arn:aws:iam::123456789012:role/recommender",
        "Status": status,
        "CreationTime": 1764540000.0,
        "LastModifiedTime": 1764551000.0,
        "InputConfig": {"ModelName": "llama-8b-lmi", "JobDurationInSeconds": 7200},
        "InferenceRecommendations": recommendations or [],
    }


class Recommender:
    """Completed and running jobs by name; every request is recorded by the server."""

    def __init__(self, jobs: dict[str, dict]):
        self.jobs = jobs

    def route(self, request: Request) -> Reply:
        if request.headers.get("x-amz-target") != TARGET:
            return Reply(400, {"__type": "UnknownOperationException", "message": "not faked"})
        name = (request.body or {}).get("JobName")
        if name not in self.jobs:
            return Reply(
                400,
                {"__type": "ResourceNotFound", "message": f"Could not find job {name}"},
            )
        return Reply(200, self.jobs[name])


@pytest.fixture
def aws_env(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_REGION", raising=False)


JOBS = {
    "llama-g5": job(
        "llama-g5",
        recommendations=[
            recommendation("ml.g5.2xlarge", 120, 4000, {"HF_MODEL_ID": "meta-llama/Llama-3.1-8B"}),
            recommendation(
                "ml.g5.12xlarge",
                600,
                2500,
                {"HF_MODEL_ID": "meta-llama/Llama-3.1-8B", "TENSOR_PARALLEL_DEGREE": "2"},
            ),
        ],
    ),
    "still-running": job("still-running", status="IN_PROGRESS"),
}


def run_import(cli, tmp_path, *extra: str):
    out = tmp_path / "profiles.csv"
    with FakeServer(Recommender(JOBS).route, "application/x-amz-json-1.1") as fake:
        result = cli(
            "profiles", "import", "--sagemaker-job", "llama-g5", "--region", "us-east-1",
            "--endpoint-url", fake.url, "--input-tokens", "500", "--output-tokens", "200",
            "-o", out, *extra,
        )  # fmt: skip
    return result, out, fake


def rows(path) -> list[dict]:
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines))


def test_each_recommendation_becomes_a_row_per_replica_with_latency_bounds(cli, tmp_path, aws_env):
    result, out, fake = run_import(cli, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert [r.body for r in fake.requests] == [{"JobName": "llama-g5"}]
    found = {(r["accelerator"], r["tp"]): r for r in rows(out)}
    assert set(found) == {("A10G", "1"), ("A10G", "2")}
    one = found[("A10G", "1")]
    assert one["model"] == "llama-3.1-8b"
    assert (one["input_tokens"], one["output_tokens"]) == ("500", "200")
    assert float(one["max_rps"]) == pytest.approx(2.0)  # 120 per minute, one replica
    assert float(one["tpot_ms"]) == pytest.approx(20.0)  # 4,000 ms over 200 tokens: a bound
    assert float(one["ttft_ms"]) == pytest.approx(4000)
    # ml.g5.12xlarge holds 4 A10G: TP 2 makes two replicas sharing 600 invocations/minute.
    assert float(found[("A10G", "2")]["max_rps"]) == pytest.approx(5.0)


def test_an_slo_keeps_the_recommendations_that_meet_it(cli, tmp_path, aws_env):
    result, out, _ = run_import(cli, tmp_path, "--tpot-ms", "15")
    assert result.exit_code == 0, result.stderr
    assert [(r["tp"], r["tpot_ms"]) for r in rows(out)] == [("2", "15")]
    assert "none of 1 run(s) met the SLO" in result.stderr


def test_the_imported_rows_are_profiles_plan_reads(cli, tmp_path, aws_env):
    from planner.perf import load_profiles

    result, out, _ = run_import(cli, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert len(load_profiles(out).points) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sagemaker-job", "missing"], "ResourceNotFound"),
        (["--sagemaker-job", "still-running"], "IN_PROGRESS"),
    ],
)
def test_a_missing_or_unfinished_job_exits_2_naming_it(cli, tmp_path, aws_env, args, message):
    with FakeServer(Recommender(JOBS).route, "application/x-amz-json-1.1") as fake:
        result = cli(
            "profiles", "import", *args, "--region", "us-east-1", "--endpoint-url", fake.url,
            "--input-tokens", "500", "--output-tokens", "200", "-o", tmp_path / "p.csv",
        )  # fmt: skip
    assert result.exit_code == 2
    assert args[1] in result.stderr and message in result.stderr
    assert not (tmp_path / "p.csv").exists()


def test_request_sizes_and_region_are_required(cli, tmp_path, aws_env):
    base = ["profiles", "import", "--sagemaker-job", "llama-g5", "-o", tmp_path / "p.csv"]
    no_region = cli(*base, "--input-tokens", "500", "--output-tokens", "200")
    assert no_region.exit_code == 2 and "--region" in no_region.stderr
    no_sizes = cli(*base, "--region", "us-east-1")
    assert no_sizes.exit_code == 2 and "--input-tokens" in no_sizes.stderr
    nothing = cli("profiles", "import", "-o", tmp_path / "p.csv")
    assert nothing.exit_code == 2 and "--sagemaker-job" in nothing.stderr


def test_a_recommendation_on_an_unknown_instance_type_names_the_field():
    from planner.errors import InputError
    from providers.aws.inference_recommender import recommendation_runs

    answer = job("j", recommendations=[recommendation("ml.c5.xlarge", 60, 100)])
    with pytest.raises(InputError, match=r"InferenceRecommendations\[0\].*InstanceType"):
        recommendation_runs(
            answer, instances={"ml.g5.2xlarge": ("A10G", 1)}, input_tokens=1, output_tokens=1
        )
    answer = job("j", recommendations=[recommendation("ml.g5.2xlarge", 0, 100)])
    with pytest.raises(InputError, match="MaxInvocations"):
        recommendation_runs(
            answer, instances={"ml.g5.2xlarge": ("A10G", 1)}, input_tokens=1, output_tokens=1
        )
