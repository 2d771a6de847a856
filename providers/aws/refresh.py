"""Refresh AWS offerings from AWS's own APIs.

- EC2 `describe_instance_types`: the instance types with GPUs (GpuInfo) or Inferentia/Trainium
  chips (NeuronInfo), their accelerator, count, vCPUs and memory;
- EC2 `describe_instance_type_offerings` (LocationType region): where each type is offered;
- Price List `get_products`: Linux, shared-tenancy, on-demand hourly prices for EC2 and
  SageMaker real-time inference hosting (`ml.*`);
- EC2 `describe_spot_price_history`: spot prices, the latest per availability zone, and the
  lowest of the zones as the region's spot price.

boto3 is imported only inside functions, so `import providers.aws.refresh` stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from planner._http import ResponseError, check_shape
from planner._readfile import load_json
from planner.catalog.offering import Offering
from planner.errors import InputError
from planner.extras import require
from planner.facts import find_accelerator
from providers.aws import sdk
from providers.refresh_common import RefreshContext, RefreshResult, RowKey, RunLog, pages

SOURCE = "aws-pricing-api"
SPOT_SOURCE_NOTE = "spot: EC2 spot price history, latest per zone, lowest zone"
PRICING_REGION = "us-east-1"
"""The Price List API answers in us-east-1 (also eu-central-1 and ap-south-1)."""

EC2_PRODUCT_ATTRIBUTES = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
}
"""Price List attributes of a plain Linux on-demand instance (no licensed software, shared)."""

SPOT_PRODUCTS = ("Linux/UNIX", "Linux/UNIX (Amazon VPC)")
COVERS = re.compile(r".")
"""An AWS refresh sees every accelerated EC2 and SageMaker type, so it covers all base rows."""
HOME_REGION = "us-east-1"

Clients = Callable[[str, str], Any]
"""clients(service, region) -> a boto3 client."""


@dataclass(frozen=True)
class InstanceShape:
    """An accelerated instance type as EC2 describes it."""

    instance_type: str
    accelerator: str
    count: int
    memory_gb: float
    vcpus: float
    memory_gib: float


# --- the fields read, with their ranges (checked on every page) ------------------------------

MAX_PRICE = 10_000.0
"""Highest hourly price taken from an AWS answer ($/h; the dearest instance lists under $120)."""


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Memory(_Read):
    SizeInMiB: int = Field(default=0, ge=0, le=10**9)


class _Device(_Read):
    Count: int = Field(default=0, ge=0, le=1024)
    MemoryInfo: _Memory | None = None


class _Gpus(_Read):
    Gpus: list[_Device] = []


class _Neuron(_Read):
    NeuronDevices: list[_Device] = []


class _Vcpus(_Read):
    DefaultVCpus: int = Field(default=0, ge=0, le=100_000)


class _InstanceType(_Read):
    InstanceType: str = Field(min_length=1, max_length=64)
    GpuInfo: _Gpus | None = None
    NeuronInfo: _Neuron | None = None
    VCpuInfo: _Vcpus | None = None
    MemoryInfo: _Memory | None = None


class InstanceTypesPage(_Read):
    """describe_instance_types: what shape_of reads."""

    InstanceTypes: list[_InstanceType] = []


class _Offered(_Read):
    InstanceType: str = Field(min_length=1, max_length=64)


class OfferingsPage(_Read):
    InstanceTypeOfferings: list[_Offered] = []


class _Spot(_Read):
    InstanceType: str = Field(min_length=1, max_length=64)
    SpotPrice: float = Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)


class SpotPage(_Read):
    """describe_spot_price_history: SpotPrice is a decimal string; read as a finite price."""

    SpotPriceHistory: list[_Spot] = []


class _Region(_Read):
    RegionName: str = Field(min_length=1, max_length=64)


class RegionsAnswer(_Read):
    Regions: list[_Region] = []


class _PerUnit(_Read):
    USD: float | None = Field(default=None, ge=0, le=MAX_PRICE, allow_inf_nan=False)


class _Dimension(_Read):
    unit: str = ""
    pricePerUnit: _PerUnit = _PerUnit()


class _Term(_Read):
    priceDimensions: dict[str, _Dimension] = {}


class _Terms(_Read):
    OnDemand: dict[str, _Term] = {}


class PriceListProduct(_Read):
    """One Price List product document: the on-demand price dimensions hourly_on_demand reads."""

    terms: _Terms = _Terms()


# --- pure: reading what the APIs return -------------------------------------------------------


def aws_accelerator(name: str, memory_mib: float) -> tuple[str, float]:
    """Canonical accelerator name and memory (GB) for EC2's name and per-device memory.

    The memory picks the variant (`A100` with 80 GiB is `A100-80GB`, `V100` with 32 GiB is
    `V100-32GB`); unknown accelerators keep EC2's name and its memory in GiB.
    """
    gib = memory_mib / 1024
    for candidate in (f"{name}-{round(gib)}GB", name):
        acc = find_accelerator(candidate.replace(" ", "-"))
        if acc is not None:
            return acc.name, acc.memory_gb
    return name, round(gib, 1)


def shape_of(description: Mapping[str, Any]) -> InstanceShape | None:
    """The shape of one `describe_instance_types` entry, or None without whole accelerators.

    GPU types use GpuInfo; Inferentia and Trainium types use NeuronInfo. Types with fractional
    GPUs (Count 0, e.g. g6f) and other accelerators (InferenceAcceleratorInfo) are left out.
    """
    devices = (description.get("GpuInfo") or {}).get("Gpus") or (
        description.get("NeuronInfo") or {}
    ).get("NeuronDevices")
    if not devices:
        return None
    device = devices[0]
    count = sum(int(d.get("Count", 0)) for d in devices)
    if count <= 0:
        return None
    accelerator, memory_gb = aws_accelerator(
        str(device.get("Name", "")), float((device.get("MemoryInfo") or {}).get("SizeInMiB", 0))
    )
    return InstanceShape(
        instance_type=description["InstanceType"],
        accelerator=accelerator,
        count=count,
        memory_gb=memory_gb,
        vcpus=float((description.get("VCpuInfo") or {}).get("DefaultVCpus", 0)),
        memory_gib=round(
            float((description.get("MemoryInfo") or {}).get("SizeInMiB", 0)) / 1024, 2
        ),
    )


def hourly_on_demand(terms: Mapping[str, Any]) -> float | None:
    """The USD hourly price in a Price List product's OnDemand terms (the lowest if several)."""
    prices = []
    for term in (terms.get("OnDemand") or {}).values():
        for dim in (term.get("priceDimensions") or {}).values():
            if str(dim.get("unit", "")).lower() not in ("hrs", "hr", "hours", "hour"):
                continue
            try:
                usd = float((dim.get("pricePerUnit") or {}).get("USD", ""))
            except ValueError:
                continue
            if usd > 0:
                prices.append(usd)
    return min(prices) if prices else None


