"""Quotas refresh: AWS Service Quotas through a local fake JSON server (boto3 via endpoint_url),
GCP regional quotas through a local fake REST server, and the CLI writing a loadable file."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from planner.catalog import Offering
from planner.quotas import load_quotas, merge_quotas
from planner.spec.load import load_spec
from planner.spec.models import Quota
from providers.aws.quotas import accelerator_quotas, instance_class, refresh_aws_quotas
from providers.gcp.quotas import refresh_gcp_quotas, region_quotas
from providers.gcp.refresh import GcpApi
from providers.refresh_common import Http, RefreshContext, RetryPolicy
from tests.conftest import ROOT
from tests.fakes.aws_json import AwsJsonFake
from tests.fakes.gcp import GcpFake
from tests.fakes.server import Faults

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
AWS_QUOTAS = {
    ("us-east-1", "L-DB2E81BA"): 64.0,
    ("us-east-1", "L-3819A6DF"): 32.0,
    ("us-east-1", "L-417A185B"): 192.0,
    ("us-east-1", "L-7212CCBC"): 0.0,
    ("eu-west-1", "L-DB2E81BA"): 128.0,
    ("eu-west-1", "L-417A185B"): 96.0,
}
GCP_QUOTAS = {
    "us-central1": [
        {"metric": "CPUS", "limit": 72.0, "usage": 8.0},
        {"metric": "NVIDIA_L4_GPUS", "limit": 8.0, "usage": 2.0},
        {"metric": "PREEMPTIBLE_NVIDIA_L4_GPUS", "limit": 16.0, "usage": 0.0},
        {"metric": "NVIDIA_A100_80GB_GPUS", "limit": 0.0, "usage": 0.0},
        {"metric": "NVIDIA_H100_MEGA_GPUS", "limit": 8.0, "usage": 0.0},
        {"metric": "COMMITTED_NVIDIA_L4_GPUS", "limit": 4.0, "usage": 0.0},
    ],
    "europe-west4": [{"metric": "NVIDIA_T4_GPUS", "limit": 4.0, "usage": 0.0}],
}


def _ctx(slept: list[float]) -> RefreshContext:
    return RefreshContext(now=NOW, as_of="2026-11-25", policy=RetryPolicy(attempts=3),
                          sleep=slept.append)  # fmt: skip


def _ec2(itype: str, accelerator: str, count: int, vcpus: float) -> Offering:
    return Offering(provider="aws", region="us-east-1", service="ec2", instance_type=itype,
                    accelerator=accelerator, accelerator_count=count, accelerator_memory_gb=24,
                    vcpus=vcpus, memory_gib=16, price_on_demand=1.0)  # fmt: skip


CATALOG = [
    _ec2("g5.xlarge", "A10G", 1, 4),
    _ec2("g5.12xlarge", "A10G", 4, 48),
    _ec2("g6.xlarge", "L4", 1, 4),
    _ec2("p4d.24xlarge", "A100", 8, 96),
    _ec2("p5.48xlarge", "H100", 8, 192),
    _ec2("p5.4xlarge", "H100", 1, 16),
    _ec2("dl1.24xlarge", "Gaudi", 8, 96),
]


@pytest.fixture
def aws_credentials(monkeypatch):
    """Dummy credentials for boto3's request signing (the fake does not check them)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def test_instance_classes():
    assert [instance_class(t) for t in ("g5.xlarge", "gr6.4xlarge", "vt1.3xlarge", "p5en.48xlarge",
            "p6-b200.48xlarge", "inf2.xlarge", "trn1.32xlarge", "dl1.24xlarge", "m5.large")] == [
        "G and VT", "G and VT", "G and VT", "P", "P", "Inf", "Trn", None, None]  # fmt: skip


def test_vcpu_limits_become_accelerators_with_the_most_vcpus_per_accelerator():
    limits = {("us-east-1", "L-DB2E81BA"): 64.0, ("us-east-1", "L-417A185B"): 192.0,
              ("us-east-1", "L-7212CCBC"): 0.0}  # fmt: skip
    got = {(q.accelerator, q.pricing): q.max_accelerators
           for q in accelerator_quotas(limits, CATALOG)}  # fmt: skip
    assert got == {
        ("A10G", "on_demand"): 5,  # 64 vCPUs / 12 (g5.12xlarge: 48 vCPUs for 4 GPUs)
        ("L4", "on_demand"): 16,
        ("A100", "on_demand"): 16,
        ("H100", "on_demand"): 8,  # 192 / 24 (p5.48xlarge), not 192 / 16 (p5.4xlarge)
        ("A100", "spot"): 0,
        ("H100", "spot"): 0,
    }
    fewest = {(q.accelerator, q.pricing): q.max_accelerators
              for q in accelerator_quotas(limits, CATALOG, most=False)}  # fmt: skip
    assert fewest[("A10G", "on_demand")] == 16 and fewest[("H100", "on_demand")] == 12


