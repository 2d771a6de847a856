"""Batch and training jobs over several instances: a batch job whose model no instance holds
runs as replicas of several instances (pipeline parallel across them, the network in the step
time), a training job whose state its gang cannot hold gangs across whole instances (the
network in its time); cost, quotas, deadlines and verify count every node; the emitted
Kubernetes Job, Kueue quota and SkyPilot task run the groups, checked by the real validators
and by running the node scripts in a shell."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from planner.catalog import load_catalog
from planner.emit import emit
from planner.errors import InfeasibleError
from planner.facts import find_accelerator, find_llm
from planner.perf.multinode import gang_training_hours, training_chips
from planner.perf.settings import DEFAULT_SETTINGS
from planner.perf.sizing import TRAINING_BYTES_PER_PARAM
from planner.solve import solve
from planner.spec import load_spec
from planner.verify import verify

H100 = find_accelerator("H100")
LLAMA_70B = find_llm("llama-3.1-70b")

BATCH = {
    "name": "nightly-405b", "kind": "batch", "model": "llama-3.1-405b",
    "volume": {"requests": 20000, "input_tokens": 1000, "output_tokens": 300},
    "deadline_hours": 12, "placement": {"providers": ["aws"], "accelerators": ["H100"]},
}  # fmt: skip
TRAINING = {
    "name": "tune-70b", "kind": "training", "model": "llama-3.1-70b", "tokens": 200_000_000,
    "gang_size": 8, "deadline_hours": 72,
    "placement": {"providers": ["aws"], "accelerators": ["H100"]},
}  # fmt: skip


def _spec(tmp_path, *workloads, constraints=None):
    doc = {"workloads": list(workloads)}
    if constraints:
        doc["constraints"] = constraints
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return load_spec(path)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def planned(tmp_path_factory, catalog):
    spec = _spec(tmp_path_factory.mktemp("jobs"), BATCH, TRAINING)
    return spec, solve(spec, catalog)


def _one(plan, workload):
    (a,) = [a for a in plan.allocations if a.workload == workload]
    return a


def test_a_batch_job_whose_model_fits_no_instance_runs_on_replicas_of_two_instances(
    planned, catalog
):
    spec, plan = planned
    a = _one(plan, "nightly-405b")
    assert (a.instance_type, a.nodes_per_replica, a.tp) == ("p5.48xlarge", 2, 8)
    assert a.count % 2 == 0  # whole replicas of two instances
    assert a.job_cost == pytest.approx(a.count * a.price_per_hour * a.hours, rel=1e-5)
    assert a.hours <= 12
    assert not verify(plan, spec, catalog)


def test_verify_counts_every_node_of_a_batch_replica(planned, catalog):
    spec, plan = planned
    a = _one(plan, "nightly-405b")
    half = a.model_copy(update={"hours": a.hours / 2})
    tampered = plan.model_copy(
        update={"allocations": [half if x is a else x for x in plan.allocations]}
    )
    assert any("completes" in v.message for v in verify(tampered, spec, catalog))


def test_a_batch_replica_over_instances_needs_quota_for_all_of_them(tmp_path, catalog):
    quota = {"provider": "aws", "region": "us-east-1", "accelerator": "H100",
             "max_accelerators": 8}  # fmt: skip
    batch = {**BATCH, "placement": {**BATCH["placement"], "regions": ["us-east-1"]}}
    spec = _spec(tmp_path, batch, constraints={"quotas": [quota]})
    with pytest.raises(InfeasibleError, match="quota"):
        solve(spec, catalog)  # one replica takes 16 H100


def test_a_training_gang_grows_to_whole_instances_that_hold_its_state(planned, catalog):
    spec, plan = planned
    a = _one(plan, "tune-70b")
    # 70B x 16 bytes = 1,120 GB: more than 8 H100 hold (8 x 72 GB usable), 16 do
    assert training_chips(LLAMA_70B, 80, 8, 8, TRAINING_BYTES_PER_PARAM, DEFAULT_SETTINGS) == 16
    assert (a.instance_type, a.count) == ("p5.48xlarge", 2)
    assert a.job_cost == pytest.approx(2 * a.price_per_hour * a.hours, rel=1e-5)
    assert not verify(plan, spec, catalog)
    one = a.model_copy(update={"count": 1, "job_cost": a.job_cost / 2})
    tampered = plan.model_copy(
        update={"allocations": [one if x is a else x for x in plan.allocations]}
    )
    assert any("training state" in v.message for v in verify(tampered, spec, catalog))


def test_a_gangs_network_lengthens_its_time_only_across_instances():
    tokens = 2e9
    args = (LLAMA_70B, H100, 16)
    fast = gang_training_hours(*args, 2, tokens, DEFAULT_SETTINGS, 3200)
    slow = gang_training_hours(*args, 2, tokens, DEFAULT_SETTINGS, 1)
    assert slow > fast  # 1 Gbit/s: the parameter exchange outlasts the compute
    assert gang_training_hours(*args, 1, tokens, DEFAULT_SETTINGS, 1) == pytest.approx(
        gang_training_hours(*args, 1, tokens, DEFAULT_SETTINGS, None)
    )


def test_jobs_that_fit_nothing_exit_3_saying_what_they_would_need(cli, tmp_path):
    batch = {**BATCH, "placement": {"providers": ["aws"], "services": ["sagemaker"]}}
    _spec(tmp_path, batch)
    result = cli("plan", tmp_path / "spec.yaml", "-q")
    assert result.exit_code == 3
    assert "would need about" in result.stderr and "Traceback" not in result.stderr
    huge = {**TRAINING, "model": "llama-3.1-405b",
            "placement": {"providers": ["aws"], "accelerators": ["A10G"]}}  # fmt: skip
    _spec(tmp_path, huge)
    result = cli("plan", tmp_path / "spec.yaml", "-q")
    assert result.exit_code == 3
    assert "Traceback" not in result.stderr
    assert "6,494 GB" in result.stderr  # 405.9B parameters x 16 bytes
    assert "its gang would need about 38 x g5.48xlarge" in result.stderr


def _files(plan, targets):
    files, _ = emit(plan, targets)
    return {f.path: f for f in files}


def test_kubernetes_runs_each_batch_replica_as_a_group_of_job_pods_kueue_admits_whole(planned):
    from tests.test_emit_examples import check_kubernetes

    _, plan = planned
    a = _one(plan, "nightly-405b")
    files = _files(plan, ["kubernetes"])
    for f in files.values():
        check_kubernetes(yaml.safe_load(f.text))
    job = files["kubernetes/nightly-405b-0-job.yaml"].data
    pods = a.count
    assert job["spec"]["completions"] == job["spec"]["parallelism"] == pods
    heads = ",".join(str(i) for i in range(0, pods, 2))
    assert job["spec"]["successPolicy"]["rules"] == [{"succeededIndexes": heads}]
    pod = job["spec"]["template"]["spec"]
    assert pod["subdomain"] == "nightly-405b-0"
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 8
    service = files["kubernetes/nightly-405b-0-service.yaml"].data
    assert service["spec"]["clusterIP"] == "None"
    queue = files["kubernetes/kueue-0-clusterqueue.yaml"].data
    (group,) = queue["spec"]["resourceGroups"]
    gpus = {r["name"]: r["nominalQuota"] for f in group["flavors"] for r in f["resources"]}
    training = _one(plan, "tune-70b")
    assert gpus["nvidia.com/gpu"] == 8 * (a.count + training.count)  # every node of both
    gang = files["kubernetes/tune-70b-0-job.yaml"].data
    assert gang["spec"]["completions"] == training.count == 2
    (container,) = gang["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["NNODES"] == "2" and env["NPROC_PER_NODE"] == "8"


def _run_node(script: str, env: dict[str, str], tmp_path: Path) -> list[str]:
    """Run a node's script with `ray` and `python3` replaced by printers: what each node does."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("ray", "python3"):
        stub = bin_dir / tool
        # `ray health-check` fails at once: the head is gone, so a worker stops waiting
        stub.write_text(
            f'#!/bin/sh\nprintf "%s\\n" "{tool} $*"\n[ "$1" != health-check ]\n', encoding="utf-8"
        )
        stub.chmod(0o755)
    done = subprocess.run(
        ["/bin/sh", "-c", script], env={**env, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    return done.stdout.splitlines()


def test_a_groups_first_pod_leads_its_shard_and_the_others_join_it(planned, tmp_path):
    _, plan = planned
    job = _files(plan, ["kubernetes"])["kubernetes/nightly-405b-0-job.yaml"].data
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    leader = _run_node(script, {"JOB_COMPLETION_INDEX": "2"}, tmp_path)
    assert leader[0] == "ray start --head --port=6379"
    runner = leader[1].split()
    assert runner[runner.index("-i") + 1] == "/data/input/shard-1.jsonl"
    assert runner[runner.index("--pipeline-parallel-size") + 1] == "2"
    worker = _run_node(script, {"JOB_COMPLETION_INDEX": "3"}, tmp_path)
    assert worker[0] == "ray start --address=nightly-405b-0-2.nightly-405b-0:6379"
    assert not any(line.startswith("python3") for line in worker)


def test_skypilot_runs_the_batch_groups_on_one_task_of_every_node(planned, tmp_path):
    import sky

    _, plan = planned
    a = _one(plan, "nightly-405b")
    task_file = _files(plan, ["skypilot"])["skypilot/nightly-405b-0-task.yaml"]
    path = tmp_path / "task.yaml"
    path.write_text(task_file.text, encoding="utf-8")
    task = sky.Task.from_yaml(str(path))
    assert task.num_nodes == a.count
    ips = "\n".join(f"10.0.0.{i}" for i in range(a.count))
    env = {"SKYPILOT_NODE_RANK": "3", "SKYPILOT_NODE_IPS": ips}
    assert _run_node(task.run, env, tmp_path)[0] == "ray start --address=10.0.0.2:6379"
    leader = _run_node(task.run, {**env, "SKYPILOT_NODE_RANK": "0"}, tmp_path)
    assert "/data/output/shard-0.jsonl" in leader[1]


def test_ray_runs_every_batch_replica_from_one_rayjob_over_all_the_nodes(planned, tmp_path):
    from tests import crd_schema
    from tests.test_emit_examples import check_file

    _, plan = planned
    a = _one(plan, "nightly-405b")
    files = _files(plan, ["ray"])
    assert set(files) == {"ray/nightly-405b-0-configmap.yaml", "ray/nightly-405b-0-rayjob.yaml"}
    for f in files.values():
        path = tmp_path / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.text, encoding="utf-8")
        check_file(path, [])
    job = files["ray/nightly-405b-0-rayjob.yaml"].data
    (workers,) = job["spec"]["rayClusterSpec"]["workerGroupSpecs"]
    assert workers["replicas"] == a.count  # every node of every replica
    limits = workers["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits["nvidia.com/gpu"] == 8
    assert job["spec"]["entrypoint"] == "sh /scripts/run-batch.sh"
    script = files["ray/nightly-405b-0-configmap.yaml"].data["data"]["run-batch.sh"]
    runs = _run_node(script, {}, tmp_path)
    shards = sorted(r.split()[r.split().index("-i") + 1] for r in runs)
    assert shards == [f"/data/input/shard-{i}.jsonl" for i in range(a.count // 2)]
    bad = {**workers, "replicas": "four"}
    broken = {**job["spec"]["rayClusterSpec"], "workerGroupSpecs": [bad]}
    assert crd_schema.ray_cluster_spec_errors(broken)  # the published schema catches it


def test_a_failing_replica_fails_the_ray_batch_script(planned, tmp_path):
    _, plan = planned
    script = _files(plan, ["ray"])["ray/nightly-405b-0-configmap.yaml"].data["data"]["run-batch.sh"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "python3"
    stub.write_text('#!/bin/sh\ncase "$*" in *shard-1.jsonl*) exit 1;; esac\n', encoding="utf-8")
    stub.chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
    done = subprocess.run(["/bin/sh", "-c", script], env=env, capture_output=True, cwd=tmp_path)
    assert done.returncode == 1
