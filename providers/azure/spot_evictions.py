"""Azure's published spot eviction rates as spot-risk rows.

Azure publishes an eviction-rate band per VM size and region in the Azure Resource Graph
`SpotResources` table (type `microsoft.compute/skuspotevictionrate/location`). Save the
result of a query such as

    az graph query -q "SpotResources
      | where type =~ 'microsoft.compute/skuspotevictionrate/location'
      | project skuName = tostring(sku.name), location,
                evictionRate = tostring(properties.evictionRate)" --first 1000 -o json

and `planner catalog spot-risk FILE --as-of DATE` turns it into rows: the file is the CLI's
answer (`{"data": [...]}`, or the Resource Graph REST answer, which has the same `data`) or a
bare list of such objects. `planner catalog spot-risk --provider azure` runs the same query
itself through the Resource Graph REST API (a bearer token in AZURE_ACCESS_TOKEN, e.g. from
`az account get-access-token --query accessToken -o tsv`), page by page.
"""

from __future__ import annotations

import json
import os
from typing import Any

from planner import _http
from planner._http import MAX_PAGES, ResponseError, decode_json, exchange, redact_url, shown
from planner._readfile import load_json
from planner.catalog.spot_risk import SpotRisk, band_rates
from planner.errors import InputError

SOURCE = "azure-eviction-rates"
GRAPH_URL = "https://management.azure.com"
API_PATH = "/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"
TOKEN_ENV = "AZURE_ACCESS_TOKEN"
QUERY = (
    "SpotResources"
    " | where type =~ 'microsoft.compute/skuspotevictionrate/location'"
    " | project skuName = tostring(sku.name), location,"
    " evictionRate = tostring(properties.evictionRate)"
    " | order by skuName asc, location asc"
)
PAGE = 1000
ANSWER_FIELDS = ("skuName", "location", "evictionRate")
"""What the query projects (each `tostring`): every record of an answer has them as text."""
DEADLINE_S = _http.DEADLINE_S
"""Longest one page's request may take, connecting and reading included."""
MAX_RESPONSE_BYTES = _http.MAX_RESPONSE_BYTES
"""Largest page read."""
BANDS = (("0-5", 0.05), ("5-10", 0.10), ("10-15", 0.15), ("15-20", 0.20), ("20+", 1.0))
"""Azure's bands (percent of capacity), as it writes them, ascending (the last one open)."""
RATES = band_rates(BANDS)


def _records(data: Any) -> list[Any] | None:
    if isinstance(data, dict):
        data = data.get("data")
    return data if isinstance(data, list) else None


def _field(record: dict[str, Any], *names: str) -> Any:
    for name in names:
        value: Any = record
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            return value
    return None


def _band(value: Any) -> str | None:
    """Azure's band text ("0-5", "20+", with or without "%") as Azure writes it."""
    label = str(value).strip().replace(" ", "").removesuffix("%")
    return label if label in RATES else None


def is_eviction_data(text: str) -> bool:
    """Whether `text` looks like a saved eviction-rate query result."""
    return "evictionRate" in text[:65536]


def eviction_rows(text: str, source: str, as_of: str) -> list[SpotRisk]:
    """Rows from a saved query result: one per (region, size) with a known band; the band's
    midpoint as the rate (the open 20+ band at OPEN_BAND_RATE, an estimate)."""
    records = _records(load_json(text, source))
    if records is None:
        raise InputError(
            f"{source}: not an eviction-rate query result (expected a list, or an object "
            "whose `data` is one)"
        )
    found: dict[tuple[str, str], SpotRisk] = {}
    for k, record in enumerate(records):
        if not isinstance(record, dict):
            raise InputError(f"{source}: data[{k}]: expected an object")
        size = _field(record, "skuName", "sku.name", "properties.skuName")
        region = _field(record, "location")
        band = _band(_field(record, "evictionRate", "properties.evictionRate"))
        if not isinstance(size, str) or not isinstance(region, str) or band is None:
            raise InputError(
                f"{source}: data[{k}]: needs skuName, location and an evictionRate band "
                f"(one of {', '.join(label for label, _ in BANDS)})"
            )
        key = (region.strip().lower(), size.strip())
        try:
            found[key] = SpotRisk("azure", key[0], key[1], band, RATES[band], "published",
                                  source, as_of)  # fmt: skip
        except ValueError as err:
            raise InputError(f"{source}: data[{k}]: {err}") from None
    return [found[key] for key in sorted(found)]


def fetch_evictions(endpoint: str | None = None, environ: Any = None) -> str:
    """Every eviction-rate record from the Resource Graph REST API (`endpoint`: another base
    URL, e.g. a local server), as the text eviction_rows reads; InputError (exit 2) without a
    token, for an error status or an answer that is not a page of records."""
    token = (os.environ if environ is None else environ).get(TOKEN_ENV, "").strip()
    if not token:
        raise InputError(
            f"Azure's eviction rates need a bearer token in {TOKEN_ENV} (az account "
            "get-access-token --query accessToken -o tsv), or a saved query result as FILE"
        )
    url = (endpoint or GRAPH_URL).rstrip("/") + API_PATH
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "Accept": "application/json"}  # fmt: skip
    records: list[Any] = []
    skip: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        options: dict[str, Any] = {"resultFormat": "objectArray", "$top": PAGE}
        if skip:
            options["$skipToken"] = skip
        body = json.dumps({"query": QUERY, "options": options}).encode()
        reply = exchange("POST", url, headers, body, deadline_s=DEADLINE_S,
                         max_bytes=MAX_RESPONSE_BYTES)  # fmt: skip
        where = redact_url(url)
        if reply.status != 200:
            raise InputError(f"{where}: HTTP {reply.status} from Azure Resource Graph")
        page = decode_json(reply.body, url)
        found = page.get("data") if isinstance(page, dict) else None
        if not isinstance(found, list):
            raise ResponseError(f"{where}: field 'data': expected a list of records")
        for k, record in enumerate(found):
            if not isinstance(record, dict) or not all(
                isinstance(record.get(name), str) for name in ANSWER_FIELDS
            ):
                raise ResponseError(
                    f"{where}: field 'data[{len(records) + k}]': expected an object whose "
                    f"{', '.join(ANSWER_FIELDS)} are text, got {shown(record)}"
                )
        records += found
        nxt = page.get("$skipToken") if isinstance(page, dict) else None
        if not nxt:
            return json.dumps({"data": records})
        if not isinstance(nxt, str) or nxt in seen or len(nxt) > 4096:
            raise ResponseError(f"{where}: field '$skipToken': not a new page token")
        seen.add(nxt)
        skip = nxt
    raise InputError(f"{redact_url(url)}: more than {MAX_PAGES} pages")
