"""AWS accelerator quotas: EC2's vCPU quotas from Service Quotas, as accelerators per region.

EC2 limits running instances per instance class in vCPUs (one pool for all G and VT types, one
for all P types, ...). A pool of V vCPUs becomes, for each accelerator of the class, floor(V /
vCPUs per accelerator), where vCPUs per accelerator is by default the most among the catalog's
EC2 types with that accelerator in that region (conservative: any mix of those types fits).
Each accelerator gets the whole pool, so quotas of accelerators sharing a class overlap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from planner._http import check_shape
from planner.catalog.offering import Offering
from planner.facts import find_accelerator
from planner.spec.models import Quota
from providers.aws.refresh import Clients, aws_retryable
from providers.refresh_common import RefreshContext, RunLog

SOURCE = "AWS Service Quotas (service code ec2)"


@dataclass(frozen=True)
class QuotaCode:
    """One EC2 vCPU quota: its code, the instance class it limits, and the pricing."""

    code: str
    instance_class: str
    pricing: Literal["on_demand", "spot"]
    name: str


QUOTA_CODES = (
    QuotaCode("L-DB2E81BA", "G and VT", "on_demand", "Running On-Demand G and VT instances"),
    QuotaCode("L-3819A6DF", "G and VT", "spot", "All G and VT Spot Instance Requests"),
    QuotaCode("L-417A185B", "P", "on_demand", "Running On-Demand P instances"),
    QuotaCode("L-7212CCBC", "P", "spot", "All P Spot Instance Requests"),
    QuotaCode("L-1945791B", "Inf", "on_demand", "Running On-Demand Inf instances"),
    QuotaCode("L-B5D1601B", "Inf", "spot", "All Inf Spot Instance Requests"),
    QuotaCode("L-2C3B7624", "Trn", "on_demand", "Running On-Demand Trn instances"),
    QuotaCode("L-6B0D517C", "Trn", "spot", "All Trn Spot Instance Requests"),
)
"""The quotas read. The G/VT and P codes are the documented ones; the Inf and Trn codes should
be checked with `aws service-quotas list-service-quotas --service-code ec2` (a code a region
does not know is reported and skipped)."""

_CLASSES = {
    "g": "G and VT",
    "gr": "G and VT",
    "vt": "G and VT",
    "p": "P",
    "inf": "Inf",
    "trn": "Trn",
}


class _Value(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    Value: float = Field(ge=0, le=1e9, allow_inf_nan=False)


class QuotaAnswer(BaseModel):
    """get_service_quota: the one field read, a vCPU count."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    Quota: _Value


def instance_class(instance_type: str) -> str | None:
    """The vCPU quota class of an EC2 type: `g5.xlarge` -> 'G and VT', `p5.48xlarge` -> 'P'."""
    match = re.match(r"^([a-z]+)\d", instance_type)
    return _CLASSES.get(match.group(1)) if match else None


def vcpus_per_accelerator(
    offerings: Iterable[Offering], region: str, klass: str, most: bool = True
) -> dict[str, float]:
    """Accelerator -> vCPUs per accelerator of the region's EC2 types in `klass`.

    `most` takes the largest ratio among the types (conservative), else the smallest.
    """
    pick = max if most else min
    found: dict[str, float] = {}
    for o in offerings:
        if (o.provider, o.service, o.region) != ("aws", "ec2", region) or o.vcpus <= 0:
            continue
        if instance_class(o.instance_type) != klass or find_accelerator(o.accelerator) is None:
            continue
        ratio = o.vcpus / o.accelerator_count
        found[o.accelerator] = pick(ratio, found.get(o.accelerator, ratio))
    return found


def accelerator_quotas(
    limits: Mapping[tuple[str, str], float],
    offerings: Sequence[Offering],
    most: bool = True,
) -> list[Quota]:
    """Quotas per (region, accelerator, pricing) from vCPU limits keyed by (region, quota code)."""
    by_code = {q.code: q for q in QUOTA_CODES}
    quotas = []
    for (region, code), vcpus in sorted(limits.items()):
        spec = by_code[code]
        ratios = vcpus_per_accelerator(offerings, region, spec.instance_class, most)
        for accelerator, per in sorted(ratios.items()):
            quotas.append(
                Quota(
                    provider="aws",
                    region=region,
                    accelerator=accelerator,
                    pricing=spec.pricing,
                    max_accelerators=max(0, math.floor(vcpus / per + 1e-9)),
                )
            )
    return quotas


def _no_such_quota(err: BaseException) -> bool:
    from botocore.exceptions import ClientError

    return (
        isinstance(err, ClientError)
        and err.response.get("Error", {}).get("Code") == "NoSuchResourceException"
    )


def fetch_limits(
    regions: Sequence[str], ctx: RefreshContext, clients: Clients, log: RunLog
) -> dict[tuple[str, str], float]:
    """(region, quota code) -> vCPU limit, for every code in every region that answers."""
    limits: dict[tuple[str, str], float] = {}
    for region in regions:
        client = clients("service-quotas", region)
        for quota in QUOTA_CODES:
            what = f"aws {region}: quota {quota.code} ({quota.name})"
            try:
                answer: dict[str, Any] = ctx.call(
                    lambda q=quota, c=client: c.get_service_quota(
                        ServiceCode="ec2", QuotaCode=q.code
                    ),
                    aws_retryable,
                    what,
                )
            except Exception as err:
                if _no_such_quota(err):
                    log.notes.append(f"{what}: not known in this region, skipped")
                else:
                    log.fail(what, err)
                continue
            finally:
                ctx.progress.page(what)
            where = getattr(client.get_service_quota, "where", what)
            read = check_shape(QuotaAnswer, answer, where)
            limits[(region, quota.code)] = read.Quota.Value
    return limits


def refresh_aws_quotas(
    regions: Sequence[str],
    catalog: Sequence[Offering],
    ctx: RefreshContext,
    clients: Clients,
    most: bool = True,
) -> tuple[list[Quota], RunLog]:
    """Accelerator quotas for `regions`, converted with `catalog`'s EC2 types; and the log."""
    log = RunLog()
    limits = fetch_limits(regions, ctx, clients, log)
    quotas = accelerator_quotas(limits, catalog, most)
    without = sorted({r for r, _ in limits} - {q.region for q in quotas})
    if without:
        log.notes.append(f"no EC2 accelerator types in the catalog for: {', '.join(without)}")
    return quotas, log
