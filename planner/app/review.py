"""Use cases on a plan once made: `verify` (every independent check, in one call), `report`
(the plan with its quota usage), `diff` (what changed between two plans), `check` (a CI gate)
and `export` (FinOps FOCUS rows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planner.app.arguments import checked
from planner.app.inputs import (
    PathLike,
    load_catalog,
    load_profiles,
    load_spec,
    perf_settings,
    read_plan,
)
from planner.errors import ArgumentError, PlannerError

if TYPE_CHECKING:
    from planner.catalog import Catalog
    from planner.perf import PerfSettings, Profiles
    from planner.plans import Plan
    from planner.report import PlanDiff
    from planner.report.check import CheckLimits
    from planner.report.focus import Accounts
    from planner.report.quota import QuotaUse
    from planner.spec import Spec


@dataclass(frozen=True)
class Verification:
    """What `verify` found: every way the plan breaks its spec (empty: it keeps them all)."""

    plan_id: str
    violations: tuple[str, ...]
    plan_name: str = "the plan"
    """The plan's file name (or "the plan", given as a Plan)."""
    spec_name: str = "the spec"

    @property
    def ok(self) -> bool:
        return not self.violations


@checked()
def verify(
    plan: Plan | PathLike,
    spec: Spec | PathLike,
    catalog: Catalog | Sequence[PathLike] | PathLike | None = None,
    *,
    profiles: Profiles | PathLike | None = None,
    fit: PerfSettings | PathLike | None = None,
    quotas: Sequence[PathLike] | PathLike | None = None,
    rates: Sequence[PathLike] | PathLike | None = None,
) -> Verification:
    """Re-check `plan` against `spec` with code independent of the solver: its figures follow
    from its allocations, it was made for this spec, and every constraint of the spec holds
    on the catalog (with the profiles, fit, quota and rate files the plan was made with)."""
    from planner.plans import Plan
    from planner.plans.consistency import inconsistencies
    from planner.plans.io import check_pair, read_plan_file
    from planner.spec import Spec
    from planner.verify import verify as independent_checks

    where = "the plan" if isinstance(plan, Plan) else str(plan)
    spec_name = "the spec" if isinstance(spec, Spec) else str(spec)
    if not isinstance(plan, Plan):
        plan = read_plan_file(plan)  # read, not rejected: its faults are violations here
    spec = load_spec(spec, quotas, rates)
    measured = load_profiles(profiles, spec)
    violations = [str(v) for v in inconsistencies(plan, spec.user_llms())]
    try:
        check_pair(plan, spec, where)
    except PlannerError as err:
        violations.append(str(err).splitlines()[-1].strip().removeprefix("- "))
    found = independent_checks(
        plan, spec, load_catalog(catalog), profiles=measured, settings=perf_settings(fit)
    )
    return Verification(plan.plan_id, (*violations, *(str(v) for v in found)), where, spec_name)


@dataclass(frozen=True)
class Report:
    """A plan as `planner report` shows it: the plan and, given its spec, its quota usage."""

    plan: Plan
    quota_usage: tuple[QuotaUse, ...] | None

    def data(self) -> dict[str, Any]:
        from dataclasses import asdict, is_dataclass

        uses = self.quota_usage or ()
        return {
            "plan": self.plan.model_dump(mode="json"),
            "quota_usage": [asdict(u) if is_dataclass(u) else u for u in uses],  # type: ignore[arg-type]
        }


@checked()
def report(plan: Plan | PathLike, spec: Spec | PathLike | None = None) -> Report:
    """The plan (checked to belong to `spec`, when given) and the usage of the spec's quotas."""
    from planner.report.quota import quota_usage

    loaded = load_spec(spec) if spec is not None else None
    found = read_plan(plan, loaded)
    uses = quota_usage(found, loaded.constraints.quotas) if loaded is not None else None
    return Report(found, tuple(uses) if uses is not None else None)


@dataclass(frozen=True)
class Diff:
    """What changed between two plans; `moved` (given `min_change`) the totals that moved by
    more than it, in words; `breaches` (given `fail_on_increase`) the increases past it."""

    result: PlanDiff
    min_change: float | None = None
    moved: tuple[str, ...] | None = None
    fail_on_increase: float | None = None
    breaches: tuple[str, ...] = ()


