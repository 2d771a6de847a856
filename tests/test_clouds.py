"""The provider registry: one place that knows each cloud's services, what they run and how
their resources are named; the catalog, the solver, verify and emit all answer through it."""

import pytest

from planner import clouds
from planner.catalog import load_catalog
from planner.clouds import aws, gcp
from planner.clouds.locations import UNKNOWN, locate


def test_every_bundled_offering_is_on_a_registered_service_of_its_cloud():
    for o in load_catalog().offerings:
        assert clouds.is_cloud(o.provider)
        assert o.service in clouds.catalog_services(o.provider)
        assert o.service_kind == clouds.service(o.service).kind


def test_kubernetes_in_a_placement_admits_the_vm_services_of_clouds_with_managed_kubernetes():
    for name in clouds.VM_SERVICES | {"onprem"}:
        owner = clouds.CLOUDS.get(clouds.service(name).provider)
        assert clouds.allows_service(("kubernetes",), name) == (
            owner is None or owner.has_kubernetes
        )
        assert clouds.allows_service(("vm",), name)
    assert not clouds.allows_service(("kubernetes",), "lambda-vm")
    assert clouds.allows_service(("kubernetes",), "nebius-vm")
    assert not clouds.allows_service(("kubernetes",), "sagemaker")
    assert clouds.allows_service(("sagemaker",), "sagemaker")
    assert not clouds.allows_service(("vertex",), "gce")


def test_own_capacity_is_not_a_cloud_and_not_in_catalogs():
    assert {"aws", "gcp", "azure", "lambda", "nebius", "oci", "runpod", "coreweave"} <= set(
        clouds.cloud_names()
    )
    assert not clouds.is_cloud("onprem") and not clouds.is_cloud("edge")
    assert {"onprem", "edge"} == clouds.OWNED_SERVICES
    assert not set(clouds.catalog_services()) & clouds.OWNED_SERVICES


@pytest.mark.parametrize(
    ("ref", "region"),
    [
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/vllm:v1", "eu-west-1"),
        ("arn:aws:kms:us-east-1:123456789012:key/abc", "us-east-1"),
        ("https://weights.s3.eu-central-1.amazonaws.com/llama", "eu-central-1"),
        ("europe-west4-docker.pkg.dev/acme/serving/vllm:v1", "europe-west4"),
        ("gcr.io/acme/vllm:v1", "us"),
        ("eu.gcr.io/acme/vllm:v1", "eu"),
        ("projects/acme/locations/us-central1/keyRings/k/cryptoKeys/c", "us-central1"),
    ],
)
def test_each_clouds_resource_names_give_their_region(ref, region):
    assert locate("image", ref, {}).region == region


def test_buckets_take_their_region_from_the_spec_and_public_sources_have_none():
    assert locate("weights", "s3://acme-weights/llama", {"acme-weights": "eu-west-1"}).region == (
        "eu-west-1"
    )
    assert locate("weights", "gs://other/llama", {}).region == UNKNOWN
    assert locate("image", "vllm/vllm-openai:v0.6.3", {}) is None
    assert locate("weights", "hf://meta-llama/Llama-3.1-8B", {}) is None


def test_managed_endpoint_names_are_dns_labels_and_stable():
    assert aws.endpoint_name("Chat_8B") == "chat-8b"
    assert aws.variant_name(0, "ml.g5.xlarge") == "v0-g5-xlarge"
    assert gcp.endpoint_id("8b-chat") == "ep-8b-chat"
    assert gcp.model_id("p1", "chat", 2) == gcp.model_id("p1", "chat", 2)
    long = aws.endpoint_config_name("p" * 40, "w" * 40)
    assert len(long) <= 63 and long == aws.endpoint_config_name("p" * 40, "w" * 40)


def test_vertex_names_the_accelerators_it_runs():
    assert gcp.VERTEX.accelerators["L4"] == "NVIDIA_L4"
    assert "A10G" not in gcp.VERTEX.accelerators