def ec2_prices(products: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], float]:
    """(region, instance type) -> on-demand $/h from EC2 Price List products.

    Products are checked again against EC2_PRODUCT_ATTRIBUTES; where several remain for one
    type and region, the lowest price is kept.
    """
    found: dict[tuple[str, str], float] = {}
    for product in products:
        attrs = (product.get("product") or {}).get("attributes") or {}
        if any(attrs.get(k) != v for k, v in EC2_PRODUCT_ATTRIBUTES.items()):
            continue
        region, itype = attrs.get("regionCode"), attrs.get("instanceType")
        price = hourly_on_demand(product.get("terms") or {})
        if region and itype and price is not None:
            found[(region, itype)] = min(price, found.get((region, itype), price))
    return found


def _is_hosting(attrs: Mapping[str, Any]) -> bool:
    component = str(attrs.get("component", "")).lower()
    usage = str(attrs.get("usagetype", ""))
    return component == "hosting" or "-Host:" in usage or usage.startswith("Host:")


def sagemaker_hosting_prices(products: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], float]:
    """(region, ml.* type) -> $/h of SageMaker real-time inference (hosting) from products.

    A hosting product has `component` 'Hosting' or a usage type like 'USE1-Host:ml.g5.xlarge';
    training, notebook, batch-transform and other components are ignored.
    """
    found: dict[tuple[str, str], float] = {}
    for product in products:
        attrs = (product.get("product") or {}).get("attributes") or {}
        itype = attrs.get("instanceName") or attrs.get("instanceType")
        region = attrs.get("regionCode")
        if not (itype and region and str(itype).startswith("ml.") and _is_hosting(attrs)):
            continue
        price = hourly_on_demand(product.get("terms") or {})
        if price is not None:
            found[(region, itype)] = min(price, found.get((region, itype), price))
    return found


