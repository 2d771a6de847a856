"""Multi-host TPU slices: a model no TPU host holds runs on one slice of several hosts (one
tensor-parallel group over all its chips, joined by ICI, not a pipeline of hosts), priced and
counted over every host, verified, and emitted on GKE as a LeaderWorkerSet with one pod per
host on a node pool of the slice's topology (checked against the published LWS CRD and
Kubernetes' pod template)."""

from __future__ import annotations

import pytest
import yaml

from planner.catalog import load_catalog
from planner.clouds.gcp import gke_slices, tpu_topology
from planner.emit import emit
from planner.facts import find_accelerator
from planner.facts.engines import why_not
from planner.perf.multinode import replica_view
from planner.perf.settings import DEFAULT_SETTINGS
from planner.solve import solve
from planner.spec import load_spec
from planner.verify import verify


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    spec = {"workloads": [{
        "name": "big", "kind": "serving", "model": "llama-3.1-405b",
        "traffic": {"requests_per_second": 1, "input_tokens": 1000, "output_tokens": 200},
        "slo": {"tpot_ms": 150, "ttft_p95_ms": 20000},
        "placement": {"providers": ["gcp"], "accelerators": ["TPU-v5p"]},
    }]}  # fmt: skip
    path = tmp_path_factory.mktemp("tpu") / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    catalog = load_catalog()
    loaded = load_spec(path)
    return loaded, catalog, solve(loaded, catalog)


def test_gke_sells_multi_host_slices_of_four_chip_hosts():
    assert gke_slices("TPU-v6e", 4) == ((16, 4), (32, 8))
    assert gke_slices("TPU-v5p", 4) == ((8, 2), (16, 4), (32, 8))
    assert gke_slices("TPU-v6e", 8) == ()  # an 8-chip v6e host is a single-host slice
    assert gke_slices("H100", 8) == ()
    assert (tpu_topology("TPU-v6e", 16), tpu_topology("TPU-v5p", 16)) == ("4x4", "2x2x4")
    assert tpu_topology("TPU-v6e", 4) == "2x2"  # one host, as before


def test_llama_405b_on_v5p_plans_as_one_16_chip_slice_of_four_hosts(planned):
    spec, catalog, plan = planned
    (a,) = plan.allocations
    assert (a.instance_type, a.nodes_per_replica, a.tp) == ("ct5p-hightpu-4t", 4, 16)
    assert a.count % 4 == 0  # whole slices
    assert a.cost_per_hour == pytest.approx(a.count * a.price_per_hour)
    assert not verify(plan, spec, catalog)


def test_a_slice_is_one_tensor_parallel_group_not_a_pipeline():
    v5p, h100 = find_accelerator("TPU-v5p"), find_accelerator("H100")
    assert replica_view(v5p, 16, 4, 4, DEFAULT_SETTINGS, None) == v5p
    assert replica_view(h100, 8, 8, 2, DEFAULT_SETTINGS, 3200).pipeline_stages == 2
    assert replica_view(h100, 8, 8, 2, DEFAULT_SETTINGS, None) is None  # no known network


def test_a_slice_emits_one_pod_per_host_on_a_node_pool_of_its_topology(planned):
    from tests.test_emit_examples import check_kubernetes

    _, _, plan = planned
    files, _ = emit(plan, ["kubernetes"])
    by_path = {f.path: f for f in files}
    for f in files:
        check_kubernetes(yaml.safe_load(f.text))
    lws = by_path["kubernetes/big-0-leaderworkerset.yaml"].data
    template = lws["spec"]["leaderWorkerTemplate"]
    assert template["size"] == 4
    for role in ("leaderTemplate", "workerTemplate"):
        pod = template[role]["spec"]
        assert pod["nodeSelector"]["cloud.google.com/gke-tpu-topology"] == "2x2x4"
        assert pod["nodeSelector"]["cloud.google.com/gke-tpu-accelerator"] == "tpu-v5p-slice"
        assert pod["containers"][0]["resources"]["limits"]["google.com/tpu"] == 4
    script = template["leaderTemplate"]["spec"]["containers"][0]["args"][0]
    assert "--tensor-parallel-size 16" in script and "--pipeline-parallel-size" not in script
    assert "--distributed-executor-backend ray" in script


def test_a_slice_is_deployed_by_kubernetes_only():
    assert not why_not("vllm", "kubernetes", "TPU-v6e", nodes=4)
    assert "Kubernetes only" in why_not("vllm", "vertex", "TPU-v6e", nodes=4)
    assert why_not("vllm", "ray", "TPU-v6e", nodes=4)  # no Ray Serve image for TPU is listed
    assert "Kubernetes only" in why_not("vllm", "kubernetes", "TPU-v6e", "batch", nodes=4)
