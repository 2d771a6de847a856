"""How money is said in every output: units on every figure, unit costs, baselines, idle capacity.

The plan table, the reports, the diff and the FOCUS tags all phrase these the same way.
"""

from __future__ import annotations

from planner.figures import pct, usd
from planner.plans import Baseline, Plan, WorkloadResult
from planner.plans.economics import HOURS_PER_MONTH, UnitCosts

_EPS = 0.005


def rate(value: float | None) -> str:
    """A small unit price with 3 significant figures: `$0.142`, `$0.0137`, `$6.88`, `$1,234`."""
    if value is None:
        return "-"
    if value >= 100:
        return usd(value, 0)
    if value >= 1 or value == 0:
        return usd(value, 2)
    return f"${value:.3g}"


def per_million(value: float | None) -> str:
    """`$0.142/M tokens`, or a dash."""
    return "-" if value is None else f"{rate(value)}/M tokens"


def per_thousand(value: float | None) -> str:
    """`$0.142/1k requests`, or a dash."""
    return "-" if value is None else f"{rate(value)}/1k requests"


def month_convention() -> str:
    """The hours-per-month convention, said once per output."""
    return f"a month is {HOURS_PER_MONTH:g} h (8,760 h a year / 12)"


def money(cost_per_hour: float, job_cost: float, decimals: int = 2) -> str:
    """Serving $/h and job dollars in their own units: `$6.13/h + $562.63 in jobs`."""
    parts = []
    if round(cost_per_hour, decimals) or not round(job_cost, decimals):
        parts.append(f"{usd(cost_per_hour, decimals)}/h")
    if round(job_cost, decimals):
        parts.append(f"{usd(job_cost, decimals)} in jobs")
    return " + ".join(parts)


def objective_amount(plan: Plan, value: float) -> str:
    """A figure in the objective's units: `$81.27/h` (serving only), `$562.63` (jobs only),
    `562.63 (serving $/h + job $)` when the plan has both."""
    serving = any(a.kind == "serving" for a in plan.allocations)
    jobs = any(a.kind != "serving" for a in plan.allocations)
    if serving and jobs:
        return f"{value:,.2f} (serving $/h + job $)"
    return f"{usd(value)}/h" if serving else usd(value)


def alternative_cost(w: WorkloadResult, cost: float) -> str:
    """An alternative's cost in its workload's unit: `$40.26/h` serving, `$40.26 per job`."""
    return f"{usd(cost)}/h" if w.kind == "serving" else f"{usd(cost)} per job"


def input_output(u) -> str:
    """`$0.0412/M in, $0.519/M out` (the cost split by prefill and decode time), or ''."""
    if u.usd_per_million_input_tokens is None or u.usd_per_million_output_tokens is None:
        return ""
    return (
        f"{rate(u.usd_per_million_input_tokens)}/M in, "
        f"{rate(u.usd_per_million_output_tokens)}/M out"
    )


def unit_costs_line(u: UnitCosts) -> str:
    """`$0.142/M tokens ($0.0412/M in, $0.519/M out), $0.142/1k requests` (serving, batch),
    `$6.88/accelerator-hour` (training)."""
    parts = []
    if u.usd_per_million_tokens is not None:
        split = input_output(u)
        parts.append(per_million(u.usd_per_million_tokens) + (f" ({split})" if split else ""))
    if u.usd_per_thousand_requests is not None:
        parts.append(per_thousand(u.usd_per_thousand_requests))
    if u.usd_per_accelerator_hour is not None:
        parts.append(f"{rate(u.usd_per_accelerator_hour)}/accelerator-hour")
    return ", ".join(parts) or "-"


