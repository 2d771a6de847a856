"""Launching against moto: the endpoint config carries the KMS key and the models the VPC and
network isolation the spec asks for; a launch without a key or identity is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import InputError
from planner.plans.io import load_plan
from tests.fakes.moto_server import moto_aws

PLANS = Path(__file__).resolve().parent / "golden" / "plans"
KEY = "arn:aws:kms:{region}:123456789012:alias/llm-serving"
VPC = {
    region: {"subnets": [subnet], "security_groups": [group]}
    for region, subnet, group in (
        ("us-east-1", "subnet-0123456789abcdef0", "sg-0123456789abcdef0"),
        ("us-west-2", "subnet-0fedcba987654321f", "sg-0fedcba98765432f"),
    )
}


@pytest.fixture
def mocked(monkeypatch, tmp_path):
    """moto with fake credentials only; no profile or config file from the machine is read."""
    with moto_aws(str(tmp_path)):
        yield


def secure_plan(security: dict, **deploy):
    """The golden SageMaker plan on ml.p3.2xlarge (EBS storage, in moto's instance list)."""
    plan = load_plan(PLANS / "sagemaker-endpoint.json")
    allocations = [
        a.model_copy(update={"instance_type": "ml.p3.2xlarge"}) for a in plan.allocations
    ]
    settings = {**plan.deploy.model_dump(mode="json"), **deploy, "security": security}
    return plan.model_copy(update={"deploy": settings, "allocations": allocations})


def launcher(sent: list | None = None):
    """The launcher on boto3 clients; `sent` collects every CreateModel request as sent.

    moto 5.2.5 keeps VpcConfig and KmsKeyId but drops EnableNetworkIsolation (describe_model
    always says false), so isolation is checked on the request boto3 serialised.
    """
    from providers.aws.sagemaker import SageMakerLauncher, Waiting, boto3_clients

    clients = boto3_clients()

    def recording(service: str, region: str):
        client = clients(service, region)
        if sent is not None and service == "sagemaker" and not hasattr(client, "_recorded"):
            client.meta.events.register(
                "provide-client-params.sagemaker.CreateModel",
                lambda params, **_: sent.append(dict(params)),
            )
            client._recorded = True
        return client

    return SageMakerLauncher(recording, Waiting(timeout_s=5, poll_s=0.01))


def test_the_launched_endpoint_config_and_models_carry_key_vpc_and_isolation(mocked):
    import boto3

    plan = secure_plan(
        {"aws": {"kms_key_arn": KEY, "vpc": VPC}, "bucket_regions": {"acme": "us-east-1"}},
        weights="s3://acme/llama-3.1-8b/",
    )
    sent: list[dict] = []
    launcher(sent).apply(plan)
    models = sum(1 for a in plan.allocations if a.service == "sagemaker")  # one per variant
    assert models >= 2
    assert len(sent) == models and all(m["EnableNetworkIsolation"] is True for m in sent)
    for region in ("us-east-1", "us-west-2"):
        sm = boto3.client("sagemaker", region_name=region)
        endpoint = sm.describe_endpoint(EndpointName="support-chat")
        config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
        assert config["KmsKeyId"] == KEY.format(region=region)
        models = [v["ModelName"] for v in config["ProductionVariants"]]
        for name in models:
            model = sm.describe_model(ModelName=name)
            assert model["VpcConfig"] == {
                "SecurityGroupIds": VPC[region]["security_groups"],
                "Subnets": VPC[region]["subnets"],
            }
            tags = {
                t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=model["ModelArn"])["Tags"]
            }
            assert tags["planner-plan-id"] == plan.plan_id


def test_without_isolation_or_vpc_the_models_say_so(mocked):
    import boto3

    plan = secure_plan({"aws": {"kms_key_arn": KEY}, "network_isolation": False})
    sent: list[dict] = []
    launcher(sent).apply(plan)
    assert sent and all(m["EnableNetworkIsolation"] is False for m in sent)
    assert all("VpcConfig" not in m for m in sent)
    sm = boto3.client("sagemaker", region_name="us-east-1")
    for summary in sm.list_models()["Models"]:
        assert not sm.describe_model(ModelName=summary["ModelName"]).get("VpcConfig")


def test_a_launch_without_a_key_is_refused_before_any_call(mocked):
    import boto3

    with pytest.raises(InputError, match="kms_key_arn"):
        launcher().apply(secure_plan({}))
    assert boto3.client("sagemaker", region_name="us-east-1").list_models()["Models"] == []
    launcher().apply(secure_plan({"allow_provider_managed_keys": True}))
    config = boto3.client("sagemaker", region_name="us-east-1").list_endpoint_configs()
    assert len(config["EndpointConfigs"]) == 1


def test_vertex_launch_needs_a_key_and_a_service_account():
    from providers.gcp.vertex import endpoints, refusals

    plan = load_plan(PLANS / "vertex-endpoint.json")
    assert refusals(endpoints(plan, "p"), "p") == []
    bare = plan.model_copy(
        update={"deploy": {**plan.deploy.model_dump(mode="json"), "security": {}}}
    )
    problems = " ".join(refusals(endpoints(bare, "p"), "p"))
    assert "kms_key_name" in problems and "service account" in problems
    loose = {
        "allow_provider_managed_keys": True,
        "gcp": {"service_account": "a-dedicated@p1.iam.gserviceaccount.com"},
    }
    allowed = plan.model_copy(
        update={"deploy": {**plan.deploy.model_dump(mode="json"), "security": loose}}
    )
    assert refusals(endpoints(allowed, "p"), "p") == []
