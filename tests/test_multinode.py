"""Replicas over several instances: a model no single instance holds plans as a pipeline of
instances (TP inside each), priced, sized and verified over all of them; one that fits no
offered shape exits 3 saying what its largest replica would need."""

from __future__ import annotations

from dataclasses import replace

import pytest
import yaml

from planner.catalog import load_catalog
from planner.errors import InfeasibleError
from planner.facts import find_accelerator, find_llm
from planner.perf import replica_capacity
from planner.perf.multinode import nodes_needed, pipeline_accelerator, stage_link_gbps
from planner.perf.settings import DEFAULT_SETTINGS
from planner.perf.slo import SLO
from planner.solve import solve
from planner.spec import load_spec
from planner.verify import verify

H100, GB200 = find_accelerator("H100"), find_accelerator("GB200")
LLAMA_405B = find_llm("llama-3.1-405b")


def _spec(tmp_path, placement: dict, rps: float = 2.0):
    spec = {"workloads": [{
        "name": "big", "kind": "serving", "model": "llama-3.1-405b",
        "traffic": {"requests_per_second": rps, "input_tokens": 1000, "output_tokens": 200},
        "slo": {"tpot_ms": 100, "ttft_p95_ms": 10000}, "placement": placement,
    }]}  # fmt: skip
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return load_spec(path)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_llama_405b_bf16_needs_two_8x_h100_instances():
    assert nodes_needed(LLAMA_405B, H100, 8, "bf16", DEFAULT_SETTINGS) == 2
    assert nodes_needed(LLAMA_405B, H100, 8, "fp8", DEFAULT_SETTINGS) == 1


def test_llama_405b_bf16_on_h100_plans_as_a_two_node_replica(tmp_path, catalog):
    spec = _spec(tmp_path, {"providers": ["aws"], "accelerators": ["H100"]})
    plan = solve(spec, catalog)
    (a,) = plan.allocations
    assert (a.instance_type, a.nodes_per_replica, a.tp, a.replicas_per_instance) == (
        "p5.48xlarge", 2, 8, 1)  # fmt: skip
    assert a.count % 2 == 0 and a.cost_per_hour == pytest.approx(a.count * a.price_per_hour)
    assert a.price_per_hour == pytest.approx(55.04)  # the instance's price, not the pair's
    assert not verify(plan, spec, catalog)


def test_verify_counts_a_multi_node_allocation_in_replicas(tmp_path, catalog):
    spec = _spec(tmp_path, {"providers": ["aws"], "accelerators": ["H100"]}, rps=6.0)
    plan = solve(spec, catalog)
    (a,) = plan.allocations
    assert a.count >= 4 and a.nodes_per_replica == 2  # two or more replicas of two instances
    one_replica = a.model_copy(update={"count": 2, "cost_per_hour": 2 * a.price_per_hour})
    tampered = plan.model_copy(update={"allocations": [one_replica]})
    assert any("capacity" in str(v) or "carry" in str(v)
               for v in verify(tampered, spec, catalog))  # fmt: skip


def test_a_pipeline_replica_holds_the_memory_of_every_stage_and_pays_the_network():
    one = replica_capacity(LLAMA_405B, H100, 8, 1000, 200, SLO(tpot_ms=100))
    assert not one.fits
    link = stage_link_gbps(H100, 16, 3200)
    assert link == 400  # 3,200 Gbit/s of EFA between two p5.48xlarge
    two = replica_capacity(LLAMA_405B, pipeline_accelerator(H100, 2, DEFAULT_SETTINGS, link), 8,
                           1000, 200, SLO(tpot_ms=100))  # fmt: skip
    slow = replica_capacity(LLAMA_405B, pipeline_accelerator(H100, 2, DEFAULT_SETTINGS, 1.0), 8,
                            1000, 200, SLO(tpot_ms=100))  # fmt: skip
    assert two.fits and two.max_rps > 0
    assert slow.max_rps < two.max_rps  # activations over a slow link lengthen every step


def test_an_nvl72_rack_joins_its_instances_over_nvlink():
    assert stage_link_gbps(GB200, 8, 1600) == GB200.interconnect_gbps  # inside the rack
    assert stage_link_gbps(GB200, 80, 1600) == 200  # beyond 72: the scale-out network
    assert stage_link_gbps(H100, 16, None) == 0.0


def test_a_model_that_fits_no_offered_shape_says_what_its_largest_replica_would_need(
    tmp_path, catalog
):
    spec = _spec(tmp_path, {"providers": ["aws"], "accelerators": ["H100"],
                            "services": ["sagemaker"]})  # fmt: skip
    with pytest.raises(InfeasibleError) as caught:
        solve(spec, catalog)
    text = str(caught.value)
    assert "812 GB" in text and "640 GB" in text and "2 x ml.p5.48xlarge" in text


def test_the_cli_exits_3_for_a_model_no_shape_holds(cli, tmp_path, catalog):
    spec_file = tmp_path / "spec.yaml"
    _spec(tmp_path, {"providers": ["aws"], "services": ["sagemaker"]})
    result = cli("plan", spec_file, "-q")
    assert result.exit_code == 3
    assert "would need about" in result.stderr and "Traceback" not in result.stderr


def test_single_instance_replicas_are_unchanged_by_the_pipeline_terms():
    model = find_llm("llama-3.1-70b")
    plain = replica_capacity(model, H100, 4, 1000, 200, SLO(tpot_ms=50))
    view = replace(H100, pipeline_stages=1, stage_link_gbps=400.0)
    assert replica_capacity(model, view, 4, 1000, 200, SLO(tpot_ms=50)) == replace(plain)


def test_estimate_says_how_many_instances_a_model_too_big_for_one_needs(cli):
    import json

    args = ("--model", "llama-3.1-405b", "--accelerator", "H100", "--count", "8")
    result = cli("estimate", *args, "--input-tokens", "1000", "--output-tokens", "200",
                 "--format", "json")  # fmt: skip
    record = json.loads(result.stdout)
    assert not record["fits"] and "a replica of 2 such instances" in record["reason"]
