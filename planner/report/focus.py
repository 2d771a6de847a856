"""Projected costs in the FinOps Foundation's FOCUS format: one Usage row per allocation.

Columns follow FOCUS 1.0/1.1 names and allowed values (ChargeCategory "Usage", ChargeFrequency
"Usage-Based", PricingCategory "Standard" for on-demand and "Dynamic" for spot, ServiceCategory
"Compute" or "AI and Machine Learning"; a commitment's fee is a recurring "Purchase" row, and
usage it covers in full is "Committed"); custom columns carry the `x_` prefix FOCUS reserves
for them. Serving allocations bill cost_per_hour for every hour of the charge period; batch and
training allocations bill the share of their job that falls in the period, the job starting at
the period's start; a recurring batch job (a schedule) bills every run that overlaps the period
(a daily job: 30 or 31 runs in a month). Every cost is the plan's price net of what
commitments cover (no credits), so BilledCost, EffectiveCost and ContractedCost are equal;
ListCost uses the on-demand list price when a catalog supplies one.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from planner import clock
from planner.errors import InputError
from planner.markup import csv_text
from planner.plans import Allocation, Plan
from planner.plans.model import CommitmentUse
from planner.report.cloud_names import (
    is_managed_ml,
    provider_name,
    region_name,
    resource_type,
    service_name,
)
from planner.spec.recurrence import parse_schedule

FOCUS_COLUMNS = (
    "BillingAccountId", "BillingAccountName", "SubAccountId", "SubAccountName",
    "ProviderName", "PublisherName", "InvoiceIssuerName",
    "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd",
    "ChargePeriodStart", "ChargePeriodEnd",
    "ChargeCategory", "ChargeClass", "ChargeFrequency", "ChargeDescription",
    "PricingCategory", "PricingQuantity", "PricingUnit",
    "ListUnitPrice", "ListCost", "ContractedUnitPrice", "ContractedCost",
    "EffectiveCost", "BilledCost",
    "ConsumedQuantity", "ConsumedUnit",
    "RegionId", "RegionName", "AvailabilityZone",
    "ServiceName", "ServiceCategory",
    "ResourceId", "ResourceName", "ResourceType",
    "SkuId", "SkuPriceId", "Tags",
    "x_PlanId", "x_Workload", "x_WorkloadKind", "x_Accelerator", "x_AcceleratorCount",
    "x_InstanceCount", "x_UsdPerMillionTokens", "x_UsdPerMillionInputTokens",
    "x_UsdPerMillionOutputTokens", "x_UsdPerThousandRequests", "x_StandbyRule",
    "x_PriceSource", "x_PriceAsOf", "x_PriceKind",
)  # fmt: skip


@dataclass(frozen=True)
class Accounts:
    """The billing account and sub-account the projected rows are charged to.

    FOCUS requires a non-null BillingAccountId; a projection has no invoice yet, so the default
    names the projection itself. Set the real ones (AWS payer account, GCP billing account,
    Azure billing account; AWS member account, GCP project, Azure subscription as the
    sub-account) with `planner export --billing-account-id ... --sub-account-id ...` or the
    PLANNER_BILLING_ACCOUNT_ID / _NAME and PLANNER_SUB_ACCOUNT_ID / _NAME variables.
    """

    billing_account_id: str = "planner-projection"
    billing_account_name: str = "Projected by llm-placement-planner"
    sub_account_id: str | None = None
    sub_account_name: str | None = None


PRICING_CATEGORY = {"on_demand": "Standard", "spot": "Dynamic"}
OfferingKey = tuple[str, str, str, str, str]


class Period(enum.StrEnum):
    """How long one charge period lasts."""

    hour = "hour"
    day = "day"
    month = "month"


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return clock.now()


def _first_of_next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def default_period_start(clock: Callable[[], datetime] | None = None) -> datetime:
    """00:00 UTC on the first day of next month, by `clock` (read when called, never at import)."""
    return _first_of_next_month((clock or utc_now)().astimezone(UTC))


def parse_start(text: str) -> datetime:
    """`2027-01-01`, `2027-01-01T06:00`, `...Z` or `...+00:00` as a UTC datetime (naive = UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InputError(
            f"--start {text!r} is not a date or time; use ISO 8601 such as 2027-01-01 or "
            "2027-01-01T00:00:00Z"
        ) from None


def period_end(start: datetime, period: Period) -> datetime:
    """The exclusive end of the charge period that begins at `start`."""
    try:
        if period is Period.hour:
            return start + timedelta(hours=1)
        if period is Period.day:
            return start + timedelta(days=1)
    except OverflowError:
        raise InputError(
            f"--start {_stamp(start)}: the {period.value} would end after the year 9999, the "
            "last a date can hold"
        ) from None
    if start.month == 12 and start.year == 9999:
        raise InputError(
            f"--start {_stamp(start)}: the month would end after the year 9999, the last a date "
            "can hold"
        )
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    try:
        return start.replace(year=year, month=month)
    except ValueError:
        raise InputError(
            f"a month from {start:%Y-%m-%d} has no such day; start a monthly period on day 1-28"
        ) from None


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_prices(catalog) -> dict[OfferingKey, float]:
    """On-demand list prices by offering key (provider, region, zone, service, instance type)."""
    return {o.key: o.price_on_demand for o in catalog}


def _list_price(a: Allocation, prices: Mapping[OfferingKey, float]) -> float:
    for zone in (a.zone, ""):
        found = prices.get((a.provider, a.region, zone, a.service, a.instance_type))
        if found is not None:
            return found
    return a.price_per_hour


def _hours_in_period(
    a: Allocation, start: datetime, end: datetime, schedule: str | None = None
) -> tuple[float, int]:
    """Hours the allocation's instances run within [start, end), and the runs that do: a
    one-off job starts with the period; a recurring one (its workload's schedule) at each of
    its start times, every run that overlaps the period counted for its hours inside it."""
    period_hours = (end - start).total_seconds() / 3600
    if a.kind == "serving":
        return period_hours, 0
    length = a.hours or 0.0
    if schedule is None or a.kind != "batch":
        return min(length, period_hours), 1
    hours, runs = 0.0, 0
    for begin in parse_schedule(schedule).starts(start - timedelta(hours=length), end):
        inside = (min(begin + timedelta(hours=length), end) - max(begin, start)).total_seconds()
        if inside > 0:
            hours += inside / 3600
            runs += 1
    return hours, runs


def _billed(a: Allocation, hours: float) -> float:
    if a.kind == "serving":
        return a.cost_per_hour * hours
    if not a.hours:
        return 0.0
    job = a.job_cost if a.job_cost is not None else a.cost_per_hour * a.hours
    return job * hours / a.hours


def focus_row(
    plan: Plan,
    a: Allocation,
    start: datetime,
    end: datetime,
    prices: Mapping[OfferingKey, float],
    accounts: Accounts = Accounts(),
    unit: Any = None,
) -> dict[str, Any]:
    """The FOCUS row of one allocation for the charge period [start, end); `unit` is the
    allocation's AllocationEconomics (unit costs and standby rule) when known."""
    j = plan.workload_positions.get(a.workload)  # not a scan of every workload per row
    schedule = plan.workloads[j].schedule if j is not None else None
    hours, runs = _hours_in_period(a, start, end, schedule)
    quantity = a.count * hours
    billed = _billed(a, hours)
    unit_list = _list_price(a, prices)
    billing_start = datetime(start.year, start.month, 1, tzinfo=UTC)
    resource = ":".join(
        ["planner", plan.plan_id, a.workload, a.provider, a.region, a.zone, a.service,
         a.instance_type, a.pricing, f"tp{a.tp}"]
    )  # fmt: skip
    pricing = a.pricing.replace("_", "-")
    provider = provider_name(a.provider)
    per_million = unit.usd_per_million_tokens if unit is not None else None
    per_input = unit.usd_per_million_input_tokens if unit is not None else None
    per_output = unit.usd_per_million_output_tokens if unit is not None else None
    per_thousand = unit.usd_per_thousand_requests if unit is not None else None
    standby = unit.idle_rule if unit is not None else ""
    tags = {
        "accelerator": a.accelerator,
        "kind": a.kind,
        "plan_id": plan.plan_id,
        "workload": a.workload,
    }
    if per_million is not None:
        tags["usd_per_million_tokens"] = f"{per_million:.6f}"
    if per_input is not None and per_output is not None:
        tags["usd_per_million_input_tokens"] = f"{per_input:.6f}"
        tags["usd_per_million_output_tokens"] = f"{per_output:.6f}"
    if per_thousand is not None:
        tags["usd_per_1k_requests"] = f"{per_thousand:.6f}"
    if standby:
        tags["standby"] = "true"
    if a.covered_by:
        tags["covered_by"] = ",".join(a.covered_by)
    if schedule is not None and a.kind == "batch":
        tags["schedule"] = schedule
        tags["runs"] = str(runs)
    return {
        "BillingAccountId": accounts.billing_account_id,
        "BillingAccountName": accounts.billing_account_name,
        "SubAccountId": accounts.sub_account_id,
        "SubAccountName": accounts.sub_account_name,
        "ProviderName": provider,
        "PublisherName": provider,
        "InvoiceIssuerName": provider,
        "BillingCurrency": plan.provenance.currency,
        "BillingPeriodStart": _stamp(billing_start),
        "BillingPeriodEnd": _stamp(_first_of_next_month(billing_start)),
        "ChargePeriodStart": _stamp(start),
        "ChargePeriodEnd": _stamp(end),
        "ChargeCategory": "Usage",
        "ChargeClass": None,
        "ChargeFrequency": "Usage-Based",
        "ChargeDescription": (
            f"{a.count} x {a.instance_type} ({a.accelerators_per_instance}x {a.accelerator}) "
            f"{pricing} for {a.kind} workload {a.workload}"
            + (f", {runs} run(s) on schedule {schedule}" if schedule and a.kind == "batch" else "")
            + " (projected)"
        ),
        "PricingCategory": "Committed"
        if a.covered_per_hour and a.cost_per_hour <= 1e-9
        else PRICING_CATEGORY[a.pricing],
        "PricingQuantity": quantity,
        "PricingUnit": "Hours",
        "ListUnitPrice": unit_list,
        "ListCost": unit_list * quantity,
        "ContractedUnitPrice": a.price_per_hour,
        "ContractedCost": billed,
        "EffectiveCost": billed,
        "BilledCost": billed,
        "ConsumedQuantity": quantity,
        "ConsumedUnit": "Hours",
        "RegionId": a.region,
        "RegionName": region_name(a.provider, a.region),
        "AvailabilityZone": a.zone or None,
        "ServiceName": service_name(a.service),
        "ServiceCategory": ("AI and Machine Learning" if is_managed_ml(a.service) else "Compute"),
        "ResourceId": resource,
        "ResourceName": f"{a.workload}-{a.instance_type}",
        "ResourceType": resource_type(a.service, a.kind),
        "SkuId": f"{a.provider}:{a.service}:{a.instance_type}",
        "SkuPriceId": f"{a.provider}:{a.service}:{a.region}:{a.instance_type}:{a.pricing}",
        "Tags": json.dumps(tags, sort_keys=True, separators=(",", ":")),
        "x_PlanId": plan.plan_id,
        "x_Workload": a.workload,
        "x_WorkloadKind": a.kind,
        "x_Accelerator": a.accelerator,
        "x_AcceleratorCount": a.count * a.accelerators_per_instance,
        "x_InstanceCount": a.count,
        "x_UsdPerMillionTokens": per_million,
        "x_UsdPerMillionInputTokens": per_input,
        "x_UsdPerMillionOutputTokens": per_output,
        "x_UsdPerThousandRequests": per_thousand,
        "x_StandbyRule": standby or None,
        "x_PriceSource": a.source or None,
        "x_PriceAsOf": a.as_of or None,
        "x_PriceKind": a.price_kind or None,
    }


def focus_rows(
    plan: Plan,
    start: datetime,
    period: Period = Period.month,
    prices: Mapping[OfferingKey, float] | None = None,
    accounts: Accounts = Accounts(),
) -> list[dict[str, Any]]:
    """One FOCUS row per allocation for the period starting at `start` (UTC)."""
    end = period_end(start, period)
    units = plan.economics.allocations
    rows = [
        focus_row(plan, a, start, end, prices or {}, accounts, units[i])
        for i, a in enumerate(plan.allocations)
    ]
    return rows + [commitment_row(plan, c, start, end, accounts) for c in plan.commitments]


def commitment_row(
    plan: Plan, c: CommitmentUse, start: datetime, end: datetime, accounts: Accounts = Accounts()
) -> dict[str, Any]:
    """The recurring Purchase row of one commitment (Savings Plan, reservation, CUD) for the
    period: its committed_per_hour for every hour, paid whatever runs. The usage it covers is
    not billed again on the usage rows (their BilledCost is net of it)."""
    hours = (end - start).total_seconds() / 3600
    cost = c.committed_per_hour * hours
    provider = provider_name(c.provider)
    billing_start = datetime(start.year, start.month, 1, tzinfo=UTC)
    row: dict[str, Any] = dict.fromkeys(FOCUS_COLUMNS)
    row.update({
        "BillingAccountId": accounts.billing_account_id,
        "BillingAccountName": accounts.billing_account_name,
        "SubAccountId": accounts.sub_account_id,
        "SubAccountName": accounts.sub_account_name,
        "ProviderName": provider, "PublisherName": provider, "InvoiceIssuerName": provider,
        "BillingCurrency": plan.provenance.currency,
        "BillingPeriodStart": _stamp(billing_start),
        "BillingPeriodEnd": _stamp(_first_of_next_month(billing_start)),
        "ChargePeriodStart": _stamp(start), "ChargePeriodEnd": _stamp(end),
        "ChargeCategory": "Purchase", "ChargeFrequency": "Recurring",
        "ChargeDescription": (
            f"{c.product} {c.name} ({c.scope}), {c.term_years}-year term: "
            f"{c.committed_per_hour:g} per hour committed (projected)"
        ),
        "PricingCategory": "Committed", "PricingQuantity": hours, "PricingUnit": "Hours",
        "ListUnitPrice": c.committed_per_hour, "ListCost": cost,
        "ContractedUnitPrice": c.committed_per_hour, "ContractedCost": cost,
        "EffectiveCost": cost, "BilledCost": cost,
        "ServiceName": c.product, "ServiceCategory": "Compute",
        "ResourceId": ":".join(["planner", plan.plan_id, "commitment", c.name]),
        "ResourceName": c.name, "ResourceType": "Commitment",
        "Tags": json.dumps({"commitment": c.name, "plan_id": plan.plan_id,
                            "product": c.product}, sort_keys=True, separators=(",", ":")),
        "x_PlanId": plan.plan_id,
    })  # fmt: skip
    return row


def _text(value: Any) -> str:
    """A cell: nulls empty, decimals in plain notation (FOCUS numeric format: no exponent, no
    thousands separator, no '+'), up to 10 decimals so a small unit price keeps its digits."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.10f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text
    return str(value)


def focus_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV with FOCUS_COLUMNS as the header; nulls are empty cells, and text (a
    workload, region or price source) is never a live spreadsheet formula (`csv_text`)."""
    return csv_text(
        FOCUS_COLUMNS,
        (
            [row[c] if isinstance(row[c], str) else _text(row[c]) for c in FOCUS_COLUMNS]
            for row in rows
        ),
    )