def test_aws_quotas_through_the_service_quotas_api(aws_credentials):
    from providers.aws.refresh import make_clients

    fake = AwsJsonFake(
        quotas=AWS_QUOTAS,
        faults=Faults(throttle={"GetServiceQuota:eu-west-1:L-DB2E81BA": 1},
                      fail={"GetServiceQuota:eu-west-1:L-417A185B"}),
    )  # fmt: skip
    slept: list[float] = []
    catalog = CATALOG + [o.__class__(**{**o.as_row(), "region": "eu-west-1"}) for o in CATALOG]
    with fake.serve() as server:
        clients = make_clients({"service-quotas": server.url})
        quotas, log = refresh_aws_quotas(["us-east-1", "eu-west-1"], catalog, _ctx(slept), clients)
        requests = server.requests
    targets = {r.headers["x-amz-target"] for r in requests}
    assert targets == {"ServiceQuotasV20190624.GetServiceQuota"}
    assert {r.body["ServiceCode"] for r in requests} == {"ec2"}
    got = {(q.region, q.accelerator, q.pricing): q.max_accelerators for q in quotas}
    assert got[("us-east-1", "H100", "on_demand")] == 8
    assert got[("eu-west-1", "A10G", "on_demand")] == 10  # 128 / 12, after one throttle
    assert ("eu-west-1", "H100", "on_demand") not in got
    assert len(slept) == 1
    assert [f.what for f in log.failures] == [
        "aws eu-west-1: quota L-417A185B (Running On-Demand P instances)"
    ]
    assert any("L-1945791B" in n and "not known" in n for n in log.notes)


def test_gcp_quotas_map_gpu_metrics_and_skip_the_rest():
    quotas = region_quotas("us-central1", GCP_QUOTAS["us-central1"])
    assert quotas == [
        Quota(provider="gcp", region="us-central1", accelerator="L4", pricing="on_demand",
              max_accelerators=8),
        Quota(provider="gcp", region="us-central1", accelerator="L4", pricing="spot",
              max_accelerators=16),
        Quota(provider="gcp", region="us-central1", accelerator="A100-80GB",
              pricing="on_demand", max_accelerators=0),
    ]  # fmt: skip


def test_gcp_quotas_per_region_and_for_all_regions():
    fake = GcpFake(quotas=GCP_QUOTAS, faults=Faults(throttle={"region:us-central1": 1},
                                                    fail={"region:asia-east1"}))  # fmt: skip
    slept: list[float] = []
    with fake.serve() as server:
        api = GcpApi(http=Http(sleep=slept.append), compute_url=server.url, project="proj")
        quotas, log = refresh_gcp_quotas(["us-central1", "asia-east1"], _ctx(slept), api)
        everywhere, _ = refresh_gcp_quotas(None, _ctx(slept), api)
    assert {q.region for q in quotas} == {"us-central1"} and len(quotas) == 3
    assert [f.what for f in log.failures] == ["gcp asia-east1: quotas"]
    assert "HTTP 403" in log.failures[0].reason
    assert {q.region for q in everywhere} == {"us-central1", "europe-west4"}


def test_cli_writes_a_quotas_file_that_loads_and_merges(
    cli, tmp_path, monkeypatch, aws_credentials
):
    import planner.cli.refresh_cmd as refresh_cmd

    monkeypatch.setattr(refresh_cmd, "SLEEP", lambda s: None)
    out = tmp_path / "quotas.yaml"
    with AwsJsonFake(quotas=AWS_QUOTAS).serve() as server:
        result = cli("quotas", "refresh", "--provider", "aws", "--regions", "us-east-1",
                     "--endpoint-url", f"service-quotas={server.url}", "-o", out, "--as-of",
                     "2026-11-25", "-q")  # fmt: skip
        as_json = cli("quotas", "refresh", "--provider", "aws", "--regions", "us-east-1",
                      "--endpoint-url", f"service-quotas={server.url}", "-o", out, "--as-of",
                      "2026-11-25", "-q", "--force", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Wrote ") and result.stdout.count("\n") == 1
    assert "L-1945791B" in result.stderr
    summary = json.loads(as_json.stdout)
    assert summary["file"] == str(out) and summary["quotas"] > 0 and summary["failures"] == []
    text = out.read_text()
    assert text.startswith(
        "# Accelerator quotas written by `planner quotas refresh --provider aws`"
    )
    quotas = load_quotas(out)
    pools = {(q.accelerator, q.pricing): q.max_accelerators for q in quotas}
    assert pools[("H100", "on_demand")] == 8  # bundled catalog: p5.48xlarge, 24 vCPUs per GPU
    assert pools[("A100", "spot")] == 0
    spec = load_spec(ROOT / "examples" / "chatbot-fleet.yaml")
    merged = merge_quotas(spec, quotas)
    assert len(merged.constraints.quotas) == len(spec.constraints.quotas) + len(quotas)

    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    gcp = cli("quotas", "refresh", "--provider", "gcp", "-o", tmp_path / "g.yaml")
    assert gcp.exit_code == 2 and "need a project" in gcp.stderr
