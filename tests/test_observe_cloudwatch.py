"""`planner observe --source cloudwatch` against moto: SageMaker endpoint metrics put with
put_metric_data, read back per variant with get_metric_data; endpoints made by the launcher."""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from planner.plans.io import load_plan
from planner.plans.model import Plan
from providers.aws.cloudwatch import aws_clients, observe_cloudwatch, plan_variants
from tests.fakes.moto_server import moto_aws

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "tests" / "golden" / "plans" / "sagemaker-endpoint.json"
STEP_S, WINDOW_S = 300, 3600
PER_STEP = {  # Invocations per 5 minutes, per variant: 1 + 7 = 8 requests/s in all
    ("us-east-1", "v0-g6-xlarge"): 300,
    ("us-west-2", "v0-g6e-xlarge"): 2100,
}
MODERN = ("ml.g6.", "ml.g6e.")


@pytest.fixture
def aws(monkeypatch, tmp_path):
    """moto's server on 127.0.0.1 with fake credentials; no profile or config file of the
    machine read."""
    from moto.sagemaker.models import FakeEndpointConfig

    # moto 5.2 checks InstanceType against an old list without ml.g5/ml.g6e; widen it here only.
    original = FakeEndpointConfig.validate_instance_type
    monkeypatch.setattr(
        FakeEndpointConfig,
        "validate_instance_type",
        lambda self, t: None if t.startswith(MODERN) else original(self, t),
    )
    # moto 5.2 answers percentile statistics (p95) with None, which its own serializer then
    # fails on; give it the nearest-rank percentile of the raw values, here only.
    from moto.cloudwatch.models import Statistics

    plain = Statistics.get_statistics_for_type

    def with_percentiles(self, stat: str):
        if not stat.startswith("p"):
            return plain(self, stat)
        values = sorted(self.metric_single_values_list)
        rank = max(0, math.ceil(float(stat[1:]) / 100 * len(values)) - 1)
        return values[rank] if values else None

    monkeypatch.setattr(Statistics, "get_statistics_for_type", with_percentiles)
    with moto_aws(str(tmp_path)):
        yield


def _plan() -> Plan:
    return load_plan(PLAN)


def _put_metrics(now: float) -> None:
    import boto3

    end = (now // STEP_S) * STEP_S
    for (region, variant), calls in PER_STEP.items():
        cw = boto3.client("cloudwatch", region_name=region)
        dims = [
            {"Name": "EndpointName", "Value": "support-chat"},
            {"Name": "VariantName", "Value": variant},
        ]
        for k in range(WINDOW_S // STEP_S):
            at = datetime.fromtimestamp(end - (k + 1) * STEP_S + 30, UTC)
            cw.put_metric_data(
                Namespace="AWS/SageMaker",
                MetricData=[
                    {
                        "MetricName": "Invocations",
                        "Dimensions": dims,
                        "Timestamp": at,
                        "Value": calls,
                        "Unit": "None",
                    },
                    {
                        "MetricName": "ModelLatency",
                        "Dimensions": dims,
                        "Timestamp": at,
                        "Value": 800_000.0 if variant.startswith("v0-g6-") else 400_000.0,
                        "Unit": "Microseconds",
                    },
                    {
                        "MetricName": "OverheadLatency",
                        "Dimensions": dims,
                        "Timestamp": at,
                        "Value": 2_000.0,
                        "Unit": "Microseconds",
                    },
                ],
            )
            cw.put_metric_data(
                Namespace="/aws/sagemaker/Endpoints",
                MetricData=[
                    {
                        "MetricName": "GPUUtilization",
                        "Dimensions": dims,
                        "Timestamp": at,
                        "Value": 60.0,
                        "Unit": "Percent",
                    },
                    {
                        "MetricName": "GPUMemoryUtilization",
                        "Dimensions": dims,
                        "Timestamp": at,
                        "Value": 70.0,
                        "Unit": "Percent",
                    },
                    {
                        "MetricName": "CPUUtilization",
                        "Dimensions": dims,
                        "Timestamp": at,
                        "Value": 150.0,
                        "Unit": "Percent",
                    },
                ],
            )


def test_variants_are_named_as_the_emitter_names_them():
    found = {(v.region, v.endpoint, v.variant) for v in plan_variants(_plan())}
    assert found == {
        ("us-east-1", "support-chat", "v0-g6-xlarge"),
        ("us-west-2", "support-chat", "v0-g6e-xlarge"),
    }


def test_invocations_and_utilisation_read_back(aws):
    now = time.time()
    _put_metrics(now)
    obs = observe_cloudwatch(_plan(), aws_clients(), WINDOW_S, STEP_S, now)
    chat = obs.of("support-chat")
    assert chat.status == "ok"
    assert chat.rps_mean == pytest.approx(8.0, rel=0.02)
    assert chat.rps_p95 == pytest.approx(8.0, rel=0.02)
    assert len(chat.rps_steps) == WINDOW_S // STEP_S
    # invocation-weighted: (1 x 800 + 7 x 400) / 8 ms
    assert chat.request_latency_mean_ms == pytest.approx(450.0)
    assert chat.request_latency_p95_ms == pytest.approx(800.0)  # the slowest variant's
    assert chat.overhead_latency_mean_ms == pytest.approx(2.0)
    assert chat.gpu_utilisation == pytest.approx(0.6)
    assert chat.gpu_memory_utilisation == pytest.approx(0.7)
    assert chat.cpu_utilisation == pytest.approx(1.5)
    assert chat.input_tokens is None and chat.tpot_p95_ms is None  # SageMaker has no such metric
    assert chat.replicas is None  # the endpoints were never made here
    assert any("not described" in n for n in obs.notes)


def test_replicas_come_from_the_endpoints_the_launcher_made(aws):
    from providers.aws.sagemaker import SageMakerLauncher, Waiting, boto3_clients

    plan = _plan()
    SageMakerLauncher(boto3_clients(), Waiting(timeout_s=5, poll_s=0)).apply(
        plan, role_arn="arn:aws:iam::123456789012:role/test"
    )
    now = time.time()
    _put_metrics(now)
    chat = observe_cloudwatch(plan, aws_clients(), WINDOW_S, STEP_S, now).of("support-chat")
    assert chat.replicas == 7  # 6 in us-west-2, 1 in us-east-1


def test_a_workload_without_datapoints_has_no_data(aws):
    plan = _plan()
    only_east = observe_cloudwatch(plan, aws_clients(), WINDOW_S, STEP_S, time.time(), "us-east-1")
    chat = only_east.of("support-chat")
    assert chat.status == "no data" and chat.rps_mean is None
    assert "support-chat (us-east-1)" in chat.note


def test_cli_observe_cloudwatch_json(aws, cli, tmp_path):
    _put_metrics(time.time())
    result = cli(
        "observe",
        "--plan",
        PLAN,
        "--source",
        "cloudwatch",
        "--window",
        "1h",
        "--step",
        "5m",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    figures = {f["metric"]: f for f in data["workloads"][0]["figures"]}
    assert figures["requests/s mean"]["observed"] == pytest.approx(8.0, rel=0.02)
    assert figures["requests/s mean"]["planned"] == 16.0
    assert figures["requests/s mean"]["drift"] == pytest.approx(-0.5, abs=0.01)
    assert figures["request latency mean"]["observed"] == pytest.approx(450.0)


def test_cloudwatch_steps_must_be_whole_minutes(aws, cli):
    result = cli(
        "observe", "--plan", PLAN, "--source", "cloudwatch", "--window", "90s", "--step", "30s"
    )
    assert result.exit_code == 2
    assert "whole minutes" in result.stderr
