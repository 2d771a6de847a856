"""`planner emit --target skypilot`: SkyServe services and SkyPilot tasks that SkyPilot's own
loader accepts (offline), with the plan's region, pricing, accelerators, bounds and command."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
import yaml
from test_emit_units import allocation, make_plan

from planner.emit import build, emit
from planner.emit.skypilot import skypilot_cloud
from planner.errors import InputError
from planner.plans.io import load_plan
from tests.engine_variants import NAMES, VARIANTS, variant_plan

sky = pytest.importorskip("sky", reason="SkyPilot is in the dev extra")

GOLDEN_PLANS = sorted((Path(__file__).resolve().parent / "golden" / "plans").glob("*.json"))


def _load(path: Path):
    """The file through SkyPilot's loader: a Task, and for a service its SkyServe spec."""
    from sky.serve.service_spec import SkyServiceSpec

    task = sky.Task.from_yaml(str(path))
    data = yaml.safe_load(path.read_text())
    spec = SkyServiceSpec.from_yaml_config(data["service"]) if "service" in data else None
    return task, spec


def _emitted(plan, tmp_path: Path, *others: str):
    files, notes = emit(plan, ["skypilot", *others])
    out = []
    for f in (f for f in files if f.resource.target == "skypilot"):
        path = tmp_path / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.text)
        out.append((f, *_load(path)))
    return out, notes


def _plans():
    yield from ((p.stem, load_plan(p)) for p in GOLDEN_PLANS)
    yield from ((n, variant_plan(*v)) for n, v in zip(NAMES, VARIANTS, strict=True))


@pytest.mark.parametrize("name", [p.stem for p in GOLDEN_PLANS] + NAMES)
def test_every_emitted_file_loads_with_skypilots_own_loader(name, tmp_path):
    plan = dict(_plans())[name]
    # with Kubernetes beside it, for allocations SkyPilot refuses (not CUDA)
    loaded, notes = _emitted(plan, tmp_path, "kubernetes")
    assert loaded or notes
    for rendered, task, spec in loaded:
        r = rendered.resource
        a = [x for x in plan.allocations if x.workload == r.workload][r.index]
        (resources,) = task.resources
        assert str(resources.cloud).lower() == skypilot_cloud(a.provider)
        assert resources.region == a.region
        assert resources.use_spot == (a.pricing == "spot")
        assert sum(resources.accelerators.values()) in (a.accelerators_per_instance, 1)
        if a.kind == "serving":
            assert spec is not None and spec.min_replicas >= 1
            assert spec.readiness_path.startswith("/")
            assert resources.ports == [str(plan.deploy.port)]
        else:
            assert spec is None and task.num_nodes == a.count


def test_a_serving_allocation_scales_between_its_bounds_on_the_rate_it_was_planned_for(tmp_path):
    plan = make_plan(
        [allocation(count=3, routed_rps=6.0, utilisation=0.5)], min_replicas=2, max_replicas=5
    )
    [(_, task, spec)], _ = _emitted(plan, tmp_path)
    assert (spec.min_replicas, spec.max_replicas) == (2, 5)
    # 6 rps over 3 replicas at 50% utilisation: each sustains 4 rps; the target is 70% of it
    assert spec.target_qps_per_replica == pytest.approx(4 * 0.7)
    assert task.service.readiness_path == "/health"


def test_a_fixed_size_allocation_keeps_its_planned_replicas(tmp_path):
    plan = make_plan([allocation(count=4)], min_replicas=4, max_replicas=4)
    [(_, _, spec)], _ = _emitted(plan, tmp_path)
    assert spec.min_replicas == 4 and spec.max_replicas in (None, 4)


def test_spot_zone_and_accelerators_reach_skypilot(tmp_path):
    alloc = allocation(
        provider="aws",
        region="us-east-1",
        zone="us-east-1b",
        service="ec2",
        instance_type="p5.48xlarge",
        accelerator="H100",
        accelerators_per_instance=8,
        tp=8,
        pricing="spot",
        count=1,
    )
    [(_, task, _)], _ = _emitted(make_plan([alloc]), tmp_path)
    (resources,) = task.resources
    assert resources.use_spot and resources.zone == "us-east-1b"
    assert resources.accelerators == {"H100": 8}


def test_the_azure_h100_nvl_is_asked_for_by_skypilots_name(tmp_path):
    alloc = allocation(
        provider="azure",
        region="eastus",
        service="azure-vm",
        instance_type="Standard_NC80adis_H100_v5",
        accelerator="H100-NVL",
        accelerators_per_instance=2,
        tp=2,
    )
    [(_, task, _)], _ = _emitted(make_plan([alloc]), tmp_path)
    assert next(iter(task.resources)).accelerators == {"H100": 2}