def lowest_latest_spot(history: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """instance type -> spot $/h: the latest price in each zone, then the lowest zone.

    The lowest zone is what a request without a zone constraint can get; other zones may cost
    more. Only Linux/UNIX prices count.
    """
    latest: dict[tuple[str, str], tuple[Any, float]] = {}
    for entry in history:
        if entry.get("ProductDescription") not in SPOT_PRODUCTS:
            continue
        key = (entry["InstanceType"], entry.get("AvailabilityZone", ""))
        stamp, price = entry.get("Timestamp"), float(entry["SpotPrice"])
        if price > 0 and (key not in latest or stamp > latest[key][0]):
            latest[key] = (stamp, price)
    lowest: dict[str, float] = {}
    for (itype, _), (_, price) in latest.items():
        lowest[itype] = min(price, lowest.get(itype, price))
    return lowest


def offering(shape: InstanceShape, region: str, service: str, price: float, ctx: RefreshContext):
    """An AWS Offering from a shape and its on-demand price (spot set later)."""
    return Offering(
        provider="aws",
        region=region,
        service=service,
        instance_type=shape.instance_type,
        accelerator=shape.accelerator,
        accelerator_count=shape.count,
        accelerator_memory_gb=shape.memory_gb,
        vcpus=shape.vcpus,
        memory_gib=shape.memory_gib,
        price_on_demand=price,
        source=SOURCE,
        as_of=ctx.as_of,
        price_kind="refreshed",
    )


# --- I/O: the API calls ------------------------------------------------------------------------

THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
    }
)


def aws_retryable(err: BaseException) -> bool:
    """True for AWS throttling (ThrottlingException, RequestLimitExceeded, HTTP 429/503...)."""
    from botocore.exceptions import ClientError, ConnectionError, ReadTimeoutError

    if isinstance(err, ClientError):
        code = err.response.get("Error", {}).get("Code", "")
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in THROTTLE_CODES or status in (429, 503)
    return isinstance(err, (ConnectionError, ReadTimeoutError))


def make_clients(endpoints: Mapping[str, str] | None = None) -> Clients:
    """A boto3 client factory (cached per service and region), with endpoint overrides.

    `endpoints` maps a service name ('ec2', 'pricing', 'service-quotas') or '' (all) to a URL.
    botocore's own retries are off: the caller retries with its seeded backoff.
    """
    boto3 = require("boto3", "aws", "refreshing AWS prices or quotas")
    session = boto3.session.Session()
    cache: dict[tuple[str, str], Any] = {}
    urls = dict(endpoints or {})

    def client(service: str, region: str) -> Any:
        if (service, region) not in cache:
            url = urls.get(service) or urls.get("") or None
            cache[(service, region)] = sdk.client(service, region, url, attempts=1,
                                                  session=session)  # fmt: skip
        return cache[(service, region)]

    return client


