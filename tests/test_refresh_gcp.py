"""GCP catalog refresh against a local fake of the Billing Catalog and Compute Engine APIs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from planner.catalog import load_catalog
from providers.gcp.refresh import (
    GcpApi,
    classify_sku,
    gcp_headers,
    gpu_accelerator,
    price_table,
    refresh_gcp,
    sku_families,
)
from providers.refresh_common import Http, RefreshContext, RetryPolicy, merge_with_base
from tests.fakes.gcp import GcpFake, accelerator_type, machine_type, sku
from tests.fakes.server import Faults

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
US, EU = ["us-central1"], ["europe-west4"]


def _skus() -> list[dict]:
    """21 SKUs, 3 per page; G2 and A2 parts and N1 spot RAM are on pages 3 and later."""
    spot = {"usage": "Preemptible"}
    return [
        sku("Nvidia Tesla T4 GPU running in Americas", US, 0.35, group="GPU"),
        sku("Nvidia Tesla T4 GPU attached to Spot Preemptible VMs running in Americas", US,
            0.14, group="GPU", **spot),
        sku("Commitment v1: Nvidia Tesla T4 GPU running in Americas for 1 Year", US, 0.22,
            group="GPU", usage="Commit1Yr"),
        sku("N1 Predefined Instance Core running in Americas", US, 0.031611, group="N1Standard"),
        sku("N1 Predefined Instance Ram running in Americas", US, 0.004237, group="N1Standard",
            unit="GiBy.h"),
        sku("Spot Preemptible N1 Predefined Instance Core running in Americas", US, 0.0066,
            group="N1Standard", **spot),
        sku("G2 Instance Core running in Americas", US, 0.024988, group="CPU"),
        sku("G2 Instance Ram running in Americas", US, 0.002927, group="RAM", unit="GiBy.h"),
        sku("Spot Preemptible N1 Predefined Instance Ram running in Americas", US, 0.0009,
            group="N1Standard", unit="GiBy.h", **spot),
        sku("Nvidia L4 GPU running in Americas", US, 0.560227, group="GPU"),
        sku("Nvidia L4 GPU attached to Spot Preemptible VMs running in Americas", US, 0.2241,
            group="GPU", **spot),
        sku("Nvidia Tesla A100 GPU running in Americas", US, 2.933908, group="GPU"),
        sku("A2 Instance Core running in Americas", US, 0.031611, group="CPU"),
        sku("A2 Instance Ram running in Americas", US, 0.004237, group="RAM", unit="GiBy.h"),
        sku("N1 Custom Instance Core running in Americas", US, 0.033174, group="N1Standard"),
        sku("Nvidia L4 GPU running in EMEA", EU, 0.616, group="GPU"),
        sku("G2 Instance Core running in EMEA", EU, 0.0275, group="CPU"),
        sku("G2 Instance Ram running in EMEA", EU, 0.00322, group="RAM", unit="GiBy.h"),
        sku("N1 Predefined Instance Core running in EMEA", EU, 0.0348, group="N1Standard"),
        sku("N1 Predefined Instance Ram running in EMEA", EU, 0.00466, group="N1Standard",
            unit="GiBy.h"),
        sku("Nvidia Tesla T4 GPU running in EMEA", EU, 0.385, group="GPU"),
    ]  # fmt: skip


def _fake(**faults) -> GcpFake:
    n1_8, n1_16 = machine_type("n1-standard-8", 8, 30720), machine_type("n1-standard-16", 16, 61440)
    g2 = machine_type("g2-standard-8", 8, 32768, "nvidia-l4", 1)
    return GcpFake(
        skus=_skus(),
        machine_types={
            "us-central1-a": [n1_8, n1_16, g2,
                              machine_type("a2-highgpu-1g", 12, 87040, "nvidia-tesla-a100", 1),
                              machine_type("a3-megagpu-8g", 208, 1907200,
                                           "nvidia-h100-mega-80gb", 8),
                              machine_type("e2-standard-4", 4, 16384),
                              machine_type("n1-standard-32", 32, 122880)],  # no T4 in zone a
            "us-central1-b": [n1_8, n1_16],
            "europe-west4-a": [n1_8, g2],
        },
        accelerator_types={
            "us-central1-a": [accelerator_type("nvidia-l4", "us-central1-a", 8),
                              accelerator_type("nvidia-tesla-a100", "us-central1-a", 16)],
            "us-central1-b": [accelerator_type("nvidia-tesla-t4", "us-central1-b", 4)],
            "europe-west4-a": [accelerator_type("nvidia-tesla-t4", "europe-west4-a", 4),
                               accelerator_type("nvidia-l4", "europe-west4-a", 8)],
        },
        faults=Faults(**faults),
    )  # fmt: skip


def _refresh(fake: GcpFake, project: str | None = "proj", regions=("us-central1", "europe-west4")):
    slept: list[float] = []
    ctx = RefreshContext(now=NOW, as_of="2026-11-25", policy=RetryPolicy(attempts=3),
                         sleep=slept.append)  # fmt: skip
    with fake.serve() as server:
        http = Http(headers={"X-Goog-Api-Key": "SECRET-KEY"}, policy=ctx.policy, sleep=ctx.sleep)
        api = GcpApi(http=http, compute_url=server.url, billing_url=server.url, project=project)
        result = refresh_gcp(list(regions), load_catalog().offerings, ctx, api)
    return result, slept


def _rows(offerings):
    return {(o.region, o.service, o.instance_type): o for o in offerings}


def test_names_map_to_the_planners_accelerators_and_sku_families():
    assert [gpu_accelerator(n) for n in ("nvidia-tesla-t4", "nvidia-a100-80gb", "nvidia-l4",
            "nvidia-h100-80gb", "nvidia-h200-141gb", "nvidia-h100-mega-80gb")] == [
        "T4", "A100-80GB", "L4", "H100", "H200", None]  # fmt: skip
    assert sku_families("a3-ultragpu-8g") == ("A3 Ultra", "A3")
    assert sku_families("g2-standard-8") == ("G2",)
    assert classify_sku(_skus()[2]) is None  # commitment
    assert classify_sku(_skus()[14]) is None  # custom machine type cores
    assert classify_sku(_skus()[1]) == ("spot", "gpu", "T4")
    assert classify_sku(_skus()[4]) == ("on_demand", "ram", "N1")
    table = price_table(_skus())
    assert table[("us-central1", "on_demand", "gpu", "A100")] == pytest.approx(2.933908)


def test_refresh_combines_gpus_cores_and_memory_per_vm():
    result, slept = _refresh(_fake(throttle={"skus:2": 1, "machineTypes": 1}))
    assert result.failures == ()
    assert len(slept) == 2  # one throttled SKU page, one throttled machine-type page
    rows = _rows(result.offerings)
    assert set(rows) == {
        ("us-central1", "gce", "a2-highgpu-1g"),
        ("us-central1", "gce", "g2-standard-8"),
        ("us-central1", "gce", "n1-standard-8+T4x1"),
        ("us-central1", "gce", "n1-standard-16+T4x2"),
        ("europe-west4", "gce", "g2-standard-8"),
        ("europe-west4", "gce", "n1-standard-8+T4x1"),
    }
    n1 = rows[("us-central1", "gce", "n1-standard-8+T4x1")]
    assert n1.price_on_demand == pytest.approx(8 * 0.031611 + 30 * 0.004237 + 0.35)
    assert n1.price_spot == pytest.approx(8 * 0.0066 + 30 * 0.0009 + 0.14)
    assert (n1.accelerator, n1.accelerator_count, n1.vcpus, n1.memory_gib) == ("T4", 1, 8, 30)
    a2 = rows[("us-central1", "gce", "a2-highgpu-1g")]
    assert (a2.accelerator, a2.accelerator_count, a2.memory_gib) == ("A100", 1, 85)
    assert a2.price_on_demand == pytest.approx(12 * 0.031611 + 85 * 0.004237 + 2.933908)
    assert a2.price_spot is None
    t4x2 = rows[("us-central1", "gce", "n1-standard-16+T4x2")]
    assert t4x2.price_on_demand == pytest.approx(16 * 0.031611 + 60 * 0.004237 + 2 * 0.35)
    assert rows[("europe-west4", "gce", "g2-standard-8")].price_spot is None
    assert all(o.source == "gcp-billing-catalog-api" and o.as_of == "2026-11-25"
               for o in rows.values())  # fmt: skip
    assert all(o.price_kind == "refreshed" for o in rows.values())
    assert rows[("europe-west4", "gce", "g2-standard-8")].spot_price_kind == ""


def test_vertex_and_tpu_rows_stay_and_types_no_longer_offered_go():
    result, _ = _refresh(_fake())
    merged = _rows(merge_with_base(load_catalog().offerings, result).offerings)
    assert ("us-central1", "vertex", "n1-standard-8+T4x1") in merged
    assert ("us-central1", "gce", "ct5lp-hightpu-1t") in merged
    assert ("us-central1", "gce", "a3-highgpu-8g") not in merged  # not offered by the fake
    assert merged[("us-east1", "gce", "g2-standard-4")].source.startswith("gcp-compute-pricing")


def test_a_failing_sku_page_keeps_what_was_priced_and_the_base_rows_for_the_rest():
    result, _ = _refresh(_fake(fail={"skus:3"}))
    assert [f.what for f in result.failures] == ["gcp: Billing Catalog SKUs (stopped after 6)"]
    assert "403" in result.failures[0].reason
    fresh = _rows(result.offerings)
    assert set(fresh) == {("us-central1", "gce", "n1-standard-8+T4x1"),
                          ("us-central1", "gce", "n1-standard-16+T4x2")}  # fmt: skip
    assert ("gcp", "us-central1", "gce", "g2-standard-8") in result.kept
    assert ("gcp", "us-central1", "gce", "n1-standard-8+T4x1") in result.spot_kept
    bundled = _rows(load_catalog().offerings)
    merged = _rows(merge_with_base(load_catalog().offerings, result).offerings)
    n1 = merged[("us-central1", "gce", "n1-standard-8+T4x1")]
    assert n1.source == "gcp-billing-catalog-api+spot-from-base"
    assert n1.price_spot == bundled[("us-central1", "gce", "n1-standard-8+T4x1")].price_spot
    assert (
        merged[("us-central1", "gce", "g2-standard-8")]
        == bundled[("us-central1", "gce", "g2-standard-8")]
    )


def test_without_a_project_the_shapes_come_from_the_base_catalog():
    result, _ = _refresh(_fake(), project=None, regions=["us-central1"])
    assert any("base catalog" in n for n in result.notes)
    rows = _rows(result.offerings)
    assert ("us-central1", "gce", "n1-standard-32+T4x4") in rows  # a bundled shape
    assert ("us-central1", "gce", "n1-standard-8+V100x1") not in rows  # no V100 SKU
    assert ("gcp", "us-central1", "gce", "n1-standard-8+V100x1") in result.kept


def test_credentials_come_from_the_environment():
    env = {"GOOGLE_OAUTH_ACCESS_TOKEN": "tok", "GOOGLE_API_KEY": "key"}
    assert gcp_headers(env, real_endpoint=True) == {
        "Authorization": "Bearer tok", "X-Goog-Api-Key": "key"}  # fmt: skip
    assert gcp_headers({}, real_endpoint=False) == {}


def test_cli_refresh_round_trips_and_never_prints_the_key(cli, tmp_path, monkeypatch):
    import planner.cli.refresh_cmd as refresh_cmd

    monkeypatch.setattr(refresh_cmd, "SLEEP", lambda s: None)
    monkeypatch.setenv("GOOGLE_API_KEY", "SECRET-KEY-123")
    monkeypatch.delenv("GOOGLE_OAUTH_ACCESS_TOKEN", raising=False)
    fake = _fake(throttle={"skus:4": 1})
    out = tmp_path / "gcp.csv"
    with fake.serve() as server:
        result = cli("catalog", "refresh", "--provider", "gcp", "--regions",
                     "us-central1,europe-west4", "--endpoint-url", server.url, "--project", "p",
                     "-o", out, "--as-of", "2026-11-25", "-q")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert set(fake.seen_auth) == {"SECRET-KEY-123"}
    text = out.read_text()
    assert "SECRET-KEY-123" not in text + result.stdout + result.stderr
    listed = cli("catalog", "list", "--catalog", out, "--provider", "gcp", "--service", "gce",
                 "--region", "europe-west4", "--accelerator", "L4", "--format", "json")  # fmt: skip
    rows = {r["instance_type"]: r for r in json.loads(listed.stdout)}
    assert rows["g2-standard-8"]["price_on_demand"] == pytest.approx(
        8 * 0.0275 + 32 * 0.00322 + 0.616, abs=1e-6
    )
    assert load_catalog([out]).offerings


def test_blackwell_machine_types_are_refreshed_and_tpu_v5p_v6e_rows_kept():
    from providers.gcp.refresh import COVERS, built_in_shape

    assert [gpu_accelerator(n) for n in ("nvidia-b200", "nvidia-gb200", "nvidia-rtx-pro-6000")
            ] == ["B200", "GB200", "RTX-PRO-6000"]  # fmt: skip
    a4 = built_in_shape(machine_type("a4-highgpu-8g", 224, 3968 * 1024, "nvidia-b200", 8))
    a4x = built_in_shape(machine_type("a4x-highgpu-4g", 140, 884 * 1024, "nvidia-gb200", 4))
    assert (a4.accelerator, a4.count, a4.families) == ("B200", 8, ("A4",))
    assert (a4x.accelerator, a4x.count, a4x.families) == ("GB200", 4, ("A4X",))
    assert COVERS.search("a4-highgpu-8g") and COVERS.search("a4x-highgpu-4g")
    result, _ = _refresh(_fake())
    merged = _rows(merge_with_base(load_catalog().offerings, result).offerings)
    assert ("us-east5", "gce", "ct5p-hightpu-4t") in merged
    assert ("us-east1", "gce", "ct6e-standard-8t") in merged
