"""One plan per accelerator vendor family emits files that run on its chips: the vendor's build
of the engine, its device plugin resource, its node labels; byte-for-byte golden files, each
file checked by the real validators (kubernetes-validate, the published CRDs, cfn-lint, botocore
and the Vertex AI request types).

The plans are built here, not solved: the point is what `emit` does with a chip, whatever the
solver would pick today. Prices and rates in them are illustrative test values, not catalog
figures. Regenerate the golden files with UPDATE_GOLDEN=1 (see tests/test_emit_golden.py).
"""

from __future__ import annotations

import json

import pytest
import yaml

from planner.emit import TARGETS, emit
from planner.facts.engines import platform_of, serving_image
from planner.plans.model import Plan
from tests.test_emit_examples import check_file
from tests.test_emit_golden import GOLDEN, check_golden
from tests.test_report_plans import alloc, plan_of


def _plan(name: str, allocations) -> Plan:
    return plan_of(list(allocations), plan_id=f"vendor{name[:7]}")


FAMILIES: dict[str, list] = {
    "nvidia-blackwell": [
        alloc("chat-b200", instance_type="p6-b200.48xlarge", accelerator="B200",
              accelerators_per_instance=8, tp=8, price_per_hour=100.0, max_batch=256,
              max_context=8192),
        alloc("chat-b200", provider="gcp", region="us-central1", service="gce",
              instance_type="a4-highgpu-8g", accelerator="B200", accelerators_per_instance=8,
              tp=8, price_per_hour=100.0, max_batch=256, max_context=8192),
    ],
    "amd": [
        alloc("chat-mi300x", provider="azure", region="eastus", service="azure-vm",
              instance_type="Standard_ND96isr_MI300X_v5", accelerator="MI300X",
              accelerators_per_instance=8, tp=8, price_per_hour=50.0, max_batch=256,
              max_context=8192),
    ],
    "neuron": [
        alloc("chat-inf2", instance_type="inf2.48xlarge", accelerator="Inferentia2",
              accelerators_per_instance=12, tp=12, price_per_hour=13.0, max_batch=64,
              max_context=4096),
        alloc("chat-inf2", service="sagemaker", instance_type="ml.inf2.24xlarge",
              accelerator="Inferentia2", accelerators_per_instance=6, tp=6,
              price_per_hour=9.0, max_batch=32, max_context=4096),
    ],
    "tpu": [
        alloc("chat-tpu", provider="gcp", region="us-central1", service="gce",
              instance_type="ct6e-standard-4t", accelerator="TPU-v6e",
              accelerators_per_instance=4, tp=4, price_per_hour=11.0, max_batch=128,
              max_context=4096),
        alloc("chat-tpu", provider="gcp", region="us-central1", service="vertex",
              instance_type="ct5lp-hightpu-4t", accelerator="TPU-v5e",
              accelerators_per_instance=4, tp=4, price_per_hour=6.0, max_batch=64,
              max_context=4096),
    ],
}  # fmt: skip
PLANS = {name: _plan(name, allocations) for name, allocations in FAMILIES.items()}


@pytest.mark.parametrize("family", sorted(PLANS))
def test_each_vendor_familys_files_match_their_golden_files(family):
    check_golden(PLANS[family], GOLDEN / "emit" / f"vendor-{family}")


@pytest.mark.parametrize("family", sorted(PLANS))
def test_each_vendor_familys_files_pass_the_real_validators(family, tmp_path):
    files, _ = emit(PLANS[family], TARGETS)
    assert files
    regions = sorted({a.region for a in PLANS[family].allocations if a.service == "sagemaker"})
    for f in files:
        path = tmp_path / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.text)
        check_file(path, regions)


def _workload_files(family: str) -> dict[str, object]:
    files, _ = emit(PLANS[family], TARGETS)
    return {f.path: f.data for f in files}


def _containers(data: dict) -> list[dict]:
    """Every container of a Deployment, Job or LeaderWorkerSet (leader and workers)."""
    spec = data["spec"]
    templates = []
    if data["kind"] == "LeaderWorkerSet":
        lws = spec["leaderWorkerTemplate"]
        templates = [t for t in (lws.get("leaderTemplate"), lws["workerTemplate"]) if t]
    elif "template" in spec:
        templates = [spec["template"]]
    return [c for t in templates for c in t["spec"]["containers"]]


