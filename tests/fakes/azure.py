"""A fake of the Azure Retail Prices API: items filtered by armSkuName, paged by NextPageLink."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import FakeServer, Faults, Reply, Request

PATH = "/api/retail/prices"


def item(size: str, region: str, price: float, kind: str = "linux") -> dict[str, Any]:
    """A Retail Prices item: kind is linux, windows, spot, windows-spot or low-priority."""
    short = size.removeprefix("Standard_").replace("_", " ")
    suffix = {"spot": " Spot", "windows-spot": " Spot", "low-priority": " Low Priority"}.get(
        kind, ""
    )
    series = "Virtual Machines " + short.split(" ", 1)[-1] + " Series"
    return {
        "currencyCode": "USD",
        "tierMinimumUnits": 0.0,
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": region,
        "location": region.upper(),
        "effectiveStartDate": "2026-10-01T00:00:00Z",
        "meterId": f"meter-{size}-{region}-{kind}",
        "meterName": short + suffix,
        "productId": "DZH318Z0BQ4M",
        "skuId": "DZH318Z0BQ4M/00XX",
        "productName": series + (" Windows" if kind.startswith("windows") else ""),
        "skuName": short + suffix,
        "serviceName": "Virtual Machines",
        "serviceId": "DZH313Z7MMC8",
        "serviceFamily": "Compute",
        "unitOfMeasure": "1 Hour",
        "type": "Consumption",
        "isPrimaryMeterRegion": True,
        "armSkuName": size,
    }


@dataclass
class AzureFake:
    """Items answered for `$filter=... armSkuName eq '<size>'`, `page_size` per page.

    Fault names: '<size>' for the first page of that size, '<size>:<skip>' for a later page.
    """

    items: list[dict] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    page_size: int = 3
    url: str = ""

    def route(self, request: Request) -> Reply:
        if request.path != PATH:
            return Reply(404, {"Error": {"Code": "NotFound", "Message": request.path}})
        odata = request.query.get("$filter", "")
        match = re.search(r"armSkuName eq '([^']+)'", odata)
        size = match.group(1) if match else ""
        skip = int(request.query.get("$skip") or 0)
        fault = self.faults.check(size if skip == 0 else f"{size}:{skip}")
        if fault == "throttle":
            return Reply(429, {"Error": {"Code": "TooManyRequests", "Message": "slow down"}},
                         {"Retry-After": "0"})  # fmt: skip
        if fault == "fail":
            return Reply(400, {"Error": {"Code": "BadRequest", "Message": "Invalid OData"}})
        matching = [i for i in self.items if i["armSkuName"] == size]
        page = matching[skip : skip + self.page_size]
        nxt = None
        if skip + self.page_size < len(matching):
            query = urllib.parse.urlencode({"$filter": odata, "$skip": skip + self.page_size})
            nxt = f"{self.url}{PATH}?{query}"
        return Reply(
            200,
            {
                "BillingCurrency": "USD",
                "CustomerEntityId": "Default",
                "CustomerEntityType": "Retail",
                "Items": page,
                "NextPageLink": nxt,
                "Count": len(page),
            },
        )

    def serve(self) -> FakeServer:
        server = FakeServer(self.route)
        self.url = server.url
        return server
