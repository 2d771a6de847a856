"""The SageMaker launcher against moto's server on 127.0.0.1 (AWS_ENDPOINT_URL), and `planner
launch` as a subprocess against moto's server on 127.0.0.1 through --endpoint-url."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from planner.errors import PlannerError
from planner.plans.io import load_plan
from tests.fakes.moto_server import moto_aws

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "tests" / "golden" / "plans" / "sagemaker-endpoint.json"
MODERN_FAMILIES = ("ml.g5.", "ml.g6.", "ml.g6e.", "ml.p4d.", "ml.p5.", "ml.inf2.", "ml.trn1.")
_EMPTY = {"models": [], "configs": [], "endpoints": [], "targets": []}
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """Fake credentials only; no profile or config file from the machine is read."""
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def modern_instance_types(monkeypatch):
    """moto checks InstanceType against an old list without ml.g5/g6/g6e/p4d/p5/inf2 (seen with
    moto 5.2.5); widen it for those families here, never in product code."""
    from moto.sagemaker.models import FakeEndpointConfig

    original = FakeEndpointConfig.validate_instance_type

    def widened(self, instance_type: str) -> None:
        if not instance_type.startswith(MODERN_FAMILIES):
            original(self, instance_type)

    monkeypatch.setattr(FakeEndpointConfig, "validate_instance_type", widened)


@pytest.fixture
def mocked(aws_env, modern_instance_types):
    with moto_aws(os.environ["AWS_CONFIG_FILE"].rsplit("/", 1)[0]):
        yield


@pytest.fixture
def launcher():
    from providers.aws.sagemaker import SageMakerLauncher, Waiting, boto3_clients

    return SageMakerLauncher(boto3_clients(), Waiting(timeout_s=5, poll_s=0.01))


def _state(region: str, endpoint_url: str | None = None) -> dict:
    """What exists in `region`: models, endpoint configs, endpoints, scalable targets."""
    import boto3

    sm = boto3.client("sagemaker", region_name=region, endpoint_url=endpoint_url)
    aas = boto3.client("application-autoscaling", region_name=region, endpoint_url=endpoint_url)
    targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    return {
        "models": sorted(m["ModelName"] for m in sm.list_models()["Models"]),
        "configs": sorted(
            c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]
        ),
        "endpoints": sorted(e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]),
        "targets": sorted(t["ResourceId"] for t in targets),
    }


def _regions(plan) -> list[str]:
    return sorted({a.region for a in plan.allocations if a.service == "sagemaker"})


def test_endpoints_run_the_plans_instance_types_and_counts(mocked, launcher):
    import boto3

    plan = load_plan(PLAN)
    launcher.apply(plan)
    for region in _regions(plan):
        sm = boto3.client("sagemaker", region_name=region)
        endpoint = sm.describe_endpoint(EndpointName="support-chat")
        assert endpoint["EndpointStatus"] == "InService"
        config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
        launched = sorted(
            (v["InstanceType"], v["InitialInstanceCount"]) for v in config["ProductionVariants"]
        )
        planned = sorted(
            (a.instance_type, a.count)
            for a in plan.allocations
            if a.service == "sagemaker" and a.region == region
        )
        assert launched == planned
        counts = sorted(v["DesiredInstanceCount"] for v in endpoint["ProductionVariants"])
        assert counts == sorted(c for _, c in planned)
        tags = {
            t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]
        }
        assert tags["planner-plan-id"] == plan.plan_id
        assert tags["planner-workload"] == "support-chat"
        aas = boto3.client("application-autoscaling", region_name=region)
        targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
        assert len(targets) == len(planned)
        policies = aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
        assert {p["PolicyType"] for p in policies} == {"TargetTrackingScaling"}


def test_second_apply_changes_nothing(mocked, launcher):
    plan = load_plan(PLAN)
    first = launcher.apply(plan)
    before = {r: _state(r) for r in _regions(plan)}
    second = launcher.apply(plan)
    assert first.changes > 0 and second.changes == 0
    assert {r: _state(r) for r in _regions(plan)} == before


def test_failure_midway_leaves_nothing_behind(mocked, launcher, monkeypatch):
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

    original = ApplicationAutoscalingBackend.put_scaling_policy

    def second_region_fails(self, *args, **kwargs):
        if self.region_name == "us-west-2":
            from moto.applicationautoscaling.exceptions import AWSValidationException

            raise AWSValidationException("injected: policy limit reached")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ApplicationAutoscalingBackend, "put_scaling_policy", second_region_fails)
    plan = load_plan(PLAN)
    with pytest.raises(PlannerError) as caught:
        launcher.apply(plan)
    message = str(caught.value)
    assert "injected: policy limit reached" in message
    assert "Rolled back" in message and "deleted endpoint support-chat" in message
    assert {r: _state(r) for r in _regions(plan)} == dict.fromkeys(_regions(plan), _EMPTY)


def test_teardown_deletes_what_the_plan_made(mocked, launcher):
    plan = load_plan(PLAN)
    launcher.apply(plan)
    report = launcher.teardown(plan)
    assert report.changes > 0
    assert all(_state(r) == _EMPTY for r in _regions(plan))
    assert launcher.teardown(plan).changes == 0


def test_an_endpoint_the_planner_did_not_make_is_left_alone(mocked, launcher):
    import boto3

    sm = boto3.client("sagemaker", region_name="us-east-1")
    sm.create_model(
        ModelName="theirs",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/theirs",
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"},
    )
    variant = {
        "VariantName": "a",
        "ModelName": "theirs",
        "InstanceType": "ml.g4dn.xlarge",
        "InitialInstanceCount": 1,
    }
    sm.create_endpoint_config(EndpointConfigName="theirs", ProductionVariants=[variant])
    sm.create_endpoint(EndpointName="support-chat", EndpointConfigName="theirs")
    with pytest.raises(PlannerError, match="not made by the planner"):
        launcher.apply(load_plan(PLAN))
    assert _state("us-east-1")["endpoints"] == ["support-chat"]
    assert _state("us-east-1")["models"] == ["theirs"]


def test_launch_needs_an_execution_role(mocked, launcher):
    from planner.errors import InputError

    plan = load_plan(PLAN)
    plan = plan.model_copy(
        update={"deploy": {**plan.deploy.model_dump(mode="json"), "execution_role_arn": ""}}
    )
    with pytest.raises(InputError, match="execution role"):
        launcher.apply(plan)


def test_wait_gives_up_on_a_failed_endpoint():
    from providers.aws.sagemaker import Waiting, wait_in_service

    class Stuck:
        def __init__(self, states):
            self.states = list(states)

        def describe_endpoint(self, EndpointName):
            return {"EndpointStatus": self.states.pop(0), "FailureReason": "image pull failed"}

    with pytest.raises(PlannerError, match="image pull failed"):
        wait_in_service(Stuck(["Creating", "Failed"]), "e", Waiting(5, 0, lambda s: None))
    with pytest.raises(PlannerError, match="still Creating"):
        wait_in_service(Stuck(["Creating"] * 3), "e", Waiting(0, 0, lambda s: None))


@pytest.fixture
def moto_server(aws_env, modern_instance_types):
    """moto's server in a thread on 127.0.0.1 (shares the monkeypatched backends)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    yield url
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
    server.stop()