def _args_as_run(run: str, env: dict[str, str], cwd: Path) -> list[str]:
    """The words the shell passes to the command of `run` (its first word replaced by a
    printer), with `env` set: what the server or runner really receives."""
    words = shlex.split(run, posix=True)
    script = "printf '%s\\n' " + run.split(" ", 1)[1] if len(words) > 1 else "true"
    done = subprocess.run(
        ["bash", "-c", script], env=env, cwd=cwd, capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines()


def test_each_batch_node_reads_and_writes_its_own_shard(tmp_path):
    alloc = allocation(kind="batch", count=3, routed_rps=None, utilisation=None)
    [(rendered, task, _)], _ = _emitted(make_plan([alloc]), tmp_path)
    assert task.num_nodes == 3
    words = _args_as_run(rendered.data["run"].strip(), {"SKYPILOT_NODE_RANK": "2"}, tmp_path)
    assert words[words.index("-i") + 1] == "/data/input/shard-2.jsonl"
    assert words[words.index("-o") + 1] == "/data/output/shard-2.jsonl"


def test_server_arguments_stay_one_word_each_in_the_run_command(tmp_path):
    hostile = ["--x=1; touch pwned", "$(touch pwned)", "`id`", "a b"]
    plan = make_plan([allocation()], {"extra_args": hostile})
    [(rendered, _, _)], _ = _emitted(plan, tmp_path)
    words = _args_as_run(rendered.data["run"].strip(), {}, tmp_path)
    assert words[-len(hostile) :] == hostile
    assert not (tmp_path / "pwned").exists()


def test_training_nodes_get_their_rendezvous_and_the_command(tmp_path):
    alloc = allocation(kind="training", count=2, accelerators_per_instance=8, tp=8, routed_rps=None)
    plan = make_plan([alloc], {"training_command": ["torchrun", "train.py"]})
    [(_, task, _)], notes = _emitted(plan, tmp_path)
    assert task.num_nodes == 2
    assert task.envs["NNODES"] == "2" and task.envs["NPROC_PER_NODE"] == "8"
    assert "SKYPILOT_NODE_IPS" in task.run and task.run.rstrip().endswith("torchrun train.py")
    assert notes == []


def test_a_training_task_without_a_command_says_it_runs_nothing(tmp_path):
    alloc = allocation(kind="training", count=2, routed_rps=None)
    _, notes = _emitted(make_plan([alloc]), tmp_path)
    assert any("deploy.training_command" in n for n in notes)


def test_packed_replicas_are_left_to_kubernetes_with_a_note():
    alloc = allocation(
        provider="aws",
        region="us-east-1",
        service="ec2",
        instance_type="inf2.24xlarge",
        accelerator="Inferentia2",
        accelerators_per_instance=6,
        tp=2,
        replicas_per_instance=3,
        count=1,
    )
    plan = make_plan([alloc])
    files, notes = emit(plan, ["skypilot"])
    assert files == []
    assert any("packs 3 replicas" in n and "--target kubernetes" in n for n in notes)
    files, _ = emit(plan, ["skypilot", "kubernetes"])
    assert {f.path.split("/")[0] for f in files} == {"kubernetes"}


def test_managed_endpoints_are_not_skypilots():
    built = build(load_plan(GOLDEN_PLANS[0].parent / "sagemaker-endpoint.json"), ["skypilot"])
    assert built.resources == () and all("not a VM" in n.text for n in built.notes)


def test_an_allocation_skypilot_has_no_image_for_is_refused_naming_the_chip():
    alloc = allocation(
        **{"provider": "aws", "region": "us-east-1", "service": "ec2"},
        instance_type="inf2.xlarge",
        accelerator="Inferentia2",
        kind="batch",
        routed_rps=None,
    )
    with pytest.raises(InputError, match=r"Inferentia2.*SkyPilot"):
        emit(make_plan([alloc]), ["skypilot"])


def test_the_chatbot_planned_on_lambda_launches_there_through_skypilot(skypilot_dir, tmp_path):
    import datetime as dt

    from planner.catalog import load_catalog
    from planner.solve import solve
    from planner.spec import load_spec

    root = Path(__file__).resolve().parent.parent
    catalog = load_catalog(["bundled", skypilot_dir / "lambda"])
    plan = solve(
        load_spec(root / "examples" / "chatbot-fleet.yaml"), catalog, as_of=dt.date(2026, 12, 7)
    )
    on_lambda = [a for a in plan.allocations if a.provider == "lambda"]
    assert on_lambda, "Lambda's prices should win a placement"
    loaded, _ = _emitted(plan, tmp_path, "kubernetes")
    clouds = {str(next(iter(task.resources)).cloud).lower() for _, task, _ in loaded}
    assert "lambda" in clouds
    for a in on_lambda:
        assert any(r.data["resources"]["infra"] == f"lambda/{a.region}" for r, _, _ in loaded)
