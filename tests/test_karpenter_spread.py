"""Karpenter NodePools offer a spread of instance types: the plan's type first, then compatible
ones (same accelerator, TP and pricing, pods fit) within the spec's price tolerance."""

from __future__ import annotations

import pytest
import yaml

from planner.catalog import load_catalog
from planner.emit import emit
from planner.emit.kubernetes import nodepool_instance_types
from planner.emit.nodes import PodSize
from planner.plans.model import InstanceOption
from planner.solve.assemble import with_compatible_instances
from tests.test_report_plans import alloc, plan_of


def option(name: str, per_replica: float, accelerators: int = 1, vcpus: float = 32.0):
    return InstanceOption(
        instance_type=name,
        accelerators_per_instance=accelerators,
        replicas_per_instance=accelerators,
        vcpus=vcpus,
        memory_gib=vcpus * 8,
        price_per_hour=per_replica * accelerators,
        price_per_replica_hour=per_replica,
    )


def spot_allocation(**extra):
    options = [option("a.same", 10.0), option("b.ten", 11.0), option("c.thirty", 13.0),
               option("d.tiny", 10.5, vcpus=2.0)]  # fmt: skip
    return alloc("api", price_per_hour=10.0, pricing="spot", compatible_instances=options, **extra)


def test_the_chosen_type_comes_first_then_compatible_ones_within_the_tolerance():
    a = spot_allocation()
    size = PodSize(cpu=8, memory_gib=64)
    assert nodepool_instance_types(a, size, 1, 0.2) == ["p5.4xlarge", "a.same", "b.ten"]
    assert nodepool_instance_types(a, size, 1, 0.0) == ["p5.4xlarge", "a.same"]
    assert nodepool_instance_types(a, size, 1, 0.5) == ["p5.4xlarge", "a.same", "b.ten", "c.thirty"]
    # d.tiny is cheap enough but its 2 vCPUs cannot hold the pod's 8
    assert "d.tiny" in nodepool_instance_types(a, None, 1, 0.2)


def test_plans_list_same_accelerator_types_cheapest_per_replica_first():
    catalog = load_catalog()
    a = alloc("api", service="ec2", instance_type="p5.4xlarge", accelerator="H100",
              price_per_hour=6.88)  # fmt: skip
    found = with_compatible_instances(a, catalog).compatible_instances
    assert found, "p5.48xlarge holds 8 replicas of TP 1 at the same price per GPU"
    prices = [o.price_per_replica_hour for o in found]
    assert prices == sorted(prices) and max(prices) <= 6.88 * 1.5 + 1e-6
    offered = {(o.provider, o.region, o.service, o.instance_type) for o in catalog}
    for o in found:
        assert ("aws", "us-east-1", "ec2", o.instance_type) in offered
        assert o.accelerators_per_instance % 1 == 0 and o.instance_type != "p5.4xlarge"
    training = alloc("ft", kind="training", service="ec2", hours=5.0)
    assert with_compatible_instances(training, catalog).compatible_instances == []


def _emitted(plan, kind: str) -> dict:
    files, _ = emit(plan, ("kubernetes",))
    [text] = [f.text for f in files if f.path.endswith(f"-{kind}.yaml")]
    return yaml.safe_load(text)


@pytest.mark.parametrize(("tolerance", "types"), [
    (0.2, ["p5.4xlarge", "a.same", "b.ten"]), (0.0, ["p5.4xlarge", "a.same"]),
])  # fmt: skip
def test_emitted_nodepool_offers_the_spread_and_pods_follow_the_nodepool(tolerance, types):
    a = spot_allocation(kind="batch", hours=2.0)
    plan = plan_of([a]).model_copy(update={"deploy": {"karpenter_price_tolerance": tolerance}})
    pool = _emitted(plan, "nodepool")
    [requirement] = [r for r in pool["spec"]["template"]["spec"]["requirements"]
                     if r["key"] == "node.kubernetes.io/instance-type"]  # fmt: skip
    assert requirement["values"] == types
    job = _emitted(plan, "job")
    selector = job["spec"]["template"]["spec"]["nodeSelector"]
    assert selector["karpenter.sh/nodepool"] == pool["metadata"]["name"]
    assert selector["karpenter.sh/capacity-type"] == "spot"
    assert "node.kubernetes.io/instance-type" not in selector


def test_without_compatible_types_the_nodepool_and_pods_pin_the_one_type():
    plan = plan_of([alloc("api")])
    pool = _emitted(plan, "nodepool")
    values = [r["values"] for r in pool["spec"]["template"]["spec"]["requirements"]
              if r["key"] == "node.kubernetes.io/instance-type"]  # fmt: skip
    assert values == [["p5.4xlarge"]]
    selector = _emitted(plan, "deployment")["spec"]["template"]["spec"]["nodeSelector"]
    assert selector["node.kubernetes.io/instance-type"] == "p5.4xlarge"
