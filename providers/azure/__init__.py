"""Microsoft Azure: catalog refresh from the public Retail Prices API."""

from __future__ import annotations

from providers.provider import Provider, Request


def _prices(request: Request):
    from providers.azure.refresh import PRICES_URL, AzureApi, refresh_azure

    api = AzureApi(http=request.ctx.http(), base_url=request.endpoint("prices") or PRICES_URL)
    return refresh_azure(request.regions, request.ctx, api)


PROVIDER = Provider(cloud="azure", endpoint_services=("prices",), prices=_prices)