@pytest.mark.parametrize("family", sorted(PLANS))
def test_kubernetes_pods_get_the_chips_image_device_and_node_labels(family):
    by_index = {}
    for index, a in enumerate(a for a in PLANS[family].allocations):
        by_index[(a.workload, index)] = a
    files = _workload_files(family)
    seen = 0
    for path, data in files.items():
        if not path.startswith("kubernetes/") or data["kind"] not in ("Deployment", "Job"):
            continue
        workload, index = data["metadata"]["name"].rsplit("-", 1)
        a = by_index[(workload, int(index))]
        platform = platform_of(a.accelerator)
        expected = serving_image("vllm", a.accelerator, "kubernetes")
        pod = data["spec"]["template"]["spec"]
        for container in _containers(data):
            seen += 1
            assert container["image"] == expected.image
            assert container["command"] if expected.command else "command" not in container
            assert container["resources"]["limits"][platform.device_resource] == a.tp
            other = {"nvidia.com/gpu", "amd.com/gpu", "aws.amazon.com/neuron", "google.com/tpu"}
            assert not (other - {platform.device_resource}) & set(container["resources"]["limits"])
        assert {t["key"] for t in pod["tolerations"]} >= {platform.device_resource}
        assert pod["nodeSelector"]["node.kubernetes.io/instance-type"] == a.instance_type
        if a.accelerator == "TPU-v6e":
            assert pod["nodeSelector"]["cloud.google.com/gke-tpu-accelerator"] == "tpu-v6e-slice"
            assert pod["nodeSelector"]["cloud.google.com/gke-tpu-topology"] == "2x2"
        if a.accelerator == "B200" and a.provider == "gcp":
            assert pod["nodeSelector"]["cloud.google.com/gke-accelerator"] == "nvidia-b200"
    assert seen


def test_neuron_replicas_count_neuroncores_and_sagemaker_gets_lmi_neuronx():
    files = _workload_files("neuron")
    deployment = next(d for p, d in files.items() if p.endswith("-0-deployment.yaml"))
    args = _containers(deployment)[0]["args"]
    assert args[args.index("--tensor-parallel-size") + 1] == "24"  # 12 chips x 2 cores
    model = next(d for p, d in files.items() if p.startswith("sagemaker/") and "-model-v" in p)
    container = model["PrimaryContainer"]
    assert container["Image"] == serving_image("vllm", "Inferentia2", "sagemaker").image.format(
        region="us-east-1"
    )
    assert container["Environment"]["TENSOR_PARALLEL_DEGREE"] == "12"  # 6 chips x 2 cores
    assert "cu1" not in container["Image"]


def test_tpu_on_vertex_gets_the_tpu_serving_container_and_a_tpu_topology():
    files = _workload_files("tpu")
    upload = next(d for p, d in files.items() if p.startswith("vertex/") and "-model-v" in p)
    spec = upload["model"]["containerSpec"]
    assert spec["imageUri"] == serving_image("vllm", "TPU-v5e", "vertex").image
    deploy = next(d for p, d in files.items() if "deploy-model" in p)
    machine = deploy["deployedModel"]["dedicatedResources"]["machineSpec"]
    assert machine["tpuTopology"] == "2x2" and "acceleratorType" not in machine


