"""Emitter pieces on small hand-made plans: quoting, placement by cloud, bounds, names, writing."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from planner.clouds.names import dns_label, numeric_id
from planner.emit import emit
from planner.emit.common import bounds, percentages
from planner.emit.nodes import node_selector, tolerations
from planner.emit.vertex import machine_spec
from planner.errors import InputError
from planner.plans.model import Allocation, Plan, WorkloadResult

GOLDEN_PLANS = Path(__file__).resolve().parent / "golden" / "plans"


def allocation(**changes) -> Allocation:
    values = {
        "workload": "chat",
        "kind": "serving",
        "provider": "gcp",
        "region": "us-central1",
        "service": "gce",
        "instance_type": "g2-standard-8",
        "accelerator": "L4",
        "accelerators_per_instance": 1,
        "pricing": "on_demand",
        "count": 2,
        "tp": 1,
        "replicas_per_instance": 1,
        "price_per_hour": 1.0,
        "cost_per_hour": 2.0,
        "routed_rps": 4.0,
        "utilisation": 0.8,
        "max_batch": 64,
        "max_context": 4096,
    }
    return Allocation(**{**values, **changes})


def make_plan(allocs: list[Allocation], deploy: dict | None = None, **workload) -> Plan:
    names = sorted({a.workload for a in allocs})
    workloads = [
        WorkloadResult(
            name=name,
            kind=next(a.kind for a in allocs if a.workload == name),
            model="llama-3.1-8b",
            hf_id="meta-llama/Llama-3.1-8B-Instruct",
            cost_per_hour=1.0,
            **workload,
        )
        for name in names
    ]
    return Plan(
        plan_id="0123456789ab",
        status="optimal",
        objective="cost",
        objective_value=1.0,
        cost_per_hour=1.0,
        cost_per_month=730.0,
        job_cost=0.0,
        peak_cost_per_hour=1.0,
        lower_bound=1.0,
        gap=0.0,
        solve_seconds=0.1,
        solver="test",
        allocations=allocs,
        workloads=workloads,
        deploy=deploy or {},
    )


def by_path(files) -> dict:
    return {f.path: f for f in files}


def test_values_outside_their_ecosystems_grammar_never_reach_a_template():
    hostile = {
        "image": 'evil:1"\nkind: Secret\n# {{ x }}',
        "extra_args": ["a\nb: c"],
        "gcp_project": "p$(touch pwned)'\"`id`",
    }
    for key, value in hostile.items():
        # refused when the plan is read (its deploy section is validated) or, at the latest,
        # when it is emitted
        with pytest.raises((InputError, ValidationError), match=key):
            emit(make_plan([allocation()], {key: value}), ["kubernetes"])


def test_no_value_can_change_a_documents_structure(tmp_path):
    image = "registry.example.com:5000/team/vllm@sha256:" + "ab" * 32
    args = ['--x="1"; rm -rf /', "$(touch pwned)", "a|b: {{ c }}", "'`id`'"]
    project = "acme-llm-prod"
    plan = make_plan(
        [allocation(), allocation(service="vertex", instance_type="g2-standard-8")],
        {"image": image, "extra_args": args, "gcp_project": project},
    )
    files, _ = emit(plan, ["kubernetes", "vertex", "ray"])
    files = by_path(files)
    deployment = yaml.safe_load(files["kubernetes/chat-0-deployment.yaml"].text)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert deployment["kind"] == "Deployment"
    assert container["image"] == image and container["args"][-6:-2] == args
    upload = json.loads(files["vertex/chat-0-model-v0.json"].text)
    assert upload["model"]["containerSpec"]["imageUri"] == image
    assert upload["parent"] == f"projects/{project}/locations/us-central1"
    script = tmp_path / "gcloud.sh"
    script.write_text(files["vertex/chat-0-gcloud.sh"].text)
    subprocess.run(["bash", "-n", str(script)], check=True)
    defaults = "\n".join(
        line for line in script.read_text().splitlines() if line.startswith("DEFAULT_PROJECT=")
    )
    echoed = subprocess.run(
        ["bash", "-c", defaults + '\nprintf %s "$DEFAULT_PROJECT"'],
        capture_output=True, text=True, cwd=tmp_path, check=True,
    )  # fmt: skip
    assert echoed.stdout == project and not (tmp_path / "pwned").exists()
    assert "^~^" in script.read_text()  # a list delimiter that no argument holds
    serve = yaml.safe_load(files["ray/chat-0-rayservice.yaml"].text)
    assert (
        serve["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][
            0
        ]["image"]
        == image
    )


def test_templates_fail_on_a_missing_value():
    import jinja2

    from planner.emit.render import render
    from planner.emit.resource import Resource

    resource = Resource("kubernetes", "w", 0, "service", "kubernetes/service.yaml.j2", {})
    with pytest.raises(jinja2.UndefinedError):
        render(resource)


@pytest.mark.parametrize(
    ("changes", "selector", "taint"),
    [
        (
            {"provider": "aws", "instance_type": "g5.xlarge", "accelerator": "A10G",
             "pricing": "spot"},
            {"node.kubernetes.io/instance-type": "g5.xlarge", "karpenter.sh/capacity-type": "spot"},
            None,
        ),
        (
            {"pricing": "spot"},
            {"node.kubernetes.io/instance-type": "g2-standard-8",
             "cloud.google.com/gke-accelerator": "nvidia-l4", "cloud.google.com/gke-spot": "true"},
            "cloud.google.com/gke-spot",
        ),
        (
            {"instance_type": "n1-standard-8+T4x1", "accelerator": "T4"},
            {"node.kubernetes.io/instance-type": "n1-standard-8",
             "cloud.google.com/gke-accelerator": "nvidia-tesla-t4"},
            None,
        ),
        (
            {"provider": "azure", "instance_type": "Standard_NC24ads_A100_v4",
             "accelerator": "A100-80GB", "pricing": "spot"},
            {"node.kubernetes.io/instance-type": "Standard_NC24ads_A100_v4",
             "kubernetes.azure.com/scalesetpriority": "spot"},
            "kubernetes.azure.com/scalesetpriority",
        ),
    ],
)  # fmt: skip
def test_pods_land_on_the_plans_nodes_in_each_cloud(changes, selector, taint):
    alloc = allocation(**changes)
    assert node_selector(alloc) == selector
    keys = [t["key"] for t in tolerations(alloc)]
    assert keys[0] == "nvidia.com/gpu"
    assert (taint in keys) if taint else len(keys) == 1


def test_gpu_requests_equal_limits_and_match_tp():
    plan = make_plan(
        [allocation(tp=4, accelerators_per_instance=4, instance_type="g2-standard-48")]
    )
    files = by_path(emit(plan, ["kubernetes"])[0])
    pod = yaml.safe_load(files["kubernetes/chat-0-deployment.yaml"].text)["spec"]["template"]
    resources = pod["spec"]["containers"][0]["resources"]
    assert resources["requests"] == resources["limits"]
    assert resources["limits"]["nvidia.com/gpu"] == 4
    args = pod["spec"]["containers"][0]["args"]
    assert args[args.index("--tensor-parallel-size") + 1] == "4"
    assert args[args.index("--max-num-seqs") + 1] == "64"
    assert args[args.index("--max-model-len") + 1] == "4096"


def test_workload_bounds_are_shared_out_by_planned_replicas():
    big, small = allocation(count=6), allocation(count=2, region="us-east4")
    plan = make_plan([big, small], min_replicas=2, max_replicas=16)
    w = plan.workloads[0]
    assert (bounds(plan, big, w).min_replicas, bounds(plan, big, w).max_replicas) == (2, 12)
    assert (bounds(plan, small, w).min_replicas, bounds(plan, small, w).max_replicas) == (1, 4)
    unbounded = make_plan([big])
    b = bounds(unbounded, big, unbounded.workloads[0])
    assert (b.min_replicas, b.replicas, b.max_replicas) == (1, 6, 6)


def test_batch_and_training_become_jobs_and_are_left_out_of_ray():
    plan = make_plan(
        [
            allocation(workload="nightly", kind="batch", count=3, max_batch=None),
            allocation(workload="tune", kind="training", count=2, accelerators_per_instance=8,
                       instance_type="a3-highgpu-8g", accelerator="H100"),
        ]
    )  # fmt: skip
    files, notes = emit(plan, ["kubernetes", "ray"])
    files = by_path(files)
    batch = yaml.safe_load(files["kubernetes/nightly-0-job.yaml"].text)["spec"]
    assert batch["completions"] == batch["parallelism"] == 3
    train = yaml.safe_load(files["kubernetes/tune-0-job.yaml"].text)["spec"]
    gpus = train["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"]
    assert (train["completions"], gpus) == (2, 8)
    assert "kubernetes/tune-0-service.yaml" in files
    assert not [p for p in files if p.startswith("ray/")]
    assert notes == []
    _, ray_only = emit(plan, ["ray"])
    assert len(ray_only) == 2 and all("ray emits only serving" in n for n in ray_only)


def test_other_services_are_skipped_with_a_note():
    plan = make_plan([allocation(service="vertex"), allocation(region="us-east4")])
    files, notes = emit(plan, ["sagemaker"])
    assert files == []
    assert notes[0].startswith("sagemaker: skipped chat allocation 0 (serving on vertex")
    assert "--target vertex" in notes[0] and "--target kubernetes or ray" in notes[1]


def test_vertex_machine_specs():
    assert machine_spec("n1-standard-8+T4x1", "T4", 1) == {
        "machineType": "n1-standard-8",
        "acceleratorType": "NVIDIA_TESLA_T4",
        "acceleratorCount": 1,
    }
    assert machine_spec("a2-ultragpu-1g", "A100-80GB", 1)["acceleratorType"] == "NVIDIA_A100_80GB"
    assert machine_spec("ct5lp-hightpu-4t", "TPU-v5e", 4) == {
        "machineType": "ct5lp-hightpu-4t",
        "tpuTopology": "2x2",
    }


def test_names_and_splits():
    long = dns_label("w" * 70, "3")
    assert len(long) == 63 and long == dns_label("w" * 70, "3")
    assert dns_label("My_Workload", "0") == "my-workload-0"
    ids = {numeric_id(str(i)) for i in range(100)}
    assert len(ids) == 100 and all(len(i) == 9 and i[0] != "0" for i in ids)
    assert sum(percentages([0.3333, 0.3333, 0.3334])) == 100
    assert percentages([1.0]) == [100]


def test_emit_cli_refuses_to_overwrite_edited_files(cli, tmp_path):
    plan_file = GOLDEN_PLANS / "vertex-endpoint.json"
    out = tmp_path / "out"
    assert cli("emit", plan_file, "--target", "vertex", "-o", out).exit_code == 0
    again = cli("emit", plan_file, "--target", "vertex", "-o", out)
    assert again.exit_code == 0 and "0 new, 0 changed" in again.stdout
    index = json.loads((out / "index.json").read_text())
    for entry in index["files"]:
        assert hashlib.sha256((out / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    edited = out / index["files"][0]["path"]
    edited.write_text(edited.read_text() + " ")
    refused = cli("emit", plan_file, "--target", "vertex", "-o", out)
    assert refused.exit_code == 2
    assert index["files"][0]["path"] in refused.stderr and "--force" in refused.stderr
    forced = cli("emit", plan_file, "--target", "vertex", "-o", out, "--force")
    assert forced.exit_code == 0 and "1 changed" in forced.stdout
    assert json.loads((out / "index.json").read_text()) == index


def test_emit_cli_rejects_a_file_that_is_not_a_plan(cli, tmp_path):
    bogus = tmp_path / "plan.json"
    bogus.write_text('{"workloads": []}')
    result = cli("emit", bogus, "--target", "all", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "Invalid plan" in result.stderr
    assert "planner plan SPEC --format json -o plan.json" in result.stderr


def test_spec_deploy_section_reaches_the_plan(tmp_path):
    from planner.errors import InputError
    from planner.solve import solve
    from planner.spec import load_spec

    spec = tmp_path / "spec.yaml"
    body = (GOLDEN_PLANS.parent.parent.parent / "examples" / "vertex-endpoint.yaml").read_text()
    spec.write_text(body)
    plan = solve(load_spec(spec))
    assert plan.deploy.gcp_project == "acme-llm-prod" and plan.deploy.port == 8000
    spec.write_text(body.replace("  gcp_project:", "  colour: red\n  gcp_project:"))
    with pytest.raises(InputError, match="colour"):
        load_spec(spec)
