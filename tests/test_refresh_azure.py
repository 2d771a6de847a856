"""Azure catalog refresh against a local fake of the Retail Prices API."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from planner.catalog import load_catalog
from providers.azure.refresh import (
    AZURE_GPU_SIZES,
    COVERS,
    AzureApi,
    classify_item,
    item_prices,
    refresh_azure,
)
from providers.refresh_common import Http, RefreshContext, RetryPolicy, merge_with_base
from tests.fakes.azure import AzureFake, item
from tests.fakes.server import Faults

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
A100, T4, NVL = "Standard_NC24ads_A100_v4", "Standard_NC4as_T4_v3", "Standard_NC40ads_H100_v5"


def _items() -> list[dict]:
    t4_regions = ["eastus", "westeurope", "japaneast", "southcentralus"]
    return [
        item(A100, "eastus", 3.673),
        item(A100, "eastus", 4.41, "windows"),
        item(A100, "eastus", 1.4692, "spot"),
        item(A100, "eastus", 2.1, "windows-spot"),
        item(A100, "eastus", 0.9, "low-priority"),
        item(A100, "westeurope", 4.224),
        *[item(T4, r, 0.526 + i / 100) for i, r in enumerate(t4_regions)],
        *[item(T4, r, 0.1578 + i / 100, "spot") for i, r in enumerate(t4_regions)],
        item(NVL, "eastus", 6.98),
        item("Standard_ND96isr_H100_v5", "eastus", 98.32),
        item("Standard_NC6_Promo", "eastus", 0.5),
    ]


def _refresh(fake: AzureFake, regions=("eastus", "westeurope")):
    slept: list[float] = []
    ctx = RefreshContext(now=NOW, as_of="2026-11-25", policy=RetryPolicy(attempts=3),
                         sleep=slept.append)  # fmt: skip
    with fake.serve() as server:
        api = AzureApi(http=Http(policy=ctx.policy, sleep=ctx.sleep), base_url=server.url)
        result = refresh_azure(list(regions) if regions else None, ctx, api)
    return result, slept, server.requests


def _rows(offerings):
    return {(o.region, o.instance_type): o for o in offerings}


def test_only_linux_pay_as_you_go_and_spot_items_count():
    kinds = [classify_item(i) for i in _items()[:5]]
    assert kinds == [("eastus", A100, "on_demand"), None, ("eastus", A100, "spot"), None, None]
    prices = item_prices(_items())
    assert prices[("eastus", A100, "on_demand")] == 3.673
    assert prices[("eastus", A100, "spot")] == 1.4692


def test_size_table_names_known_accelerators_in_whole_numbers():
    from planner.facts import find_accelerator

    for size, spec in AZURE_GPU_SIZES.items():
        assert size.startswith("Standard_N") and spec.count >= 1
        assert find_accelerator(spec.accelerator) is not None


def test_refresh_pages_retries_and_maps_sizes_to_accelerators():
    fake = AzureFake(items=_items(), faults=Faults(throttle={T4: 1, f"{T4}:3": 1}))
    result, slept, requests = _refresh(fake)
    assert result.failures == () and len(slept) == 2
    rows = _rows(result.offerings)
    a100 = rows[("eastus", A100)]
    assert (a100.accelerator, a100.accelerator_count, a100.vcpus, a100.memory_gib) == (
        "A100-80GB", 1, 24, 220,
    )  # fmt: skip
    assert (a100.price_on_demand, a100.price_spot) == (3.673, 1.4692)
    assert rows[("westeurope", A100)].price_spot is None
    assert rows[("westeurope", T4)].price_on_demand == 0.536  # found on the second page
    assert rows[("eastus", NVL)].accelerator == "H100-NVL"
    assert rows[("eastus", "Standard_ND96isr_H100_v5")].accelerator_count == 8
    assert ("japaneast", T4) not in rows  # not asked for
    assert all(o.source == "azure-retail-prices-api" for o in rows.values())
    assert all(o.price_kind == "refreshed" for o in rows.values())
    assert all(o.spot_price_kind == ("refreshed" if o.price_spot else "") for o in rows.values())
    t4_requests = [r for r in requests if T4 in r.query.get("$filter", "")]
    assert len(t4_requests) == 5  # 3 pages (8 items, 3 a page), the first and third throttled


def test_a_size_that_keeps_failing_keeps_its_base_rows_and_is_reported():
    fake = AzureFake(items=_items(), faults=Faults(fail={NVL}))
    result, _, _ = _refresh(fake, regions=("eastus",))
    assert [f.what for f in result.failures] == [f"azure: prices of {NVL}"]
    assert "HTTP 400" in result.failures[0].reason and "Invalid OData" in result.failures[0].reason
    bundled = _rows(load_catalog().offerings)
    merged = _rows(merge_with_base(load_catalog().offerings, result).offerings)
    assert merged[("eastus", NVL)] == bundled[("eastus", NVL)]
    assert merged[("eastus", A100)].source == "azure-retail-prices-api"
    assert ("eastus", "Standard_NC6s_v3") not in merged  # no longer priced in eastus
    assert merged[("westeurope", A100)] == bundled[("westeurope", A100)]  # not refreshed


def test_all_regions_takes_every_region_priced():
    result, _, _ = _refresh(AzureFake(items=_items()), regions=None)
    assert {o.region for o in result.offerings} == {
        "eastus", "westeurope", "japaneast", "southcentralus",
    }  # fmt: skip


def test_cli_refresh_round_trips(cli, tmp_path, monkeypatch):
    import planner.cli.refresh_cmd as refresh_cmd

    monkeypatch.setattr(refresh_cmd, "SLEEP", lambda s: None)
    out = tmp_path / "azure.csv"
    fake = AzureFake(items=_items(), faults=Faults(fail={NVL}))
    with fake.serve() as server:
        result = cli("catalog", "refresh", "--provider", "azure", "--regions", "eastus",
                     "--endpoint-url", f"prices={server.url}", "-o", out, "--as-of",
                     "2026-11-25", "--quiet")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert f"warning: not refreshed: azure: prices of {NVL}" in result.stderr
    assert f"not refreshed (base rows kept): azure: prices of {NVL}" in out.read_text()
    listed = cli("catalog", "list", "--catalog", out, "--provider", "azure", "--region",
                 "eastus", "--format", "json")  # fmt: skip
    rows = {r["instance_type"]: r for r in json.loads(listed.stdout)}
    assert rows[A100]["price_on_demand"] == 3.673 and rows[NVL]["price_on_demand"] == 6.98
    bad = cli("catalog", "refresh", "--provider", "azure", "--endpoint-url", "ftp://x", "-o",
              tmp_path / "x.csv")  # fmt: skip
    assert bad.exit_code == 2 and "http(s)://" in bad.stderr


def test_cli_writes_nothing_when_nothing_could_be_refreshed(cli, tmp_path, monkeypatch):
    import planner.cli.refresh_cmd as refresh_cmd

    monkeypatch.setattr(refresh_cmd, "SLEEP", lambda s: None)
    out = tmp_path / "azure.csv"
    fake = AzureFake(items=_items(), faults=Faults(fail=set(AZURE_GPU_SIZES)))
    with fake.serve() as server:
        result = cli("catalog", "refresh", "--provider", "azure", "--endpoint-url", server.url,
                     "-o", out, "-q")  # fmt: skip
    assert result.exit_code == 1
    assert "Nothing refreshed for azure" in result.stderr and "... and 19 more" in result.stderr
    assert not out.exists()


def test_the_size_table_keeps_the_mi300x_and_gb200_sizes_of_the_catalog():
    from planner.catalog import load_catalog

    bundled = {o.instance_type: o for o in load_catalog().offerings if o.provider == "azure"}
    for size in ("Standard_ND96isr_MI300X_v5", "Standard_ND128isr_NDR_GB200_v6"):
        assert COVERS.match(size)
        spec = AZURE_GPU_SIZES[size]
        row = bundled[size]
        assert (spec.accelerator, spec.count) == (row.accelerator, row.accelerator_count)
