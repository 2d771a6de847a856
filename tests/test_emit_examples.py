"""Every example plan, emitted with `planner emit --target all`, passes the real validators.

- SageMaker request bodies: botocore's own service model (ParamValidator, plus enums, patterns
  and ranges from the same shapes); the CloudFormation templates: cfn-lint.
- Vertex AI request bodies: parsed into the aiplatform_v1 request types (unknown fields and
  bad enum names fail); the gcloud script: `bash -n`.
- SkyPilot tasks and SkyServe services: SkyPilot's own loader (`sky.Task.from_yaml`, offline)
  and SkyServe's service spec.
- Kubernetes manifests: kubernetes-validate (strict) for Kubernetes 1.31. Karpenter NodePools,
  LeaderWorkerSets and KubeRay RayServices are not in it: they are checked against the CRDs
  their projects publish (tests/data/crds, tests/crd_schema.py) and, NodePools and RayServices,
  the narrower JSON Schemas in tests/golden/schemas (written for these tests), with the pod
  templates inside them against Kubernetes' PodTemplateSpec. Ray Serve configs and Ray cluster
  configs are checked against tests/golden/schemas. Kueue's objects (ResourceFlavor,
  ClusterQueue, LocalQueue, WorkloadPriorityClass) are checked against Kueue's CRDs the same
  way, and their metadata as Kubernetes' ObjectMeta. A KubeRay RayJob: its own fields against
  tests/golden/schemas, its cluster against the RayClusterSpec of KubeRay's published CRD.
"""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml

from tests import crd_schema
from tests.conftest import PLAN_DATE
from tests.engine_variants import NAMES, VARIANTS, variant_file, variant_plan

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SCHEMAS = ROOT / "tests" / "golden" / "schemas"
K8S_VERSION = "1.31.0"
AWS_OPERATIONS = {
    "model": ("sagemaker", "CreateModel"),
    "endpoint-config": ("sagemaker", "CreateEndpointConfig"),
    "endpoint": ("sagemaker", "CreateEndpoint"),
    "scalable-target": ("application-autoscaling", "RegisterScalableTarget"),
    "scaling-policy": ("application-autoscaling", "PutScalingPolicy"),
}
VERTEX_REQUESTS = {
    "model": "UploadModelRequest",
    "endpoint": "CreateEndpointRequest",
    "deploy-model": "DeployModelRequest",
}


def kind_of(path: Path) -> str:
    """The resource kind in `<workload>-<index>-<kind>[-vN].<ext>`, without the variant."""
    match = re.fullmatch(r".+?-\d+-(?P<kind>[a-z-]+?)(-v\d+)?", path.stem)
    assert match, path
    return match["kind"]


@cache
def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text())


def check_schema(data: dict, name: str) -> None:
    import jsonschema

    jsonschema.validate(data, schema(name), cls=jsonschema.Draft202012Validator)


@cache
def aws_shape(service: str, operation: str):
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    return model.operation_model(operation).input_shape


def check_constraints(value, shape, where: str = "") -> list[str]:
    """What ParamValidator leaves out: enums, patterns and ranges in the service model."""
    problems = []
    meta = shape.metadata
    if shape.type_name == "structure":
        for key, member in shape.members.items():
            if key in value:
                problems += check_constraints(value[key], member, f"{where}.{key}")
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            problems += check_constraints(item, shape.member, f"{where}[{i}]")
    elif shape.type_name == "map":
        for key, item in value.items():
            problems += check_constraints(key, shape.key, f"{where}<key>")
            problems += check_constraints(item, shape.value, f"{where}.{key}")
    elif shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            problems.append(f"{where}: {value!r} is not one of the service's enum values")
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{where}: longer than {meta['max']}")
        if "pattern" in meta:
            try:
                pattern = re.compile(meta["pattern"])
            except re.error:
                pattern = None
            if pattern is not None and not pattern.search(value):
                problems.append(f"{where}: {value!r} does not match {meta['pattern']}")
    elif shape.type_name in ("integer", "long", "float", "double"):
        low, high = meta.get("min", value), meta.get("max", value)
        if not low <= value <= high:
            problems.append(f"{where}: {value} outside [{low}, {high}]")
    return problems


def check_aws_body(body: dict, service: str, operation: str) -> None:
    from botocore.validate import validate_parameters

    shape = aws_shape(service, operation)
    validate_parameters(body, shape)
    assert check_constraints(body, shape) == []


def check_cloudformation(text: str, regions: list[str]) -> None:
    import cfnlint.api

    matches = cfnlint.api.lint(text, regions=regions)
    assert [str(m) for m in matches] == []