def _percent(value: float | None, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e12:
        raise ArgumentError(f"{name} must be a percentage of 0 or more, not {value!r}")
    return float(value)


def _moved(result: PlanDiff, percent: float) -> tuple[str, ...]:
    """Serving $/h and job $ changes (either way) beyond `percent`, in words."""
    from planner.figures import number

    out = []
    for name in ("serving $/h", "jobs $"):
        t = result.total(name)
        if abs(t.new - t.old) < 1e-9:
            continue
        change = t.relative
        if change is None or abs(change) * 100 > percent + 1e-9:
            shown = "from zero" if change is None else f"{change * 100:+.2f}%"
            out.append(f"{name} {shown} ({number(t.old)} -> {number(t.new)})")
    return tuple(out)


@checked()
def diff(
    old: Plan | PathLike,
    new: Plan | PathLike,
    *,
    min_change: float | None = None,
    fail_on_increase: float | None = None,
) -> Diff:
    """What changed from plan `old` to plan `new`: allocations, cost per workload and in total,
    SLOs; with the totals that moved by more than `min_change` percent and the increases past
    `fail_on_increase` percent."""
    from planner.report import diff_plans
    from planner.report.diff import increase_breaches

    min_change = _percent(min_change, "min_change")
    fail_on_increase = _percent(fail_on_increase, "fail_on_increase")
    result = diff_plans(read_plan(old), read_plan(new))
    moved = None if min_change is None else _moved(result, min_change)
    breaches = ()
    if fail_on_increase is not None:
        breaches = tuple(increase_breaches(result, fail_on_increase))
    return Diff(result, min_change, moved, fail_on_increase, breaches)


@dataclass(frozen=True)
class Check:
    """A CI gate's verdict on a plan: ok, and one line that says why."""

    plan_id: str
    ok: bool
    line: str
    limits: CheckLimits


@checked()
def check(
    plan: Plan | PathLike,
    *,
    max_cost_per_hour: float | None = None,
    max_cost_per_month: float | None = None,
    max_job_cost: float | None = None,
    require_slo: bool = False,
    max_gap: float | None = None,
) -> Check:
    """Whether the plan keeps the limits (re-derived from its allocations, never its totals)."""
    from planner.report import CheckLimits, check_plan

    limits = CheckLimits(max_cost_per_hour, max_cost_per_month, max_job_cost, require_slo, max_gap)
    if not limits.any():
        raise ArgumentError(
            "give at least one limit: max_cost_per_hour, max_cost_per_month, max_job_cost, "
            "require_slo or max_gap"
        )
    for name in ("max_cost_per_hour", "max_cost_per_month", "max_job_cost", "max_gap"):
        value = getattr(limits, name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e12
        ):
            raise ArgumentError(f"{name} must be a number of 0 or more, not {value!r}")
    if max_gap is not None and not max_gap < 1:
        raise ArgumentError("max_gap is a fraction in [0, 1), e.g. 0.01 for 1%")
    found = read_plan(plan)
    result = check_plan(found, limits)
    return Check(found.plan_id, result.ok, result.line, limits)


@dataclass(frozen=True)
class Export:
    """Projected costs as FinOps FOCUS rows (one per allocation and commitment) for one period."""

    rows: tuple[dict[str, Any], ...]

    @property
    def summary(self) -> str:
        if not self.rows:
            return "an empty FOCUS file"
        total = sum(r["BilledCost"] for r in self.rows)
        first = self.rows[0]
        return (
            f"{len(self.rows)} FOCUS row(s), ${total:,.2f} billed from "
            f"{first['ChargePeriodStart']} to {first['ChargePeriodEnd']}"
        )


@checked()
def export(
    plan: Plan | PathLike,
    catalog: Catalog | Sequence[PathLike] | PathLike | None = None,
    *,
    period: str = "month",
    start: dt.datetime | str | None = None,
    accounts: Accounts | None = None,
) -> Export:
    """The plan's projected costs as FOCUS rows for one charge `period` (hour, day or month)
    from `start` (ISO 8601 UTC; default 00:00 UTC on the 1st of next month), list prices from
    `catalog`, charged to `accounts`."""
    from planner.report import focus_rows
    from planner.report.focus import (
        Accounts,
        Period,
        default_period_start,
        list_prices,
        parse_start,
    )

    if period not in {p.value for p in Period}:
        raise ArgumentError(f"period must be one of {', '.join(p.value for p in Period)}")
    accounts = accounts or Accounts()
    if not accounts.billing_account_id.strip():
        raise ArgumentError("the billing account id must not be empty (FOCUS requires a value)")
    found = read_plan(plan)
    if isinstance(start, str):
        begin = parse_start(start)
    elif start is None:
        begin = default_period_start()
    else:
        begin = start
    prices = list_prices(load_catalog(catalog))
    return Export(tuple(focus_rows(found, begin, Period(period), prices, accounts)))
