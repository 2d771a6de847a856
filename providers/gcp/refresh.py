"""Refresh GCP Compute Engine offerings over plain REST.

- Compute Engine `aggregated/machineTypes` and `aggregated/acceleratorTypes`: which machine
  types and GPUs each zone offers (machine types with built-in GPUs list them);
- Cloud Billing Catalog `services/6F81-5844-456A/skus` (Compute Engine): per-region hourly
  prices of GPUs, vCPUs and memory, on-demand and Spot.

A VM's price is vCPUs x core price + GiB x RAM price + GPUs x GPU price of its family. Rows are
region-level (offered in at least one zone of the region), named like the bundled catalog:
`a2-highgpu-1g`, `g2-standard-8`, and `n1-standard-8+T4x1` for N1 with attached GPUs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from planner._http import check_credential, shape_types
from planner.catalog.offering import Offering
from planner.errors import InputError
from planner.extras import require
from planner.facts import find_accelerator
from providers.refresh_common import Http, RefreshContext, RefreshResult, RowKey, RunLog, pages

SOURCE = "gcp-billing-catalog-api"
COMPUTE_SERVICE_ID = "6F81-5844-456A"
"""The Cloud Billing Catalog's service id of Compute Engine."""
BILLING_URL = "https://cloudbilling.googleapis.com"
COMPUTE_URL = "https://compute.googleapis.com"

BUILT_IN_FAMILIES = ("a2", "a3", "a4", "a4x", "g2", "g4")
"""Machine families whose types come with a fixed number of GPUs."""
N1_ATTACHMENTS = (
    ("n1-standard-8", "T4", 1),
    ("n1-standard-16", "T4", 2),
    ("n1-standard-32", "T4", 4),
    ("n1-standard-8", "V100", 1),
    ("n1-standard-32", "V100", 4),
)
"""N1 machine type + attached GPU combinations listed, as in the bundled catalog."""
COVERS = re.compile(r"^(?:a2|a3|a4|a4x|g2|g4)-|^n1-[a-z0-9-]+\+")
"""Catalog rows a GCP refresh replaces (TPU rows and Vertex AI rows are left as they are)."""
MACHINE_FILTER = 'name eq "(a2|a3|a4|a4x|g2|g4)-.*|n1-standard-(8|16|32)"'

TOKEN_ENV = "GOOGLE_OAUTH_ACCESS_TOKEN"
KEY_ENV = "GOOGLE_API_KEY"
PROJECT_ENV = "GOOGLE_CLOUD_PROJECT"


@dataclass(frozen=True)
class GcpShape:
    """A GCP VM with GPUs: its catalog name, SKU families, accelerator and size."""

    instance_type: str
    families: tuple[str, ...]
    accelerator: str
    count: int
    vcpus: float
    memory_gib: float
    accelerator_memory_gb: float


# --- pure: names and prices --------------------------------------------------------------------


def gpu_accelerator(gcp_name: str) -> str | None:
    """Canonical accelerator for a GCP accelerator type (`nvidia-tesla-a100` -> A100), or None."""
    name = re.sub(r"^nvidia-(tesla-)?", "", gcp_name.lower())
    acc = find_accelerator(name)
    return acc.name if acc else None


def _memory_gb(accelerator: str) -> float:
    acc = find_accelerator(accelerator)
    assert acc is not None, accelerator
    return acc.memory_gb


def sku_families(machine_type: str) -> tuple[str, ...]:
    """The SKU family names to price a machine type with, most specific first.

    `a3-ultragpu-8g` -> ('A3 Ultra', 'A3'); `a2-highgpu-1g` -> ('A2',); `n1-standard-8` -> ('N1',).
    """
    prefix, _, rest = machine_type.partition("-")
    base = prefix.upper()
    variant = {"ultragpu": "Ultra", "megagpu": "Mega", "edgegpu": "Edge"}.get(rest.split("-")[0])
    return (f"{base} {variant}", base) if variant else (base,)


def region_of(zone: str) -> str:
    """`us-central1-a` -> `us-central1`."""
    return zone.rsplit("-", 1)[0]