def _aws_pages(
    ctx: RefreshContext,
    method: Callable[..., dict[str, Any]],
    key: str,
    what: str,
    shape: Any = None,
    **kwargs: Any,
):
    """Every item under `key` of a NextToken-paged AWS call, each page retried when throttled
    and checked against `shape` (the fields read, with their ranges); at most MAX_PAGES pages,
    and a NextToken already seen stops the listing (refresh_common.pages)."""
    where = getattr(method, "where", what)

    def fetch(token: str | None) -> tuple[list[Any], str | None]:
        args = {**kwargs, **({"NextToken": token} if token else {})}
        page = ctx.call(lambda: method(**args), aws_retryable, what)
        if shape is not None:
            check_shape(shape, page, where)
        return page.get(key, []), page.get("NextToken")

    return pages(fetch, ctx.progress, what)


def _invalid_type(err: BaseException) -> bool:
    from botocore.exceptions import ClientError

    return (
        isinstance(err, ClientError)
        and err.response.get("Error", {}).get("Code") == "InvalidInstanceType"
    )


def describe_types(
    ec2: Any, ctx: RefreshContext, names: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """describe_instance_types for `names` (all the region's types when None), paged.

    A chunk naming a type EC2 does not describe (InvalidInstanceType) is retried one name at a
    time, leaving that type out.
    """

    def describe(**kwargs: Any) -> list[dict[str, Any]]:
        return list(_aws_pages(ctx, ec2.describe_instance_types, "InstanceTypes",
                               "EC2 instance types", InstanceTypesPage, **kwargs))  # fmt: skip

    if names is None:
        return describe(MaxResults=100)
    found: list[dict[str, Any]] = []
    for start in range(0, len(names), 100):
        chunk = list(names[start : start + 100])
        try:
            found.extend(describe(InstanceTypes=chunk))
        except Exception as err:
            if not _invalid_type(err):
                raise
            for name in chunk:
                try:
                    found.extend(describe(InstanceTypes=[name]))
                except Exception as one:
                    if not _invalid_type(one):
                        raise
    return found


def offered_types(ec2: Any, ctx: RefreshContext, region: str) -> set[str]:
    """Names of the instance types offered in the client's region."""
    items = _aws_pages(
        ctx,
        ec2.describe_instance_type_offerings,
        "InstanceTypeOfferings",
        f"EC2 offerings {region}",
        OfferingsPage,
        LocationType="region",
        MaxResults=1000,
    )
    return {item["InstanceType"] for item in items}


def get_products(
    pricing: Any, ctx: RefreshContext, service_code: str, filters: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Price List products (decoded JSON) matching TERM_MATCH `filters`, all pages."""
    terms = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in filters.items()]
    what = f"Price List {service_code} {' '.join(filters.values())}"
    where = getattr(pricing.get_products, "where", what)
    items = _aws_pages(
        ctx,
        pricing.get_products,
        "PriceList",
        what,
        ServiceCode=service_code,
        Filters=terms,
        FormatVersion="aws_v1",
        MaxResults=100,
    )
    products = []
    for i, item in enumerate(items):
        try:
            product = load_json(item, what) if isinstance(item, str) else item
        except InputError as err:
            raise ResponseError(f"{where}: field 'PriceList[{i}]': {err}") from None
        check_shape(PriceListProduct, product, where, f"PriceList[{i}]")
        products.append(product)
    return products


def spot_history(ec2: Any, ctx: RefreshContext, region: str, types: Sequence[str]):
    """Spot price history entries for `types` in effect at the run's clock reading.

    With StartTime = EndTime the API answers each zone's price in effect at that moment.
    """
    entries: list[dict[str, Any]] = []
    for start in range(0, len(types), 50):
        entries.extend(
            _aws_pages(
                ctx,
                ec2.describe_spot_price_history,
                "SpotPriceHistory",
                f"EC2 spot prices {region}",
                SpotPage,
                InstanceTypes=list(types[start : start + 50]),
                ProductDescriptions=["Linux/UNIX"],
                StartTime=ctx.now,
                EndTime=ctx.now,
                MaxResults=1000,
            )
        )
    return entries


# --- the refresh -------------------------------------------------------------------------------


def all_regions(clients: Clients, ctx: RefreshContext) -> list[str]:
    """Every region enabled for the account (EC2 describe_regions)."""
    ec2 = clients("ec2", HOME_REGION)
    answer = ctx.call(lambda: ec2.describe_regions(), aws_retryable, "EC2 regions")
    check_shape(RegionsAnswer, answer, getattr(ec2.describe_regions, "where", "EC2 regions"))
    return sorted(r["RegionName"] for r in answer.get("Regions", []))


@dataclass
class _Run:
    """Mutable bookkeeping of one AWS refresh (kept private; the result is frozen)."""

    ctx: RefreshContext
    clients: Clients
    log: RunLog = field(default_factory=RunLog)
    kept: set[RowKey] = field(default_factory=set)
    spot_kept: set[RowKey] = field(default_factory=set)

    def fail(self, what: str, err: BaseException | str) -> None:
        self.log.fail(what, err)


def _shapes_by_region(run: _Run, regions: Sequence[str]) -> dict[str, dict[str, InstanceShape]]:
    """Region -> accelerated types offered there; a region whose calls fail is left out."""
    home = HOME_REGION if HOME_REGION in regions else regions[0]
    ec2 = run.clients("ec2", home)
    described = describe_types(ec2, run.ctx)
    known = {d["InstanceType"]: shape_of(d) for d in described}
    fractional = sorted(
        d["InstanceType"]
        for d in described
        if d.get("GpuInfo") and known[d["InstanceType"]] is None
    )
    if fractional:
        run.log.notes.append(f"left out types with fractional GPUs: {', '.join(fractional)}")
    by_region: dict[str, dict[str, InstanceShape]] = {}
    for region in regions:
        try:
            ec2 = run.clients("ec2", region)
            names = offered_types(ec2, run.ctx, region)
            unknown = sorted(n for n in names if n not in known)
            if unknown:
                for d in describe_types(ec2, run.ctx, unknown):
                    known[d["InstanceType"]] = shape_of(d)
        except Exception as err:
            run.fail(f"aws {region}: instance types offered", err)
            continue
        by_region[region] = {n: s for n in sorted(names) if (s := known.get(n)) is not None}
    return by_region


def _prices(
    run: _Run,
    types: Sequence[str],
    label: str,
    service_code: str,
    filters_for: Callable[[str], dict[str, str]],
    parse: Callable[[list[dict[str, Any]]], dict[tuple[str, str], float]],
) -> tuple[dict[tuple[str, str], float], set[str]]:
    """Prices for every type, one paged Price List query per type; and the types that failed."""
    pricing = run.clients("pricing", PRICING_REGION)
    found: dict[tuple[str, str], float] = {}
    failed: set[str] = set()
    for itype in types:
        try:
            found.update(parse(get_products(pricing, run.ctx, service_code, filters_for(itype))))
        except Exception as err:
            run.fail(f"aws: {label} price of {itype} (every region)", err)
            failed.add(itype)
    if types and not found and not failed:
        run.fail(f"aws: {label} prices", f"the Price List returned no {label} prices")
    return found, failed


def _spot(run: _Run, region: str, types: Sequence[str]) -> dict[str, float] | None:
    try:
        ec2 = run.clients("ec2", region)
        return lowest_latest_spot(spot_history(ec2, run.ctx, region, types))
    except Exception as err:
        run.fail(f"aws {region}: spot prices (kept from the base catalog)", err)
        return None


def _ec2_rows(run: _Run, region: str, offered: Mapping[str, InstanceShape], prices, failed):
    """The region's EC2 offerings; unpriced types keep their base rows, as does spot on failure."""
    spot = _spot(run, region, list(offered))
    rows, unpriced = [], 0
    for itype, shape in offered.items():
        price = prices.get((region, itype))
        if price is None:
            run.kept.add(("aws", region, "ec2", itype))
            unpriced += itype not in failed
            continue
        row = offering(shape, region, "ec2", price, run.ctx)
        if spot is None:
            run.spot_kept.add(("aws", region, "ec2", itype))
        elif itype in spot:
            row = replace(row, price_spot=spot[itype], spot_price_kind="refreshed")
        rows.append(row)
    return rows, unpriced


def _sagemaker_rows(run: _Run, region: str, shapes: Mapping[str, InstanceShape], prices):
    """The region's SageMaker hosting offerings: `ml.` + each EC2 type with a hosting price."""
    rows = []
    for itype, shape in sorted(shapes.items()):
        price = prices.get((region, f"ml.{itype}"))
        if price is not None:
            ml = replace(shape, instance_type=f"ml.{itype}")
            rows.append(offering(ml, region, "sagemaker", price, run.ctx))
    return rows


def _ec2_filters(instance_type: str) -> dict[str, str]:
    return {"instanceType": instance_type, **EC2_PRODUCT_ATTRIBUTES}


def refresh_aws(regions: Sequence[str], ctx: RefreshContext, clients: Clients) -> RefreshResult:
    """Fresh EC2 and SageMaker offerings for `regions`; failures are recorded, not raised.

    Calls: describe_instance_types once (home region, plus types only other regions offer),
    describe_instance_type_offerings and describe_spot_price_history per region, get_products
    per accelerated type for EC2 and for SageMaker (`ml.` + the type).

    EC2 rows of a refreshed region replace the base ones (a type no longer offered goes away).
    SageMaker rows only override base rows of the same type: the Price List is the only sign
    of where SageMaker sells a type, so a missing hosting price never removes a known row.
    """
    run = _Run(ctx, clients)
    try:
        by_region = _shapes_by_region(run, regions)
    except Exception as err:
        run.fail("aws: EC2 instance types", err)
        by_region = {}
    types = sorted({t for shapes in by_region.values() for t in shapes})
    shapes = {t: s for r in by_region.values() for t, s in r.items()}
    ec2_found, ec2_failed = _prices(run, types, "EC2", "AmazonEC2", _ec2_filters, ec2_prices)
    sm_found, _ = _prices(
        run, types, "SageMaker", "AmazonSageMaker",
        lambda t: {"instanceName": f"ml.{t}"}, sagemaker_hosting_prices,
    )  # fmt: skip
    refreshed: set[tuple[str, str, str]] = set()
    fresh: list[Offering] = []
    unpriced = 0
    for region, offered in by_region.items():
        if ec2_found or not types:
            refreshed.add(("aws", region, "ec2"))
            rows, missing = _ec2_rows(run, region, offered, ec2_found, ec2_failed)
            fresh.extend(rows)
            unpriced += missing
        fresh.extend(_sagemaker_rows(run, region, shapes, sm_found))
    if unpriced:
        run.log.notes.append(
            f"{unpriced} offered EC2 type/region pair(s) had no Linux on-demand price "
            "(base rows kept where there were any)"
        )
    return RefreshResult(
        provider="aws",
        offerings=tuple(sorted(fresh, key=lambda o: o.key)),
        refreshed=frozenset(refreshed),
        covers=COVERS,
        kept=frozenset(run.kept),
        spot_kept=frozenset(run.spot_kept),
        failures=tuple(run.log.failures),
        notes=tuple(run.log.notes),
        sources=(
            f"{SOURCE}: AWS Price List API, on-demand Linux shared tenancy (EC2), "
            "SageMaker real-time inference hosting (ml.*)",
            SPOT_SOURCE_NOTE,
        ),
    )