def check_vertex_body(body: dict, request: str) -> None:
    from google.cloud import aiplatform_v1

    parsed = getattr(aiplatform_v1, request).from_json(json.dumps(body))
    assert parsed


def check_kubernetes(data: dict) -> None:
    import kubernetes_validate

    if data["kind"] == "NodePool":
        check_schema(data, "karpenter-nodepool")
        crd_schema.check(data)
        return
    if data["kind"] == "LeaderWorkerSet":
        crd_schema.check(data)
        template = data["spec"]["leaderWorkerTemplate"]
        for pod in (template.get("leaderTemplate"), template["workerTemplate"]):
            if pod is not None:
                check_pod_template(pod)
        return
    if data["apiVersion"].startswith("kueue.x-k8s.io/"):
        crd_schema.check(data)
        meta = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": data["metadata"]}
        kubernetes_validate.validate(meta, K8S_VERSION, strict=True)
        return
    kubernetes_validate.validate(data, K8S_VERSION, strict=True)


def check_pod_template(template: dict) -> None:
    import kubernetes_validate

    wrapped = {
        "apiVersion": "v1",
        "kind": "PodTemplate",
        "metadata": {"name": "check"},
        "template": template,
    }
    kubernetes_validate.validate(wrapped, K8S_VERSION, strict=True)


def check_rayservice(data: dict) -> None:
    check_schema(data, "kuberay-rayservice")
    crd_schema.check(data)
    serve = yaml.safe_load(data["spec"]["serveConfigV2"])
    check_schema(serve, "ray-serve-config")
    cluster = data["spec"]["rayClusterConfig"]
    check_pod_template(cluster["headGroupSpec"]["template"])
    for group in cluster["workerGroupSpecs"]:
        assert group["minReplicas"] <= group["replicas"] <= group["maxReplicas"]
        check_pod_template(group["template"])
    for deployment in serve["applications"][0]["deployments"]:
        scaling = deployment["autoscaling_config"]
        assert scaling["min_replicas"] <= scaling["initial_replicas"] <= scaling["max_replicas"]


def check_rayjob(data: dict) -> None:
    """A RayJob: its own fields (tests/golden/schemas) and the whole object against KubeRay's
    published RayJob CRD, its cluster against the published RayClusterSpec, and its pod
    templates against Kubernetes' PodTemplateSpec."""
    check_schema(data, "kuberay-rayjob")
    crd_schema.check(data)
    cluster = data["spec"]["rayClusterSpec"]
    assert crd_schema.ray_cluster_spec_errors(cluster) == []
    check_pod_template(cluster["headGroupSpec"]["template"])
    for group in cluster["workerGroupSpecs"]:
        assert group["minReplicas"] <= group["replicas"] <= group["maxReplicas"]
        check_pod_template(group["template"])


def check_ray_cluster(data: dict) -> None:
    check_schema(data, "ray-cluster")
    assert data["head_node_type"] in data["available_node_types"]
    workers = data["available_node_types"]["workers"]
    assert workers["min_workers"] <= workers["max_workers"] == data["max_workers"]


def check_skypilot(path: Path, data: dict) -> None:
    """SkyPilot's own loader (offline): the task, and a service's SkyServe spec."""
    import sky
    from sky.serve.service_spec import SkyServiceSpec

    task = sky.Task.from_yaml(str(path))
    assert task.run or task.num_nodes > 1
    if "service" in data:
        SkyServiceSpec.from_yaml_config(data["service"])


def check_file(path: Path, sagemaker_regions: list[str]) -> None:
    """Validate one emitted file with the validator for its target and kind."""
    target = path.parent.name
    kind = kind_of(path)
    text = path.read_text()
    if path.suffix == ".sh":
        subprocess.run(["bash", "-n", str(path)], check=True)
        return
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if target == "sagemaker":
        if kind == "cloudformation":
            check_cloudformation(text, sagemaker_regions)
        else:
            check_aws_body(data, *AWS_OPERATIONS[kind])
    elif target == "vertex":
        check_vertex_body(data, VERTEX_REQUESTS[kind])
    elif target == "kubernetes":
        check_kubernetes(data)
    elif target == "skypilot":
        check_skypilot(path, data)
    elif kind == "rayservice":
        check_rayservice(data)
    elif kind == "rayjob":
        check_rayjob(data)
    elif kind == "configmap":
        check_kubernetes(data)
    else:
        check_ray_cluster(data)