def _planner(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        **FAKE_CREDENTIALS,
    }
    command = [sys.executable, "-c", "from planner.cli import main; main()", *args]
    command += ["--endpoint-url", url]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)


def test_cli_against_moto_server(moto_server, tmp_path, monkeypatch):
    from moto.sagemaker.models import SageMakerModelBackend

    plan = load_plan(PLAN)
    regions = _regions(plan)
    dry = _planner(moto_server, tmp_path, "launch", str(PLAN), "--target", "sagemaker")
    assert dry.returncode == 0, dry.stderr
    assert "CreateEndpointConfig" in dry.stdout and "ml.g6e.xlarge" in dry.stdout
    assert _state(regions[0], moto_server)["endpoints"] == []

    original = SageMakerModelBackend.create_endpoint

    def unavailable(self, *args, **kwargs):
        from moto.sagemaker.exceptions import ValidationError

        raise ValidationError(message="injected: insufficient capacity for ml.g6e.xlarge")

    monkeypatch.setattr(SageMakerModelBackend, "create_endpoint", unavailable)
    failed = _planner(
        moto_server, tmp_path, "launch", str(PLAN), "--target", "sagemaker", "--apply", "--yes"
    )
    assert failed.returncode == 1
    assert "insufficient capacity" in failed.stderr and "Rolled back" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert all(_state(r, moto_server) == _EMPTY for r in regions)
    monkeypatch.setattr(SageMakerModelBackend, "create_endpoint", original)

    first = _planner(
        moto_server, tmp_path, "launch", str(PLAN), "--target", "sagemaker", "--apply", "--yes"
    )
    assert first.returncode == 0, first.stderr
    assert "created endpoint support-chat (us-east-1)" in first.stdout
    assert all(_state(r, moto_server)["endpoints"] == ["support-chat"] for r in regions)
    again = _planner(
        moto_server, tmp_path, "launch", str(PLAN), "--target", "sagemaker", "--apply", "--yes"
    )
    assert again.returncode == 0 and "0 change(s)" in again.stdout
    assert "testing" not in first.stdout + first.stderr + again.stdout

    gone = _planner(
        moto_server, tmp_path, "teardown", str(PLAN), "--target", "sagemaker", "--apply", "--yes"
    )
    assert gone.returncode == 0, gone.stderr
    assert all(_state(r, moto_server) == _EMPTY for r in regions)
