"""AWS catalog refresh: EC2 from moto's server on 127.0.0.1, Price List from a local fake JSON
server."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from planner.catalog import load_catalog
from providers.refresh_common import RefreshContext, RetryPolicy, merge_with_base
from tests.fakes.aws_json import AwsJsonFake, ec2_product, sagemaker_product
from tests.fakes.moto_server import moto_aws
from tests.fakes.server import Faults

moto = pytest.importorskip("moto")

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
REGIONS = ["us-east-1", "us-west-2"]


def _products() -> dict[str, list[dict]]:
    ec2 = [
        ec2_product("g5.xlarge", "us-east-1", 1.006),
        ec2_product("g5.xlarge", "us-west-2", 1.006),
        ec2_product("g5.xlarge", "us-east-1", 1.5, operatingSystem="Windows"),
        ec2_product("g5.xlarge", "us-east-1", 0.9, tenancy="Dedicated"),
        ec2_product("g5.xlarge", "eu-west-1", 1.123),
        ec2_product("p4d.24xlarge", "us-east-1", 21.9576),
        ec2_product("p4d.24xlarge", "us-west-2", 21.9576),
        ec2_product("p5.48xlarge", "us-east-1", 54.9),
        ec2_product("g6.xlarge", "us-east-1", 0.8048),
        ec2_product("inf2.xlarge", "us-east-1", 0.7582),
    ]
    sagemaker = [
        sagemaker_product("ml.g5.xlarge", "us-east-1", 1.408),
        sagemaker_product("ml.g5.xlarge", "us-east-1", 1.41, component="Training"),
        sagemaker_product("ml.p4d.24xlarge", "us-east-1", 25.2512),
    ]
    return {"AmazonEC2": ec2, "AmazonSageMaker": sagemaker}


class _FailingSpot:
    """An EC2 client whose spot price history is always throttled (moto never throttles)."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def describe_spot_price_history(self, **kwargs):
        from botocore.exceptions import ClientError

        raise ClientError(
            {"Error": {"Code": "RequestLimitExceeded", "Message": "Request limit exceeded."}},
            "DescribeSpotPriceHistory",
        )


@pytest.fixture(scope="module")
def refreshed():
    """One refresh of us-east-1 and us-west-2: g5.xlarge throttled once, g6.xlarge's price
    failing, us-west-2's spot prices always throttled."""
    from providers.aws.refresh import make_clients, refresh_aws

    fake = AwsJsonFake(
        products=_products(),
        faults=Faults(throttle={"GetProducts:g5.xlarge": 1}, fail={"GetProducts:g6.xlarge"}),
    )
    slept: list[float] = []
    with moto_aws(), fake.serve() as server:
        made = make_clients({"pricing": server.url})

        def clients(service, region):
            client = made(service, region)
            return _FailingSpot(client) if (service, region) == ("ec2", "us-west-2") else client

        ctx = RefreshContext(now=NOW, as_of="2026-11-25", policy=RetryPolicy(attempts=3),
                             sleep=slept.append)  # fmt: skip
        result = refresh_aws(REGIONS, ctx, clients)
        requests = list(server.requests)
    return result, slept, requests


def _rows(result):
    return {(o.region, o.service, o.instance_type): o for o in result.offerings}


def test_instance_types_and_gpus_come_from_ec2(refreshed):
    rows = _rows(refreshed[0])
    g5, p4d = rows[("us-east-1", "ec2", "g5.xlarge")], rows[("us-east-1", "ec2", "p4d.24xlarge")]
    assert (g5.accelerator, g5.accelerator_count, g5.vcpus, g5.memory_gib) == ("A10G", 1, 4, 16)
    assert (p4d.accelerator, p4d.accelerator_count, p4d.accelerator_memory_gb) == ("A100", 8, 40)
    p5 = rows[("us-east-1", "ec2", "p5.48xlarge")]
    assert (p5.accelerator, p5.accelerator_count, p5.vcpus, p5.price_on_demand) == (
        "H100", 8, 192, 54.9,
    )  # fmt: skip
    inf2 = rows[("us-east-1", "ec2", "inf2.xlarge")]
    assert (inf2.accelerator, inf2.accelerator_count) == ("Inferentia2", 1)
    assert all(o.source.startswith("aws-pricing-api") and o.as_of == "2026-11-25"
               for o in rows.values())  # fmt: skip


def test_prices_come_from_the_price_list_with_linux_shared_tenancy_only(refreshed):
    rows = _rows(refreshed[0])
    assert rows[("us-east-1", "ec2", "g5.xlarge")].price_on_demand == 1.006
    assert rows[("us-west-2", "ec2", "p4d.24xlarge")].price_on_demand == 21.9576
    assert not any(region == "eu-west-1" for region, _, _ in rows)
    sm = rows[("us-east-1", "sagemaker", "ml.g5.xlarge")]
    assert (sm.price_on_demand, sm.accelerator, sm.price_spot) == (1.408, "A10G", None)
    assert ("us-west-2", "sagemaker", "ml.g5.xlarge") not in rows


def test_spot_is_the_lowest_latest_zone_price_and_failures_keep_base_spot(refreshed):
    result = refreshed[0]
    rows = _rows(result)
    assert rows[("us-east-1", "ec2", "g5.xlarge")].price_spot == 0.00001  # moto's placeholder
    assert rows[("us-west-2", "ec2", "g5.xlarge")].price_spot is None
    assert ("aws", "us-west-2", "ec2", "g5.xlarge") in result.spot_kept
    assert any("us-west-2: spot prices" in f.what for f in result.failures)