@pytest.fixture(scope="session")
def example_plans(tmp_path_factory) -> dict[str, Path]:
    """Each example spec planned once, written as plan JSON."""
    from planner.solve import solve
    from planner.spec import load_spec

    folder = tmp_path_factory.mktemp("plans")
    plans = {}
    for spec in EXAMPLES:
        plan = solve(load_spec(spec), as_of=PLAN_DATE)
        path = folder / f"{spec.stem}.json"
        path.write_text(plan.model_dump_json(indent=2))
        plans[spec.stem] = path
    return plans


@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_every_emitted_file_passes_its_validator(example, example_plans, cli, tmp_path):
    from planner.plans.io import load_plan

    out = tmp_path / "out"
    result = cli("emit", example_plans[example], "--target", "all", "-o", out)
    assert result.exit_code == 0, result.stderr
    index = json.loads((out / "index.json").read_text())
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "index.json")
    assert [str(p.relative_to(out)) for p in files] == [e["path"] for e in index["files"]]
    plan = load_plan(example_plans[example])
    regions = sorted({a.region for a in plan.allocations if a.service == "sagemaker"})
    for path in files:
        check_file(path, regions)
    emitted = {p.parent.name for p in files}
    services = {a.service for a in plan.allocations}
    if "sagemaker" in services:
        assert "sagemaker" in emitted
    if "vertex" in services:
        assert "vertex" in emitted
    if services & {"ec2", "gce", "azure-vm"}:
        assert "kubernetes" in emitted


@pytest.mark.parametrize(("base", "engine"), VARIANTS, ids=NAMES)
def test_files_for_sglang_and_tensorrt_llm_pass_the_same_validators(base, engine, cli, tmp_path):
    plan_file = variant_file(base, engine, tmp_path)
    out = tmp_path / "out"
    result = cli("emit", plan_file, "--target", "all", "-o", out)
    assert result.exit_code == 0, result.stderr
    plan = variant_plan(base, engine)
    regions = sorted({a.region for a in plan.allocations if a.service == "sagemaker"})
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "index.json")
    assert files
    for path in files:
        check_file(path, regions)


def test_the_managed_service_examples_use_their_service(example_plans):
    from planner.plans.io import load_plan

    sagemaker = load_plan(example_plans["sagemaker-endpoint"])
    vertex = load_plan(example_plans["vertex-endpoint"])
    assert {a.service for a in sagemaker.allocations} == {"sagemaker"}
    assert {a.service for a in vertex.allocations} == {"vertex"}


def test_the_validators_catch_mistakes():
    """Each validator used above rejects a broken document (so passing means something)."""
    import botocore.exceptions
    import jsonschema
    import kubernetes_validate

    with pytest.raises(botocore.exceptions.ParamValidationError):
        check_aws_body({"EndpointName": "x"}, "sagemaker", "CreateEndpoint")
    variant = {"VariantName": "v", "ModelName": "m", "InstanceType": "ml.bogus.huge"}
    with pytest.raises(AssertionError):
        check_aws_body(
            {"EndpointConfigName": "c", "ProductionVariants": [variant]},
            "sagemaker",
            "CreateEndpointConfig",
        )
    with pytest.raises(AssertionError):
        check_cloudformation(
            "Resources:\n  E:\n    Type: AWS::SageMaker::Endpoint\n"
            "    Properties: {EndpointConfigName: c, Colour: red}\n",
            ["us-east-1"],
        )
    with pytest.raises(Exception, match="colour"):
        check_vertex_body({"endpoint": "e", "colour": 1}, "DeployModelRequest")
    with pytest.raises(kubernetes_validate.ValidationError):
        check_kubernetes(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "s"},
                "spec": {"colour": "red"},
            }
        )
    with pytest.raises(jsonschema.ValidationError):
        check_schema({"cluster_name": "c"}, "ray-cluster")
    queue = {
        "apiVersion": "kueue.x-k8s.io/v1beta2",
        "kind": "ClusterQueue",
        "metadata": {"name": "q"},
        "spec": {"queueingStrategy": "StrictFIFO", "resourceGroups": []},
    }
    check_kubernetes(queue)
    for broken in ({"queueingStrategy": "Random"}, {"colour": "red"}, {"cohortName": "Not_DNS"}):
        with pytest.raises(AssertionError):
            check_kubernetes({**queue, "spec": {**queue["spec"], **broken}})
    with pytest.raises(kubernetes_validate.ValidationError):
        check_kubernetes({**queue, "metadata": {"name": "q", "colour": "red"}})