def _zone_items(items: Iterable[tuple[str, Mapping[str, Any]]], key: str):
    """(zone, entry) pairs from an aggregated list's `items` ({'zones/x': {key: [...]}})."""
    for scope, body in items:
        zone = scope.rpartition("/")[2]
        for entry in body.get(key, []) or []:
            yield zone, entry


def built_in_shape(machine_type: Mapping[str, Any]) -> GcpShape | None:
    """The shape of an a2/a3/a4/a4x/g2/g4 machine type with its built-in GPUs, or None."""
    name = machine_type["name"]
    gpus = machine_type.get("accelerators") or []
    if name.split("-")[0] not in BUILT_IN_FAMILIES or len(gpus) != 1:
        return None
    accelerator = gpu_accelerator(gpus[0].get("guestAcceleratorType", ""))
    count = int(gpus[0].get("guestAcceleratorCount", 0))
    if accelerator is None or count <= 0:
        return None
    return GcpShape(
        instance_type=name,
        families=sku_families(name),
        accelerator=accelerator,
        count=count,
        vcpus=float(machine_type.get("guestCpus", 0)),
        memory_gib=round(float(machine_type.get("memoryMb", 0)) / 1024, 2),
        accelerator_memory_gb=_memory_gb(accelerator),
    )


def shapes_by_region(
    machine_types: Iterable[tuple[str, Mapping[str, Any]]],
    accelerator_types: Iterable[tuple[str, Mapping[str, Any]]],
) -> dict[str, dict[str, GcpShape]]:
    """Region -> shapes offered in at least one of its zones (built-in and N1 attachments).

    An N1 combination is offered in a zone that has the N1 machine type and the GPU, with
    `maximumCardsPerInstance` at least its count.
    """
    found: dict[str, dict[str, GcpShape]] = {}
    n1: dict[tuple[str, str], Mapping[str, Any]] = {}
    for zone, mt in machine_types:
        shape = built_in_shape(mt)
        if shape is not None:
            found.setdefault(region_of(zone), {})[shape.instance_type] = shape
        elif mt["name"].startswith("n1-"):
            n1[(zone, mt["name"])] = mt
    for zone, at in accelerator_types:
        accelerator = gpu_accelerator(at.get("name", ""))
        for machine, wanted, count in N1_ATTACHMENTS:
            mt = n1.get((zone, machine))
            if mt is None or accelerator != wanted:
                continue
            if int(at.get("maximumCardsPerInstance", 0)) < count:
                continue
            name = f"{machine}+{wanted}x{count}"
            found.setdefault(region_of(zone), {})[name] = GcpShape(
                instance_type=name,
                families=("N1",),
                accelerator=wanted,
                count=count,
                vcpus=float(mt.get("guestCpus", 0)),
                memory_gib=round(float(mt.get("memoryMb", 0)) / 1024, 2),
                accelerator_memory_gb=_memory_gb(wanted),
            )
    return found


def shapes_from_catalog(offerings: Iterable[Offering]) -> dict[str, dict[str, GcpShape]]:
    """Region -> shapes of the catalog's GCE GPU rows (used when Compute cannot be listed)."""
    found: dict[str, dict[str, GcpShape]] = {}
    for o in offerings:
        if o.provider != "gcp" or o.service != "gce" or not COVERS.search(o.instance_type):
            continue
        machine = o.instance_type.split("+")[0]
        found.setdefault(o.region, {})[o.instance_type] = GcpShape(
            o.instance_type, sku_families(machine), o.accelerator, o.accelerator_count,
            o.vcpus, o.memory_gib, o.accelerator_memory_gb,
        )  # fmt: skip
    return found


_GPU_SKU = re.compile(r"^(?:(?:Spot )?Preemptible )?Nvidia (?P<gpu>.+?) GPU\b", re.IGNORECASE)
_VM_SKU = re.compile(
    r"^(?:(?:Spot )?Preemptible )?(?P<family>[A-Z]\d+[A-Z]?(?: (?:Ultra|Mega|Edge))?) "
    r"(?:Predefined )?Instance (?P<part>Core|Ram)\b",
    re.IGNORECASE,
)
_NOT_LIST_PRICE = re.compile(
    r"commit|reserv|dws|dynamic workload|calendar|flex|sole tenan|custom|extended|licen",
    re.IGNORECASE,
)
USAGE_PRICING = {"OnDemand": "on_demand", "Preemptible": "spot"}