def test_a_throttled_page_is_retried_and_a_failing_one_keeps_the_base_rows(refreshed):
    result, slept, requests = refreshed
    g5_calls = [r for r in requests if "g5.xlarge" in json.dumps(r.body)
                and r.body["ServiceCode"] == "AmazonEC2"]  # fmt: skip
    assert len(g5_calls) >= 3  # throttled, then two pages of products
    assert len(slept) >= 1 + 2  # one for g5's throttle, two for us-west-2's spot attempts
    assert ("aws", "us-east-1", "ec2", "g6.xlarge") in result.kept
    failure = next(f for f in result.failures if "g6.xlarge" in f.what)
    assert "AccessDenied" in failure.reason
    merged = merge_with_base(load_catalog().offerings, result)
    rows = {(o.region, o.service, o.instance_type): o for o in merged.offerings}
    g6 = rows[("us-east-1", "ec2", "g6.xlarge")]
    assert (g6.accelerator, g6.accelerator_count, g6.source) == ("L4", 1, "aws-ec2-pricing-page")
    assert rows[("us-west-2", "ec2", "g5.xlarge")].source == "aws-pricing-api+spot-from-base"
    # a refreshed on-demand price says so; the spot price kept from the base keeps its kind
    kept_spot = rows[("us-west-2", "ec2", "g5.xlarge")]
    assert (kept_spot.price_kind, kept_spot.spot_price_kind) == ("refreshed", "estimate")
    assert g6.price_kind == "list"  # not refreshed (AccessDenied): the bundled row, as it was
    assert rows[("eu-west-1", "ec2", "g5.xlarge")].as_of == "2026-11-25"  # bundled, untouched
    assert rows[("eu-west-1", "ec2", "g5.xlarge")].source.startswith("aws-ec2-pricing-page")
    assert merged.kept_after_failure >= 1 and merged.spot_from_base >= 1


def test_cli_refresh_writes_a_catalog_that_planner_reads_back(cli, tmp_path, monkeypatch):
    import planner.cli.refresh_cmd as refresh_cmd

    monkeypatch.setattr(refresh_cmd, "SLEEP", lambda s: None)
    out = tmp_path / "aws.csv"
    fake = AwsJsonFake(products=_products())
    with moto_aws(), fake.serve() as server:
        args = ["catalog", "refresh", "--provider", "aws", "--regions", "us-east-1", "-o", out,
                "--endpoint-url", f"pricing={server.url}", "--as-of", "2026-11-25",
                "--quiet"]  # fmt: skip
        result = cli(*args)
        again = cli(*args)
        as_json = cli(*args, "--force", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "aws: " in result.stderr  # what was refreshed: notes on stderr
    assert result.stdout.count("\n") == 1 and f"offerings to {out}" in result.stdout
    assert again.exit_code == 2 and "--force" in again.stderr
    summary = json.loads(as_json.stdout)
    assert summary["file"] == str(out) and summary["refreshed"] > 0
    assert summary["offerings"] >= summary["refreshed"] and summary["as_of"] == "2026-11-25"
    text = out.read_text()
    assert text.startswith("# LLM placement planner catalog, written by `planner catalog refresh")
    assert "aws-pricing-api" in text
    listed = cli("catalog", "list", "--catalog", out, "--provider", "aws", "--region",
                 "us-east-1", "--accelerator", "H100", "--format", "json")  # fmt: skip
    assert listed.exit_code == 0, listed.stderr
    rows = {r["instance_type"]: r for r in json.loads(listed.stdout)}
    assert rows["p5.48xlarge"]["price_on_demand"] == 54.9
    assert rows["p5.48xlarge"]["accelerator_count"] == 8
    fresh = {o.instance_type: o for o in load_catalog([out]).offerings
             if o.source == "aws-pricing-api"}  # fmt: skip
    assert {"g5.xlarge", "p4d.24xlarge", "p5.48xlarge", "ml.g5.xlarge"} <= set(fresh)
    gcp = cli("catalog", "list", "--catalog", out, "--provider", "gcp", "--format", "json")
    assert len(json.loads(gcp.stdout)) > 50  # other providers come from the base catalog


def test_all_regions_are_the_accounts_enabled_regions():
    from providers.aws.refresh import all_regions, make_clients

    ctx = RefreshContext(now=NOW, as_of="2026-11-25")
    with moto_aws():
        regions = all_regions(make_clients(), ctx)
    assert {"us-east-1", "eu-west-1", "ap-northeast-1"} <= set(regions)
    assert regions == sorted(regions)


def test_ec2_names_and_memory_pick_the_accelerator_variant():
    from providers.aws.refresh import aws_accelerator, shape_of

    assert aws_accelerator("A100", 81920) == ("A100-80GB", 80)
    assert aws_accelerator("V100", 32768) == ("V100-32GB", 32)
    assert aws_accelerator("T4g", 16384) == ("T4", 16)
    assert aws_accelerator("H200", 144384) == ("H200", 141)
    assert aws_accelerator("RTX PRO 4500", 32768) == ("RTX PRO 4500", 32.0)
    fractional = {"InstanceType": "g6f.large", "GpuInfo": {"Gpus": [
        {"Name": "L4", "Count": 0, "MemoryInfo": {"SizeInMiB": 2861}}]}}  # fmt: skip
    assert shape_of(fractional) is None
    assert shape_of({"InstanceType": "m5.large", "VCpuInfo": {"DefaultVCpus": 2}}) is None


def test_types_ec2_cannot_describe_are_skipped_one_by_one():
    from providers.aws.refresh import describe_types, make_clients

    ctx = RefreshContext(now=NOW, as_of="2026-11-25")
    with moto_aws():
        ec2 = make_clients()("ec2", "us-east-1")
        found = describe_types(ec2, ctx, ["g5.xlarge", "p3.2xlarge", "p5.48xlarge"])
    assert [d["InstanceType"] for d in found] == ["g5.xlarge", "p5.48xlarge"]