def baseline_verdict(plan: Plan, b: Baseline) -> str:
    """What the baseline means for this plan, in the costs' own units.

    Cheaper than the plan because it breaks a rule: 'breaks X, which costs Y' (Y is what
    keeping the rule costs). Dearer: what the plan saves. Equal: says so."""
    hourly = b.cost_per_hour - plan.cost_per_hour
    jobs = b.job_cost - plan.job_cost
    rules = [*b.breaks, *(f"quota {q}" for q in b.over_quota)]
    if b.savings > _EPS:
        share = f" ({pct(b.savings / b.objective_value)})" if b.objective_value else ""
        text = f"this plan saves {money(max(hourly, 0.0), max(jobs, 0.0))}{share}"
        return text + (f"; it also breaks {'; '.join(rules)}" if rules else "")
    if b.savings < -_EPS:
        cost = money(max(-hourly, 0.0), max(-jobs, 0.0))
        if rules:
            return f"breaks {'; '.join(rules)}, which costs {cost} to keep"
        if -b.savings <= plan.gap * plan.objective_value + _EPS:
            return f"{cost} cheaper than this plan (within the solver's gap of {pct(plan.gap, 2)})"
        return (
            f"{cost} cheaper than this plan only on paper: it plans each workload alone, so "
            "capacity the workloads share (owned pools, reservations, quotas) counts once for each"
        )
    return "costs the same as this plan" + (f"; it breaks {'; '.join(rules)}" if rules else "")


def baseline_line(plan: Plan, b: Baseline) -> str:
    """`Baseline cheapest-single-choice: $69.40/h; breaks ..., which costs $11.87/h to keep`."""
    return f"Baseline {b.name}: {money(b.cost_per_hour, b.job_cost)}; {baseline_verdict(plan, b)}"


def autoscaling_line(plan: Plan) -> str:
    """The dynamic against static (peak-sized) serving cost, per month; '' without a schedule."""
    e = plan.economics
    if e.autoscaling_saving_per_month is None or e.dynamic_cost_per_month is None:
        return ""
    static = e.dynamic_cost_per_month + e.autoscaling_saving_per_month
    return (
        f"Autoscaling on the hourly schedule: {usd(e.dynamic_cost_per_month, 0)}/month against "
        f"{usd(static, 0)}/month peak-sized, saving {usd(e.autoscaling_saving_per_month, 0)}/month"
    )


def price_basis_line(plan: Plan) -> str:
    """How much of the hourly cost rests on derived or estimated prices, and the cost by kind."""
    from planner.plans.prices import price_basis, soft_sentence

    basis = price_basis(plan)
    if basis.cost_per_hour <= 0:
        return ""
    kinds = ", ".join(f"{kind} {usd(v)}/h" for kind, v in basis.by_kind.items())
    return f"{soft_sentence(basis)} ({kinds})"


def provenance_lines(plan: Plan) -> list[str]:
    """Where the prices come from: catalog files, row sources with their dates, currency."""
    p = plan.provenance
    lines = [f"Prices in {p.currency}; {month_convention()}."]
    for c in p.catalogs:
        lines.append(f"Catalog {c.path} ({c.rows} offerings, sha256 {c.sha256[:12]})")
    if getattr(plan, "catalog_sha256", None):
        lines.append(f"Catalog rows the allocations use: sha256 {plan.catalog_sha256[:12]}")
    for source, dates in price_sources(plan).items():
        when = "undated" if dates == ["undated"] else f"as of {', '.join(dates)}"
        lines.append(f"Prices from {source}, {when}")
    if price_basis_line(plan):
        lines.append(price_basis_line(plan))
    lines += [f"Warning: {w}" for w in getattr(plan, "warnings", ())]
    return lines


def price_sources(plan: Plan) -> dict[str, list[str]]:
    """Each price source the allocations use, with the dates of its prices (sorted)."""
    found: dict[str, set[str]] = {}
    for a in plan.allocations:
        found.setdefault(a.source or "unknown source", set()).add(a.as_of or "undated")
    return {s: sorted(d) for s, d in sorted(found.items())}


def price_dates(plan: Plan) -> str:
    """`2026-11-25`, or `2026-11-01 to 2026-11-25`, or `undated`."""
    dates = sorted({a.as_of for a in plan.allocations if a.as_of})
    if not dates:
        return "undated"
    return dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
