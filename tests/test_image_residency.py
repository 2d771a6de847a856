"""The solver never plans an allocation whose serving image lies outside the workload's
regions: emit refuses such a plan and verify reports it, so a plan must not hold one.

Vertex AI's TPU serving image is published in the `us` multi-region (Artifact Registry); a
workload held to named regions cannot pull it, unless the spec names its own copy of the image
in an allowed region (deploy.accelerator_images)."""

from __future__ import annotations

import pytest

import planner
from planner.catalog import load_catalog
from planner.errors import InfeasibleError
from planner.verify import verify

SPEC = """
workloads:
  - name: eu-chat
    kind: serving
    model: llama-3.1-8b
    traffic: {requests_per_second: 4, input_tokens: 1000, output_tokens: 200}
    slo: {ttft_p95_ms: 3000, tpot_ms: 80}
    placement:
      providers: [gcp]
      regions: [europe-west4]
      services: [vertex]
      accelerators: [TPU-v5e]
{deploy}
"""

REGIONAL = """
deploy:
  accelerator_images:
    TPU-v5e: europe-west4-docker.pkg.dev/acme/serving/vllm-tpu:1.0
"""


def _plan(deploy: str) -> planner.Plan:
    spec = planner.parse_spec(SPEC.replace("{deploy}", deploy), "spec.yaml")
    return planner.plan(spec, load_catalog(), time_limit_s=20)


def test_a_tpu_image_outside_the_workloads_regions_is_not_planned() -> None:
    with pytest.raises(InfeasibleError) as err:
        _plan("")
    message = str(err.value)
    assert "would pull a serving image outside its regions" in message
    assert "multi-region location 'us'" in message
    assert "deploy.accelerator_images" in message


def test_the_users_own_regional_image_makes_the_same_placement_plannable() -> None:
    plan = _plan(REGIONAL)
    assert {(a.service, a.region) for a in plan.allocations} == {("vertex", "europe-west4")}
    spec = planner.parse_spec(SPEC.replace("{deploy}", REGIONAL), "spec.yaml")
    assert verify(plan, spec, load_catalog()) == []