def test_amd_gets_rocm_builds_on_kubernetes_and_ray():
    files = _workload_files("amd")
    rayservice = next(d for p, d in files.items() if p.endswith("-rayservice.yaml"))
    worker = rayservice["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]["template"]["spec"]
    container = worker["containers"][0]
    assert container["image"] == serving_image("vllm", "MI300X", "ray").image
    assert container["resources"]["limits"]["amd.com/gpu"] == 8
    cluster = next(
        (d for p, d in files.items() if p.endswith("-cluster.yaml")), None
    )  # the Ray launcher config where the cloud has one
    if cluster is not None:
        assert "--gpus all" not in json.dumps(cluster)
    assert yaml.safe_dump(rayservice)


def test_the_published_crd_check_refuses_unknown_keys_and_wrong_types():
    from tests import crd_schema

    files = _workload_files("nvidia-blackwell")
    nodepool = next(d for p, d in files.items() if p.endswith("-nodepool.yaml"))
    rayservice = next(d for p, d in files.items() if p.endswith("-rayservice.yaml"))
    assert crd_schema.errors(nodepool) == [] and crd_schema.errors(rayservice) == []
    misspelt = json.loads(json.dumps(nodepool))
    misspelt["spec"]["template"]["spec"]["nodeClassReference"] = {"name": "default"}
    assert any("nodeClassReference" in e for e in crd_schema.errors(misspelt))
    wrong = json.loads(json.dumps(rayservice))
    wrong["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]["replicas"] = "three"
    assert any("replicas" in e for e in crd_schema.errors(wrong))
    unserved = {**nodepool, "apiVersion": "karpenter.sh/v9"}
    assert crd_schema.errors(unserved)


MULTI_NODE = plan_of(
    [
        alloc("llama-405b", instance_type="p5.48xlarge", accelerators_per_instance=8, tp=8,
              count=4, nodes_per_replica=2, price_per_hour=98.0, max_batch=64,
              max_context=8192),
        alloc("llama-405b", provider="gcp", region="us-central1", service="gce",
              instance_type="a3-highgpu-8g", accelerators_per_instance=8, tp=8, count=2,
              nodes_per_replica=2, price_per_hour=88.0, max_batch=64, max_context=8192),
    ],
    plan_id="multinode405",
)  # fmt: skip
MULTI_NODE = MULTI_NODE.model_copy(
    update={
        "workloads": [
            w.model_copy(
                update={"model": "llama-3.1-405b", "hf_id": "meta-llama/Llama-3.1-405B-Instruct"}
            )
            for w in MULTI_NODE.workloads
        ]
    }
)
"""Llama 3.1 405B in BF16 on H100: each replica spans two 8-GPU instances (two replicas on
AWS, one on GCP)."""


def test_a_replica_over_two_nodes_emits_a_leaderworkerset_of_two_pod_groups():
    files, _ = emit(MULTI_NODE, ["kubernetes"])
    by_path = {f.path: f.data for f in files}
    assert not any(p.endswith("-deployment.yaml") for p in by_path)
    lws = by_path["kubernetes/llama-405b-0-leaderworkerset.yaml"]
    assert lws["spec"]["replicas"] == 2 and lws["spec"]["leaderWorkerTemplate"]["size"] == 2
    leader, worker = (
        lws["spec"]["leaderWorkerTemplate"][t]["spec"]["containers"][0]
        for t in ("leaderTemplate", "workerTemplate")
    )
    assert leader["resources"]["limits"]["nvidia.com/gpu"] == 8
    assert worker["resources"]["limits"]["nvidia.com/gpu"] == 8
    script = leader["args"][0]
    assert script.startswith("ray start --head")
    assert "--tensor-parallel-size 8 --pipeline-parallel-size 2" in script
    assert "LWS_LEADER_ADDRESS" in worker["args"][0] and "startupProbe" not in worker
    service = by_path["kubernetes/llama-405b-0-service.yaml"]
    assert service["spec"]["selector"]["leaderworkerset.sigs.k8s.io/worker-index"] == "0"
    hpa = by_path["kubernetes/llama-405b-0-hpa.yaml"]
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "LeaderWorkerSet"
    policy = by_path["kubernetes/llama-405b-0-networkpolicy.yaml"]
    group = {"app.kubernetes.io/instance": "llama-405b-0", "app.kubernetes.io/name": "llama-405b"}
    peers = [{"podSelector": {"matchLabels": group}}]
    assert peers in [rule["from"] for rule in policy["spec"]["ingress"]]  # Ray and NCCL
    assert peers in [rule.get("to") for rule in policy["spec"]["egress"]]
    nodepool = by_path["kubernetes/llama-405b-0-nodepool.yaml"]
    assert nodepool["spec"]["limits"]["nvidia.com/gpu"] == 4 * 8  # both groups' nodes


def test_a_multi_node_replica_is_a_ray_serve_deployment_over_both_nodes():
    files, _ = emit(MULTI_NODE, ["ray"])
    service = next(f.data for f in files if f.path.endswith("-0-rayservice.yaml"))
    serve = yaml.safe_load(service["spec"]["serveConfigV2"])
    app = serve["applications"][0]
    deployment = app["deployments"][0]
    assert len(deployment["placement_group_bundles"]) == 16
    assert deployment["placement_group_strategy"] == "PACK"
    assert app["args"]["tensor_parallel_size"] == 8 and app["args"]["pipeline_parallel_size"] == 2
    assert service["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]["replicas"] == 4


def test_multi_node_files_match_their_golden_files_and_pass_the_validators(tmp_path):
    check_golden(MULTI_NODE, GOLDEN / "emit" / "multi-node-405b")
    files, _ = emit(MULTI_NODE, TARGETS)
    for f in files:
        path = tmp_path / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.text)
        check_file(path, [])


def test_managed_endpoints_and_other_engines_refuse_a_multi_node_replica():
    from planner.facts.engines import why_not

    assert "one replica per instance" in why_not("vllm", "sagemaker", "H100", nodes=2)
    assert "one replica per instance" in why_not("vllm", "vertex", "H100", nodes=2)
    assert "Ray-enabled" in why_not("sglang", "kubernetes", "H100", nodes=2)
    assert "Ray-enabled" in why_not("vllm", "kubernetes", "Inferentia2", nodes=2)
    assert not why_not("vllm", "kubernetes", "H100", "batch", nodes=2)  # leader/worker Job pods
    assert "one replica per instance" in why_not("vllm", "sagemaker", "H100", "batch", nodes=2)
    assert not why_not("vllm", "kubernetes", "H100", nodes=2)
    assert not why_not("vllm", "kubernetes", "MI300X", nodes=2)


PINNED = {
    "B200": "nvidia.com/gpu",
    "MI300X": "amd.com/gpu",
    "Inferentia2": "aws.amazon.com/neuron",
    "Trainium2": "aws.amazon.com/neuron",
    "TPU-v6e": "google.com/tpu",
}


@pytest.mark.parametrize("accelerator", sorted(PINNED))
def test_a_plan_pinned_to_a_vendors_chip_plans_and_emits_valid_files_for_it(accelerator, tmp_path):
    from planner.solve import solve
    from planner.spec import parse_spec
    from tests.conftest import PLAN_DATE

    spec = parse_spec(
        "workloads:\n"
        "  - {name: chat, kind: serving, model: llama-3.1-8b, engine: vllm,\n"
        "     traffic: {requests_per_second: 2, input_tokens: 500, output_tokens: 200},\n"
        "     slo: {ttft_p95_ms: 2000, tpot_ms: 100},\n"
        f"     placement: {{accelerators: [{accelerator}], services: [vm]}}}}\n"
    )
    plan = solve(spec, as_of=PLAN_DATE, baselines=False)
    assert {a.accelerator for a in plan.allocations} == {accelerator}
    files, _ = emit(plan, TARGETS)
    pods = [f.data for f in files if f.path.endswith("-deployment.yaml")]
    assert pods
    for data in pods:
        for container in _containers(data):
            limits = container["resources"]["limits"]
            assert PINNED[accelerator] in limits
            assert container["image"] == serving_image("vllm", accelerator, "kubernetes").image
    for f in files:
        path = tmp_path / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.text)
        check_file(path, [])


def test_vertex_gives_every_tpu_its_slice_topology():
    from planner.emit.vertex import machine_spec

    assert machine_spec("ct6e-standard-8t", "TPU-v6e", 8) == {
        "machineType": "ct6e-standard-8t",
        "tpuTopology": "2x4",
    }
    assert machine_spec("ct5p-hightpu-4t", "TPU-v5p", 4)["tpuTopology"] == "2x2x1"
    assert machine_spec("g2-standard-8", "L4", 1)["acceleratorType"] == "NVIDIA_L4"


def test_a_multi_node_leader_script_quotes_every_argument_for_the_shell():
    import shlex

    hostile = "x; touch /tmp/owned && echo `id` $HOME"
    deploy = MULTI_NODE.deploy.model_copy(update={"extra_args": ("--served-tag", hostile)})
    plan = MULTI_NODE.model_copy(update={"deploy": deploy})
    files, _ = emit(plan, ["kubernetes"])
    lws = next(f.data for f in files if f.path.endswith("-0-leaderworkerset.yaml"))
    template = lws["spec"]["leaderWorkerTemplate"]["leaderTemplate"]["spec"]
    script = template["containers"][0]["args"][0]
    words = shlex.split(script)
    assert words[: words.index("&&")] == ["ray", "start", "--head", "--port=6379"]
    assert hostile in words  # one word, as given: the shell runs none of it
    assert words[words.index("--served-tag") + 1] == hostile
