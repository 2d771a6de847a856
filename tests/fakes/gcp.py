"""A fake of the Google REST APIs the GCP refresh reads: the Cloud Billing Catalog's Compute
Engine SKUs, Compute Engine aggregated machine and accelerator types, and regions (quotas)."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import FakeServer, Faults, Reply, Request

SKUS_PATH = "/v1/services/6F81-5844-456A/skus"


def sku(
    description: str,
    regions: list[str],
    price: float,
    *,
    group: str,
    usage: str = "OnDemand",
    unit: str = "h",
) -> dict[str, Any]:
    """A Billing Catalog SKU shaped like the real ones (price as units + nanos)."""
    units = int(price)
    sku_id = f"{zlib.crc32(repr((description, regions, usage)).encode()):08X}"
    return {
        "name": f"services/6F81-5844-456A/skus/{sku_id}",
        "skuId": sku_id,
        "description": description,
        "category": {
            "serviceDisplayName": "Compute Engine",
            "resourceFamily": "Compute",
            "resourceGroup": group,
            "usageType": usage,
        },
        "serviceRegions": regions,
        "pricingInfo": [
            {
                "summary": "",
                "pricingExpression": {
                    "usageUnit": unit,
                    "displayQuantity": 1,
                    "tieredRates": [
                        {
                            "startUsageAmount": 0,
                            "unitPrice": {
                                "currencyCode": "USD",
                                "units": str(units),
                                "nanos": round((price - units) * 1e9),
                            },
                        }
                    ],
                    "usageUnitDescription": "hour" if unit == "h" else "gibibyte hour",
                    "baseUnit": "s" if unit == "h" else "By.s",
                    "baseUnitConversionFactor": 3600,
                },
                "currencyConversionRate": 1,
                "effectiveTime": "2026-11-20T00:00:00.000Z",
            }
        ],
        "serviceProviderName": "Google",
        "geoTaxonomy": {"type": "MULTI_REGIONAL", "regions": regions},
    }


def machine_type(name: str, cpus: int, memory_mb: int, gpu: str = "", count: int = 0) -> dict:
    """A Compute Engine machine type; built-in GPU families list their accelerators."""
    entry: dict[str, Any] = {
        "kind": "compute#machineType",
        "name": name,
        "guestCpus": cpus,
        "memoryMb": memory_mb,
        "isSharedCpu": False,
    }
    if gpu:
        entry["accelerators"] = [{"guestAcceleratorType": gpu, "guestAcceleratorCount": count}]
    return entry


def accelerator_type(name: str, zone: str, max_cards: int) -> dict:
    return {
        "kind": "compute#acceleratorType",
        "name": name,
        "description": name,
        "zone": f"https://www.googleapis.com/compute/v1/projects/p/zones/{zone}",
        "maximumCardsPerInstance": max_cards,
    }


def _error(status: int, message: str) -> Reply:
    return Reply(status, {"error": {"code": status, "message": message, "status": "ERROR"}})


@dataclass
class GcpFake:
    """Serves SKUs (paged), machine/accelerator types per zone (paged by zone) and quotas.

    Fault names: 'skus:<page number from 1>', 'machineTypes', 'acceleratorTypes',
    'region:<name>'. `seen_auth` records the credential headers received.
    """

    skus: list[dict] = field(default_factory=list)
    machine_types: dict[str, list[dict]] = field(default_factory=dict)
    accelerator_types: dict[str, list[dict]] = field(default_factory=dict)
    quotas: dict[str, list[dict]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    page_size: int = 3
    seen_auth: list[str] = field(default_factory=list)

    def route(self, request: Request) -> Reply:
        auth = request.headers.get("authorization") or request.headers.get("x-goog-api-key")
        self.seen_auth.append(auth or "")
        path, query = request.path, request.query
        if path == SKUS_PATH:
            start = int(query.get("pageToken") or 0)
            fault = self.faults.check(f"skus:{start // self.page_size + 1}")
            if fault:
                return _error(429 if fault == "throttle" else 403, "quota exceeded or denied")
            body: dict[str, Any] = {"skus": self.skus[start : start + self.page_size]}
            more = start + self.page_size < len(self.skus)
            body["nextPageToken"] = str(start + self.page_size) if more else ""
            return Reply(200, body)
        match = re.fullmatch(r"/compute/v1/projects/([^/]+)/aggregated/(\w+)", path)
        if match:
            kind = match.group(2)
            fault = self.faults.check(kind)
            if fault:
                return _error(429 if fault == "throttle" else 500, f"{kind} unavailable")
            source = self.machine_types if kind == "machineTypes" else self.accelerator_types
            zones = sorted(source)
            index = int(query.get("pageToken") or 0)
            items = {f"zones/{zones[index]}": {kind: source[zones[index]]}} if zones else {}
            more = index + 1 < len(zones)
            return Reply(
                200, {"items": items, **({"nextPageToken": str(index + 1)} if more else {})}
            )
        match = re.fullmatch(r"/compute/v1/projects/([^/]+)/regions/([\w-]+)", path)
        if match:
            region = match.group(2)
            fault = self.faults.check(f"region:{region}")
            if fault:
                return _error(429 if fault == "throttle" else 403, "permission denied")
            if region not in self.quotas:
                return _error(404, f"The resource 'regions/{region}' was not found")
            return Reply(200, {"name": region, "quotas": self.quotas[region]})
        if re.fullmatch(r"/compute/v1/projects/([^/]+)/regions", path):
            items = [{"name": r, "quotas": q} for r, q in sorted(self.quotas.items())]
            return Reply(200, {"items": items})
        return _error(404, f"not faked: {path}")

    def serve(self) -> FakeServer:
        return FakeServer(self.route)
