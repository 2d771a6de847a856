"""What the emitters write under deploy.security: keys, isolation, VPC, role, labels, pods and
network policies, and the residency refusal (checkov has no rules for most of these)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from planner.emit import TARGETS, emit
from planner.emit.sagemaker import KMS_PLACEHOLDER
from planner.errors import InputError
from planner.plans.io import load_plan

GOLDEN = Path(__file__).resolve().parent / "golden" / "plans"
SAGEMAKER = GOLDEN / "sagemaker-endpoint.json"
VERTEX = GOLDEN / "vertex-endpoint.json"
CHATBOT = GOLDEN / "chatbot-fleet.json"
EU = GOLDEN / "eu-residency.json"
KEY = "arn:aws:kms:{region}:123456789012:key/mrk-0123456789abcdef0123456789abcdef"
VPC = {
    region: {"subnets": [subnet], "security_groups": [group]}
    for region, subnet, group in (
        ("us-east-1", "subnet-0123456789abcdef0", "sg-0123456789abcdef0"),
        ("us-west-2", "subnet-0fedcba987654321f", "sg-0fedcba98765432f"),
    )
}


def plan_with(path: Path, security: dict | None = None, instance_type: str = "", **deploy):
    plan = load_plan(path)
    settings = {**plan.deploy.model_dump(mode="json"), **deploy}
    if security is not None:
        settings["security"] = security
    update: dict = {"deploy": settings}
    if instance_type:
        update["allocations"] = [
            a.model_copy(update={"instance_type": instance_type}) for a in plan.allocations
        ]
    return plan.model_copy(update=update)


def files(plan, target: str = "sagemaker") -> dict[str, object]:
    rendered, _ = emit(plan, [target])
    return {f.path: f.data for f in rendered}


def stack(out: dict, index: int = 0) -> dict:
    return next(v for k, v in out.items() if k.endswith(f"-{index}-cloudformation.yaml"))


def test_ebs_backed_endpoints_carry_the_key_in_the_bodies_and_the_stack():
    plan = plan_with(SAGEMAKER, {"aws": {"kms_key_arn": KEY}}, instance_type="ml.p3.2xlarge")
    out = files(plan)
    config = out["sagemaker/support-chat-0-endpoint-config.json"]
    assert config["KmsKeyId"] == KEY.format(region="us-east-1")
    assert out["sagemaker/support-chat-1-endpoint-config.json"]["KmsKeyId"] == KEY.format(
        region="us-west-2"
    )
    resources = stack(out)["Resources"]
    assert resources["EndpointConfig"]["Properties"]["KmsKeyId"] == KEY.format(region="us-east-1")
    assert "EndpointKey" not in resources


def test_without_a_key_the_stack_creates_one_and_the_bodies_hold_a_placeholder():
    plan = plan_with(SAGEMAKER, instance_type="ml.p3.2xlarge", execution_role_arn="")
    out = files(plan)
    config = out["sagemaker/support-chat-0-endpoint-config.json"]
    assert config["KmsKeyId"] == KMS_PLACEHOLDER.format(region="us-east-1")
    resources = stack(out)["Resources"]
    key = resources["EndpointKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    assert resources["EndpointConfig"]["Properties"]["KmsKeyId"] == {
        "Fn::GetAtt": ["EndpointKey", "Arn"]
    }
    allowed = plan_with(
        SAGEMAKER, {"allow_provider_managed_keys": True}, instance_type="ml.p3.2xlarge"
    )
    out = files(allowed)
    assert "KmsKeyId" not in out["sagemaker/support-chat-0-endpoint-config.json"]
    assert "EndpointKey" not in stack(out)["Resources"]


def test_nvme_instance_types_take_no_key_but_the_role_may_decrypt_the_weights():
    plan = plan_with(
        SAGEMAKER,
        {"aws": {"kms_key_arn": KEY}, "bucket_regions": {"acme": "us-east-1"}},
        weights="s3://acme/llama/",
        execution_role_arn="",
    )
    rendered, notes = emit(plan, ["sagemaker"])
    out = {f.path: f.data for f in rendered}
    assert "KmsKeyId" not in out["sagemaker/support-chat-0-endpoint-config.json"]
    policy = stack(out)["Resources"]["ExecutionRole"]["Properties"]["Policies"][0]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert statements["UseEndpointKey"]["Resource"] == KEY.format(region="us-east-1")
    assert any("local NVMe storage" in n for n in notes)


def test_models_are_isolated_and_in_the_vpc_where_their_weights_allow():
    plan = plan_with(
        SAGEMAKER,
        {"aws": {"vpc": VPC}, "bucket_regions": {"acme": "us-west-2"}},
        weights="s3://acme/llama/",
    )
    out = files(plan)
    model = out["sagemaker/support-chat-0-model-v0.json"]
    assert model["EnableNetworkIsolation"] is True
    assert model["VpcConfig"] == {
        "SecurityGroupIds": VPC["us-east-1"]["security_groups"],
        "Subnets": VPC["us-east-1"]["subnets"],
    }
    cfn_model = stack(out, 1)["Resources"]["Model0"]["Properties"]
    assert cfn_model["EnableNetworkIsolation"] is True
    assert cfn_model["VpcConfig"]["Subnets"] == VPC["us-west-2"]["subnets"]
    assert (
        model["PrimaryContainer"]["ModelDataSource"]["S3DataSource"]["S3Uri"] == "s3://acme/llama/"
    )


def test_internet_weights_turn_isolation_off_with_a_note_or_are_refused_when_asked():
    rendered, notes = emit(load_plan(SAGEMAKER), ["sagemaker"])
    models = [f.data for f in rendered if "-model-" in f.path]
    assert models and all(m["EnableNetworkIsolation"] is False for m in models)
    assert any("without network isolation" in n for n in notes)
    strict = plan_with(SAGEMAKER, {"network_isolation": True})
    with pytest.raises(InputError, match="network_isolation is true"):
        emit(strict, ["sagemaker"])


def test_a_vpc_missing_for_one_region_is_refused():
    plan = plan_with(SAGEMAKER, {"aws": {"vpc": {"us-east-1": VPC["us-east-1"]}}})
    with pytest.raises(InputError, match="no entry for us-west-2"):
        emit(plan, ["sagemaker"])


def test_the_created_role_is_least_privilege_and_everything_is_tagged():
    plan = plan_with(
        SAGEMAKER,
        {"audit_labels": {"cost-center": "cc-1"}, "bucket_regions": {"acme": "us-east-1"}},
        weights="s3://acme/llama/",
        execution_role_arn="",
        instance_type="ml.p3.2xlarge",
    )
    resources = stack(files(plan))["Resources"]
    role = resources["ExecutionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "sagemaker.amazonaws.com"}]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    actions = {
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert not any(a.endswith("*") for a in actions)
    wildcard = {s["Sid"] for s in statements if s["Resource"] == "*"}
    assert wildcard == {"EcrLogin", "EndpointMetrics"}  # neither has resource-level permissions
    reads = next(s for s in statements if s["Sid"] == "ReadWeights")
    assert reads["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::acme/llama/*"}]
    for name, resource in resources.items():
        if "Tags" in resource["Properties"] or not name.startswith("Scal"):
            tags = {t["Key"]: t["Value"] for t in resource["Properties"]["Tags"]}
            assert tags["planner-plan-id"] == plan.plan_id and tags["cost-center"] == "cc-1", name
            assert tags["planner-workload"] == "support-chat"


def test_vertex_models_and_endpoints_carry_the_key_network_and_service_account():
    out = files(load_plan(VERTEX), "vertex")
    key = "projects/acme-llm-prod/locations/us-central1/keyRings/llm-serving/cryptoKeys/endpoints"
    endpoint = out["vertex/doc-qa-0-endpoint.json"]["endpoint"]
    assert endpoint["encryptionSpec"] == {"kmsKeyName": key}
    assert endpoint["labels"]["cost-center"] == "cc-4711"
    model = out["vertex/doc-qa-0-model-v0.json"]["model"]
    assert model["encryptionSpec"] == {"kmsKeyName": key}
    deployed = out["vertex/doc-qa-0-deploy-model-v0.json"]["deployedModel"]
    assert deployed["serviceAccount"] == "doc-qa-serving@acme-llm-prod.iam.gserviceaccount.com"
    psc = plan_with(VERTEX, {"gcp": {"private_service_connect": ["acme-llm-prod"]}})
    endpoint = files(psc, "vertex")["vertex/doc-qa-0-endpoint.json"]["endpoint"]
    assert endpoint["privateServiceConnectConfig"]["enablePrivateServiceConnect"] is True
    peered = plan_with(VERTEX, {"gcp": {"network": "projects/123/global/networks/private"}})
    out = files(peered, "vertex")
    assert out["vertex/doc-qa-0-endpoint.json"]["endpoint"]["network"].endswith("/private")


def _manifests(plan) -> list[dict]:
    rendered, _ = emit(plan, ["kubernetes", "ray"])
    return [f.data for f in rendered if f.path.endswith(".yaml") and "kind" in f.data]


def test_pods_are_locked_down_and_gpus_requested_as_limited():
    plan = plan_with(CHATBOT, hf_token_secret="hf-token")
    docs = _manifests(plan)
    pods = [d["spec"]["template"]["spec"] for d in docs if d["kind"] in ("Deployment", "Job")]
    services = [d for d in docs if d["kind"] == "RayService"]
    for group in services:
        cluster = group["spec"]["rayClusterConfig"]
        pods.append(cluster["headGroupSpec"]["template"]["spec"])
        pods += [g["template"]["spec"] for g in cluster["workerGroupSpecs"]]
    assert pods
    for pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] >= 10000
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for c in pod["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
            assert sc["capabilities"] == {"drop": ["ALL"]}
            assert c["resources"]["requests"] == c["resources"]["limits"]
            assert c["imagePullPolicy"] == "Always"
            for env in c.get("env", []):
                if env["name"] == "HF_TOKEN":
                    assert env["valueFrom"]["secretKeyRef"]["name"] == "hf-token"
    accounts = [d for d in docs if d["kind"] == "ServiceAccount"]
    assert accounts and all(a["automountServiceAccountToken"] is False for a in accounts)


def test_serving_pods_admit_only_the_gateway_and_metrics_namespace():
    plan = plan_with(
        CHATBOT,
        {"kubernetes": {"gateway_namespace": "ingress", "metrics_namespace": "monitoring"}},
        labels={"team": "chat"},
    )
    docs = _manifests(plan)
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    assert policies
    for policy in policies:
        (rule,) = policy["spec"]["ingress"]
        assert rule["from"] == [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/component": "gateway"}},
            },
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}},
        ]
        assert policy["metadata"]["labels"]["team"] == "chat"


@pytest.mark.parametrize(
    ("deploy", "named"),
    [
        ({"image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/vllm:v1"}, "image 123456789012"),
        ({"weights": "s3://us-weights/acme"}, "weights s3://us-weights/acme"),
        ({"image": "us-docker.pkg.dev/acme/serving/vllm:v1"}, "multi-region location 'us'"),
    ],
)
def test_a_residency_breaking_reference_is_refused_with_the_resource_named(
    deploy, named, cli, tmp_path
):
    settings = dict(deploy)
    security = {"bucket_regions": {"us-weights": "us-east-1"}}
    plan = plan_with(EU, security, **settings)
    with pytest.raises(InputError) as caught:
        emit(plan, TARGETS)
    assert named in str(caught.value) and "eu-support-bot" in str(caught.value)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.model_dump_json())
    result = cli("emit", plan_file, "--target", "all", "-o", tmp_path / "out")
    assert result.exit_code == 2 and named in result.stderr
    assert not (tmp_path / "out").exists()


def test_verify_reports_the_residency_breach(cli, tmp_path):
    root = Path(__file__).resolve().parent.parent
    plan = plan_with(EU, weights="s3://acme-weights/support-14b")
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.model_dump_json())
    result = cli("verify", plan_file, root / "examples" / "eu-residency.yaml")
    assert result.exit_code == 1
    assert "weights s3://acme-weights/support-14b" in result.stderr
    assert "region is unknown" in result.stderr


def test_a_key_in_another_region_is_refused():
    plan = plan_with(SAGEMAKER, {"aws": {"kms_key_arn": KEY.format(region="us-west-2")}})
    with pytest.raises(InputError, match="must be in us-east-1"):
        emit(plan, ["sagemaker"])


def test_emitted_files_hold_no_placeholder_where_keys_are_given():
    plan = plan_with(SAGEMAKER, {"aws": {"kms_key_arn": KEY}}, instance_type="ml.p3.2xlarge")
    text = json.dumps(files(plan))
    assert "SET-deploy" not in text
    assert yaml.safe_dump(files(plan))