PriceKey = tuple[str, str, str, str]
"""(region, pricing, part, name): part is 'gpu' (name: accelerator), 'core' or 'ram' (family)."""


def unit_price(sku: Mapping[str, Any]) -> float | None:
    """USD per usage unit of a SKU: its latest pricing info, first non-zero tiered rate."""
    infos = sorted(sku.get("pricingInfo") or [], key=lambda p: p.get("effectiveTime", ""))
    if not infos:
        return None
    expression = infos[-1].get("pricingExpression") or {}
    rates = sorted(
        expression.get("tieredRates") or [], key=lambda r: float(r.get("startUsageAmount", 0))
    )
    for rate in rates:
        money = rate.get("unitPrice") or {}
        if money.get("currencyCode", "USD") != "USD":
            return None
        value = int(money.get("units", 0) or 0) + int(money.get("nanos", 0) or 0) / 1e9
        if value > 0:
            return value
    return None


def classify_sku(sku: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(pricing, part, name) of a Compute Engine SKU the catalog needs, or None.

    GPU SKUs are recognised by `category.resourceGroup` 'GPU' and a description 'Nvidia <model>
    GPU ...'; vCPU and memory SKUs by '<family> [Predefined ]Instance Core|Ram ...'. Commitment,
    reservation, DWS, sole-tenancy, custom and licence SKUs are skipped.
    """
    category = sku.get("category") or {}
    pricing = USAGE_PRICING.get(category.get("usageType", ""))
    description = sku.get("description", "")
    if pricing is None or _NOT_LIST_PRICE.search(description):
        return None
    unit = ((sku.get("pricingInfo") or [{}])[-1].get("pricingExpression") or {}).get("usageUnit")
    if category.get("resourceGroup") == "GPU":
        match = _GPU_SKU.match(description)
        if not match or unit != "h":
            return None
        model = match["gpu"].replace("Tesla ", "").strip().replace(" ", "-")
        acc = find_accelerator(model)
        return (pricing, "gpu", acc.name) if acc else None
    match = _VM_SKU.match(description)
    if not match:
        return None
    part = match["part"].lower()
    if unit != ("h" if part == "core" else "GiBy.h"):
        return None
    words = match["family"].split()
    family = " ".join(w.upper() if any(c.isdigit() for c in w) else w.title() for w in words)
    return (pricing, part, family)


def price_table(skus: Iterable[Mapping[str, Any]]) -> dict[PriceKey, float]:
    """Region-level unit prices of GPUs, cores and RAM; the lowest where SKUs overlap."""
    table: dict[PriceKey, float] = {}
    for sku in skus:
        kind = classify_sku(sku)
        price = unit_price(sku) if kind else None
        if kind is None or price is None:
            continue
        for region in sku.get("serviceRegions") or []:
            key = (region, *kind)
            table[key] = min(price, table.get(key, price))
    return table


def vm_price(shape: GcpShape, region: str, pricing: str, table: Mapping[PriceKey, float]):
    """$/h of a VM: vCPUs x core + GiB x RAM + GPUs x GPU, or None when a part has no price."""
    gpu = table.get((region, pricing, "gpu", shape.accelerator))
    for family in shape.families:
        core = table.get((region, pricing, "core", family))
        ram = table.get((region, pricing, "ram", family))
        if gpu is not None and core is not None and ram is not None:
            return round(shape.vcpus * core + shape.memory_gib * ram + shape.count * gpu, 6)
    return None


# --- I/O ---------------------------------------------------------------------------------------


def gcp_headers(env: Mapping[str, str], real_endpoint: bool) -> dict[str, str]:
    """Credentials for Google REST calls, from the environment; never printed.

    GOOGLE_OAUTH_ACCESS_TOKEN (e.g. `gcloud auth print-access-token`) becomes a bearer token,
    GOOGLE_API_KEY an `X-Goog-Api-Key` header (enough for the Billing Catalog). Without either,
    Application Default Credentials are tried against Google's own endpoints only.
    """
    headers: dict[str, str] = {}
    if env.get(TOKEN_ENV):
        token = check_credential(env[TOKEN_ENV], f"environment variable {TOKEN_ENV}")
        headers["Authorization"] = f"Bearer {token}"
    if env.get(KEY_ENV):
        headers["X-Goog-Api-Key"] = check_credential(
            env[KEY_ENV], f"environment variable {KEY_ENV}"
        )
    if headers or not real_endpoint:
        return headers
    require("google.auth", "gcp", "Google Application Default Credentials")
    try:
        import google.auth
        import google.auth.transport.requests

        credentials, _ = google.auth.default(
            scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
        credentials.refresh(google.auth.transport.requests.Request())
    except Exception as err:
        raise InputError(
            f"No Google credentials: set {TOKEN_ENV} (gcloud auth print-access-token) or "
            f"{KEY_ENV}, or configure Application Default Credentials ({type(err).__name__})"
        ) from None
    return {"Authorization": f"Bearer {credentials.token}"}


Shape, Number, Count = shape_types()


class _Money(Shape):
    currencyCode: str = "USD"
    units: Annotated[int, Field(ge=0, le=10**6)] | None = 0
    nanos: Annotated[int, Field(ge=0, lt=10**9)] | None = 0


class _Rate(Shape):
    startUsageAmount: Number = 0
    unitPrice: _Money | None = None


class _Expression(Shape):
    usageUnit: str = ""
    tieredRates: list[_Rate] | None = None


class _PricingInfo(Shape):
    effectiveTime: str = ""
    pricingExpression: _Expression | None = None


class _Category(Shape):
    resourceGroup: str = ""
    usageType: str = ""


class _Sku(Shape):
    description: str = ""
    category: _Category | None = None
    serviceRegions: list[str] | None = None
    pricingInfo: list[_PricingInfo] | None = None


class SkuPage(Shape):
    """The fields of a Billing Catalog `skus.list` page the refresh reads."""

    skus: list[_Sku] | None = None
    nextPageToken: str | None = None


class _GuestAccelerator(Shape):
    guestAcceleratorType: str = ""
    guestAcceleratorCount: Annotated[int, Field(ge=0, le=1024)] = 0


class _MachineType(Shape):
    name: str
    guestCpus: Number = 0
    memoryMb: Number = 0
    accelerators: list[_GuestAccelerator] | None = None


class _AcceleratorType(Shape):
    name: str = ""


class _Scope(Shape):
    machineTypes: list[_MachineType] | None = None
    acceleratorTypes: list[_AcceleratorType] | None = None


class AggregatedPage(Shape):
    """The fields of a Compute `aggregated/machineTypes|acceleratorTypes` page read."""

    items: dict[str, _Scope] | None = None
    nextPageToken: str | None = None


@dataclass(frozen=True)
class GcpApi:
    """Where the Google REST APIs are and how to call them."""

    http: Http
    compute_url: str = COMPUTE_URL
    billing_url: str = BILLING_URL
    project: str | None = None

    def _paged(self, ctx: RefreshContext, url: str, key: str, params: dict[str, str], what: str):
        shape = SkuPage if key == "skus" else AggregatedPage

        def fetch(token: str | None):
            query = {**params, **({"pageToken": token} if token else {})}
            page = self.http.get_json(url, query, shape=shape)
            body = page.get(key) or ([] if key != "items" else {})
            items = list(body.items()) if isinstance(body, dict) else body
            return items, page.get("nextPageToken") or None

        return pages(fetch, ctx.progress, what)

    def skus(self, ctx: RefreshContext):
        """Compute Engine SKUs from the Billing Catalog, lazily, page by page."""
        url = f"{self.billing_url.rstrip('/')}/v1/services/{COMPUTE_SERVICE_ID}/skus"
        return self._paged(ctx, url, "skus", {"currencyCode": "USD", "pageSize": "5000"}, "SKUs")

    def aggregated(self, ctx: RefreshContext, resource: str, key: str):
        """(zone, entry) pairs of a Compute aggregated list (machineTypes, acceleratorTypes)."""
        base = f"{self.compute_url.rstrip('/')}/compute/v1/projects/{self.project}"
        params = {"maxResults": "500"}
        if resource == "machineTypes":
            params["filter"] = MACHINE_FILTER
        items = self._paged(ctx, f"{base}/aggregated/{resource}", "items", params, resource)
        return list(_zone_items(items, key))


def _collect_skus(api: GcpApi, ctx: RefreshContext, log: RunLog) -> tuple[list[Any], bool]:
    """The SKUs that could be read, and whether the listing was complete (else it is logged)."""
    skus: list[Any] = []
    try:
        for sku in api.skus(ctx):
            skus.append(sku)
    except Exception as err:
        log.fail(f"gcp: Billing Catalog SKUs (stopped after {len(skus)})", err)
        return skus, False
    return skus, True


def _shapes(api: GcpApi, ctx: RefreshContext, base: Sequence[Offering], log: RunLog):
    """Shapes from the Compute API, or from the base catalog when that is not possible."""
    if not api.project:
        log.notes.append(
            f"machine types taken from the base catalog (no project: give --project or set "
            f"{PROJECT_ENV} to list them from the Compute Engine API)"
        )
        return shapes_from_catalog(base)
    try:
        machines = api.aggregated(ctx, "machineTypes", "machineTypes")
        gpus = api.aggregated(ctx, "acceleratorTypes", "acceleratorTypes")
    except Exception as err:
        log.fail("gcp: Compute machine types (shapes taken from the base catalog)", err)
        return shapes_from_catalog(base)
    return shapes_by_region(machines, gpus)


def _offering(shape: GcpShape, region: str, price: float, spot: float | None, as_of: str):
    return Offering(
        provider="gcp",
        region=region,
        service="gce",
        instance_type=shape.instance_type,
        accelerator=shape.accelerator,
        accelerator_count=shape.count,
        accelerator_memory_gb=shape.accelerator_memory_gb,
        vcpus=shape.vcpus,
        memory_gib=shape.memory_gib,
        price_on_demand=price,
        price_spot=spot,
        source=SOURCE,
        as_of=as_of,
        price_kind="refreshed",
        spot_price_kind="refreshed" if spot is not None else "",
    )


def refresh_gcp(
    regions: Sequence[str] | None, base: Sequence[Offering], ctx: RefreshContext, api: GcpApi
) -> RefreshResult:
    """Fresh GCE offerings for `regions` (None: every region found); failures recorded.

    When the SKU listing stops part-way, offerings whose parts all have prices are still
    refreshed; the others keep their base rows, and missing spot prices their base spot price.
    """
    log = RunLog()
    by_region = _shapes(api, ctx, base, log)
    skus, complete = _collect_skus(api, ctx, log)
    table = price_table(skus)
    if not table and complete:
        log.fail("gcp: prices", "the Billing Catalog listed no usable SKUs")
    wanted = sorted(by_region) if regions is None else [r for r in regions if r in by_region]
    wanted = wanted if table else []
    fresh: list[Offering] = []
    kept: set[RowKey] = set()
    spot_kept: set[RowKey] = set()
    unpriced: list[str] = []
    for region in wanted:
        for name, shape in sorted(by_region[region].items()):
            key = ("gcp", region, "gce", name)
            price = vm_price(shape, region, "on_demand", table)
            if price is None:
                kept.add(key)
                unpriced.append(f"{name} in {region}")
                continue
            spot = vm_price(shape, region, "spot", table)
            if spot is None and not complete:
                spot_kept.add(key)
            fresh.append(_offering(shape, region, price, spot, ctx.as_of))
    if unpriced:
        log.notes.append(
            f"no complete price for {len(unpriced)} offering(s), base rows kept where there "
            f"were any: {', '.join(unpriced[:8])}{' ...' if len(unpriced) > 8 else ''}"
        )
    missing = sorted(set(regions or ()) - set(by_region))
    if missing:
        log.notes.append(f"no GPU machine types found in: {', '.join(missing)}")
    return RefreshResult(
        provider="gcp",
        offerings=tuple(fresh),
        refreshed=frozenset(("gcp", r, "gce") for r in wanted),
        covers=COVERS,
        kept=frozenset(kept),
        spot_kept=frozenset(spot_kept),
        failures=tuple(log.failures),
        notes=tuple(log.notes),
        sources=(
            f"{SOURCE}: Cloud Billing Catalog, Compute Engine SKUs (GPU + vCPU + RAM per VM; "
            "spot = Preemptible SKUs); Vertex AI and TPU rows are not refreshed",
        ),
    )
