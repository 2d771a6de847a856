"""Microsoft Azure: catalog refresh from the public Retail Prices API, and its published spot
eviction rates."""

from __future__ import annotations

from typing import Any

from providers.provider import Provider, Request, SpotRiskImport


def _prices(request: Request):
    from providers.azure.refresh import PRICES_URL, AzureApi, refresh_azure

    api = AzureApi(http=request.ctx.http(), base_url=request.endpoint("prices") or PRICES_URL)
    return refresh_azure(request.regions, request.ctx, api)


def _is_eviction_data(text: str) -> bool:
    from providers.azure.spot_evictions import is_eviction_data

    return is_eviction_data(text)


def _eviction_rows(text: str, source: str, as_of: str) -> list[Any]:
    from providers.azure.spot_evictions import eviction_rows

    return eviction_rows(text, source, as_of)


def _fetch_evictions(endpoint: str | None) -> str:
    from providers.azure.spot_evictions import fetch_evictions

    return fetch_evictions(endpoint)


PROVIDER = Provider(
    cloud="azure",
    endpoint_services=("prices",),
    prices=_prices,
    spot_risk=SpotRiskImport(
        reads=_is_eviction_data,
        rows=_eviction_rows,
        describe=(
            "Azure Resource Graph SpotResources eviction rates (skuspotevictionrate): the "
            "eviction-rate band per region and VM size; rate is the band's midpoint (the open "
            "20+ band at 25%, an estimate)"
        ),
        fetch=_fetch_evictions,
    ),
)
