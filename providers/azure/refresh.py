"""Refresh Azure GPU VM offerings from the public Retail Prices API (no credentials needed).

One query per GPU size: `GET /api/retail/prices?$filter=serviceName eq 'Virtual Machines' and
priceType eq 'Consumption' and armSkuName eq '<size>'`, following `NextPageLink`. Linux
pay-as-you-go prices are the items whose productName does not end in 'Windows'; spot prices
are those with 'Spot' in skuName or meterName; 'Low Priority' (the retired Batch offer) is
skipped. Accelerators and counts come from AZURE_GPU_SIZES: the Retail API does not list them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from planner._http import ResponseError, origin, redact_url, shape_types
from planner.bounds import MAX_PRICE_PER_HOUR
from planner.catalog.offering import Offering
from planner.facts import find_accelerator
from providers.refresh_common import Http, RefreshContext, RefreshResult, RowKey, RunLog, pages

SOURCE = "azure-retail-prices-api"
PRICES_URL = "https://prices.azure.com"
PRICES_PATH = "/api/retail/prices"


@dataclass(frozen=True)
class AzureSize:
    """What one Azure GPU VM size holds (from Azure's size documentation)."""

    accelerator: str
    count: int
    vcpus: int
    memory_gib: float


AZURE_GPU_SIZES: dict[str, AzureSize] = {
    # NCasT4_v3: NVIDIA T4 16 GB
    "Standard_NC4as_T4_v3": AzureSize("T4", 1, 4, 28),
    "Standard_NC8as_T4_v3": AzureSize("T4", 1, 8, 56),
    "Standard_NC16as_T4_v3": AzureSize("T4", 1, 16, 110),
    "Standard_NC64as_T4_v3": AzureSize("T4", 4, 64, 440),
    # NCv3: NVIDIA V100 16 GB (announced for retirement; still priced in some regions)
    "Standard_NC6s_v3": AzureSize("V100", 1, 6, 112),
    "Standard_NC12s_v3": AzureSize("V100", 2, 12, 224),
    "Standard_NC24s_v3": AzureSize("V100", 4, 24, 448),
    "Standard_NC24rs_v3": AzureSize("V100", 4, 24, 448),
    # NVadsA10_v5: NVIDIA A10 24 GB; the 1/6, 1/3 and 1/2 GPU sizes are left out
    "Standard_NV36ads_A10_v5": AzureSize("A10", 1, 36, 440),
    "Standard_NV36adms_A10_v5": AzureSize("A10", 1, 36, 880),
    "Standard_NV72ads_A10_v5": AzureSize("A10", 2, 72, 880),
    # NC A100 v4: NVIDIA A100 80 GB PCIe
    "Standard_NC24ads_A100_v4": AzureSize("A100-80GB", 1, 24, 220),
    "Standard_NC48ads_A100_v4": AzureSize("A100-80GB", 2, 48, 440),
    "Standard_NC96ads_A100_v4": AzureSize("A100-80GB", 4, 96, 880),
    # ND A100 v4: 8 x A100 40 GB; NDm A100 v4: 8 x A100 80 GB
    "Standard_ND96asr_v4": AzureSize("A100", 8, 96, 900),
    "Standard_ND96amsr_A100_v4": AzureSize("A100-80GB", 8, 96, 1900),
    # NC H100 v5: H100 NVL 94 GB; ND H100 v5: 8 x H100 80 GB SXM; ND H200 v5: 8 x H200
    "Standard_NC40ads_H100_v5": AzureSize("H100-NVL", 1, 40, 320),
    "Standard_NC80adis_H100_v5": AzureSize("H100-NVL", 2, 80, 640),
    "Standard_ND96isr_H100_v5": AzureSize("H100", 8, 96, 1900),
    "Standard_ND96isr_H200_v5": AzureSize("H200", 8, 96, 1850),
    # ND MI300X v5: 8 x AMD Instinct MI300X 192 GB
    "Standard_ND96isr_MI300X_v5": AzureSize("MI300X", 8, 96, 1850),
    # ND GB200 v6: 4 x NVIDIA Blackwell GPUs of a GB200 NVL72 rack (2 Grace CPUs)
    "Standard_ND128isr_NDR_GB200_v6": AzureSize("GB200", 4, 128, 900),
}
"""Azure GPU sizes the refresh prices: armSkuName -> accelerator, count, vCPUs, memory."""

COVERS = re.compile("^(?:" + "|".join(re.escape(s) for s in AZURE_GPU_SIZES) + ")$")


# --- pure --------------------------------------------------------------------------------------


def classify_item(item: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(region, size, pricing) of a Retail Prices item for a Linux VM hour, or None."""
    if item.get("serviceName") != "Virtual Machines" or item.get("type") != "Consumption":
        return None
    if item.get("currencyCode", "USD") != "USD" or item.get("unitOfMeasure") != "1 Hour":
        return None
    if "Windows" in str(item.get("productName", "")):
        return None
    names = f"{item.get('skuName', '')} {item.get('meterName', '')}"
    if "Low Priority" in names:
        return None
    region, size = item.get("armRegionName"), item.get("armSkuName")
    if not region or not size:
        return None
    return region, size, "spot" if "Spot" in names else "on_demand"


def item_prices(items: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str], float]:
    """(region, size, pricing) -> $/h; a primary meter region's price wins, then the lowest."""
    best: dict[tuple[str, str, str], tuple[bool, float]] = {}
    for item in items:
        key = classify_item(item)
        price = float(item.get("retailPrice") or 0)
        if key is None or price <= 0:
            continue
        rank = (not item.get("isPrimaryMeterRegion", True), price)
        if key not in best or rank < best[key]:
            best[key] = rank
    return {k: price for k, (_, price) in best.items()}


def offerings_from_prices(
    prices: Mapping[tuple[str, str, str], float], regions: Iterable[str], as_of: str
) -> list[Offering]:
    """One Offering per (region, size) with an on-demand price, spot where listed."""
    wanted = set(regions)
    rows = []
    for (region, size, pricing), price in sorted(prices.items()):
        if pricing != "on_demand" or region not in wanted or size not in AZURE_GPU_SIZES:
            continue
        spec = AZURE_GPU_SIZES[size]
        acc = find_accelerator(spec.accelerator)
        assert acc is not None, spec.accelerator
        rows.append(
            Offering(
                provider="azure",
                region=region,
                service="azure-vm",
                instance_type=size,
                accelerator=acc.name,
                accelerator_count=spec.count,
                accelerator_memory_gb=acc.memory_gb,
                vcpus=float(spec.vcpus),
                memory_gib=float(spec.memory_gib),
                price_on_demand=price,
                price_spot=prices.get((region, size, "spot")),
                source=SOURCE,
                as_of=as_of,
                price_kind="refreshed",
                spot_price_kind="refreshed" if (region, size, "spot") in prices else "",
            )
        )
    return rows


# --- I/O ---------------------------------------------------------------------------------------

Shape, _Number, _Count = shape_types()
_Price = Annotated[float, Field(ge=0, le=MAX_PRICE_PER_HOUR, allow_inf_nan=False)]


class _Item(Shape):
    """The fields of a Retail Prices item the refresh reads."""

    serviceName: str | None = None
    type: str | None = None
    currencyCode: str | None = None
    unitOfMeasure: str | None = None
    productName: str | None = None
    skuName: str | None = None
    meterName: str | None = None
    armRegionName: str | None = None
    armSkuName: str | None = None
    retailPrice: _Price | None = None
    isPrimaryMeterRegion: bool = True


class PricesPage(Shape):
    """One page of the Retail Prices API."""

    Items: list[_Item] | None = None
    NextPageLink: str | None = None


@dataclass(frozen=True)
class AzureApi:
    """The Retail Prices API (public; no credentials)."""

    http: Http
    base_url: str = PRICES_URL

    def items(self, ctx: RefreshContext, size: str):
        """Every price item of one VM size, following NextPageLink."""
        odata = (
            "serviceName eq 'Virtual Machines' and priceType eq 'Consumption' "
            f"and armSkuName eq '{size}'"
        )
        first = f"{self.base_url.rstrip('/')}{PRICES_PATH}"

        def fetch(link: str | None):
            if link:
                if origin(link) != origin(first):
                    raise ResponseError(
                        f"{redact_url(first)}: field 'NextPageLink': points at another server "
                        f"({redact_url(link)}); not followed"
                    )
                page = self.http.get_json(link, shape=PricesPage)
            else:
                page = self.http.get_json(
                    first, {"currencyCode": "USD", "$filter": odata}, shape=PricesPage
                )
            return page.get("Items") or [], page.get("NextPageLink") or None

        return pages(fetch, ctx.progress, f"prices of {size}")


def refresh_azure(
    regions: Sequence[str] | None, ctx: RefreshContext, api: AzureApi
) -> RefreshResult:
    """Fresh Azure GPU VM offerings for `regions` (None: every region priced)."""
    log = RunLog()
    prices: dict[tuple[str, str, str], float] = {}
    failed: list[str] = []
    for size in AZURE_GPU_SIZES:
        items: list[Any] = []
        try:
            for item in api.items(ctx, size):
                items.append(item)
        except Exception as err:
            log.fail(f"azure: prices of {size}", err)
            failed.append(size)
            continue
        prices.update(item_prices(items))
    seen = sorted({region for region, _, _ in prices})
    wanted = seen if regions is None else list(regions)
    if not prices:
        wanted = []
        if not failed:
            log.fail("azure: prices", "the Retail Prices API returned no GPU VM prices")
    kept: set[RowKey] = {("azure", r, "azure-vm", s) for r in wanted for s in failed}
    unlisted = sorted(set(wanted) - set(seen))
    if unlisted and prices:
        log.notes.append(f"no GPU VM prices listed in: {', '.join(unlisted)}")
    return RefreshResult(
        provider="azure",
        offerings=tuple(offerings_from_prices(prices, wanted, ctx.as_of)),
        refreshed=frozenset(("azure", r, "azure-vm") for r in wanted),
        covers=COVERS,
        kept=frozenset(kept),
        failures=tuple(log.failures),
        notes=tuple(log.notes),
        sources=(
            f"{SOURCE}: Azure Retail Prices API, Linux pay-as-you-go (Consumption) and Spot; "
            "sizes and GPUs from the table in providers/azure/refresh.py",
        ),
    )
