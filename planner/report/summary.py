"""The facts a reader wants first, as plain rows: totals, baselines, workloads, allocations.

The HTML and Markdown reports both render these, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.figures import ms, number, pct, usd
from planner.plans import Allocation, Plan, WorkloadResult, annotations_of
from planner.report.wording import (
    baseline_verdict,
    input_output,
    money,
    per_thousand,
    rate,
    unit_costs_line,
)


@dataclass(frozen=True)
class Headline:
    """One labelled figure of the summary."""

    label: str
    value: str
    note: str = ""


def _has(plan: Plan, serving: bool) -> bool:
    return any((a.kind == "serving") == serving for a in plan.allocations) or any(
        (w.kind == "serving") == serving for w in plan.workloads
    )


def slo_status(plan: Plan) -> str:
    """`all 3 workloads meet their SLO`, or which ones miss it."""
    missed = [w.name for w in plan.workloads if not w.meets_slo]
    if not missed:
        return f"all {len(plan.workloads)} workload(s) meet their SLO"
    return f"{len(missed)} of {len(plan.workloads)} miss their SLO: {', '.join(missed)}"


def best_saving(plan: Plan) -> Headline | None:
    """The largest saving against a baseline, as a headline (None without a dearer baseline)."""
    dearer = [b for b in annotations_of(plan).baselines if b.savings > 0.005]
    if not dearer:
        return None
    b = max(dearer, key=lambda b: b.savings)
    hourly = max(b.cost_per_hour - plan.cost_per_hour, 0.0)
    monthly = f"{usd(hourly * 730, 0)}/month" if hourly > 0.005 else ""
    jobs = max(b.job_cost - plan.job_cost, 0.0)
    value = " + ".join(x for x in (monthly, usd(jobs) + " in jobs" if jobs > 0.005 else "") if x)
    return Headline(
        "Saving",
        value or money(hourly, jobs),
        f"against {b.name} ({pct(b.savings / b.objective_value) if b.objective_value else '-'})",
    )


def headlines(plan: Plan) -> list[Headline]:
    """The overview a reviewer reads first: monthly cost, jobs, unit costs, saving, SLOs,
    solution quality. A plan without serving gets no serving card (and one without jobs no
    jobs card)."""
    e = plan.economics
    out = []
    if _has(plan, serving=True):
        note = f"{usd(plan.cost_per_hour)}/h x 730 h"
        if e.dynamic_cost_per_month is not None:
            note += f"; {usd(e.dynamic_cost_per_month, 0)}/month autoscaled"
        out.append(Headline("Serving per month", f"{usd(plan.cost_per_month, 0)}", note))
    if _has(plan, serving=False):
        out.append(Headline("Jobs", usd(plan.job_cost), "batch and training, in total"))
    if e.job_cost_per_month:
        recurring = [u for u in e.workloads if u.runs_per_month is not None]
        runs = ", ".join(f"{u.name} {u.runs_per_month:.2f} runs" for u in recurring)
        out.append(Headline("Recurring jobs per month", usd(e.job_cost_per_month, 0),
                            f"every run in an average month: {runs}"))  # fmt: skip
        out.append(Headline("Total per month", usd(e.total_cost_per_month, 0),
                            "serving + recurring jobs"))  # fmt: skip
    if plan.commitments:
        paid = sum(c.committed_per_hour for c in plan.commitments)
        covered = sum(c.covered_per_hour for c in plan.commitments)
        note = f"cover {usd(covered)}/h of list usage; paid whatever runs"
        out.append(Headline("Commitments", f"{usd(paid)}/h", note))
    for label, unit, basis in (
        ("Serving $/M tokens", e.serving, "input + output tokens at the peak rate"),
        ("Batch $/M tokens", e.batch, ""),
    ):
        if unit is not None and unit.usd_per_million_tokens is not None:
            parts = (input_output(unit), per_thousand(unit.usd_per_thousand_requests), basis)
            note = "; ".join(p for p in parts if p)
            out.append(Headline(label, rate(unit.usd_per_million_tokens), note))
    saving = best_saving(plan)
    if saving is not None:
        out.append(saving)
    out.append(
        Headline(
            "SLO",
            "met" if all(w.meets_slo for w in plan.workloads) else "MISSED",
            slo_status(plan),
        )
    )
    out.append(
        Headline(
            "Solution",
            plan.status,
            f"gap {pct(plan.gap, 2)}; {plan.solver}, {plan.solve_seconds:.1f} s",
        )
    )
    if plan.makespan_hours is not None:
        out.append(Headline("Completion", hours(plan.makespan_hours), "when the last job finishes"))
    if e.idle_cost_per_hour > 0.005:
        out.append(
            Headline(
                "Standby",
                f"{usd(e.idle_cost_per_hour)}/h",
                f"{usd(e.idle_cost_per_hour * 730, 0)}/month of capacity kept by spread rules",
            )
        )
    return out


def hours(value: float | None) -> str:
    """`8.46 h`, `120 h`; None as a dash."""
    if value is None:
        return "-"
    return f"{value:,.0f} h" if value >= 100 else f"{value:,.2f} h"


@dataclass(frozen=True)
class BaselineRow:
    """What a simpler planner would have spent, and what this plan saves against it."""

    name: str
    description: str
    objective_value: float
    savings: float
    savings_pct: float | None
    over_quota: str
    breaks: str

    cost: str = ""
    verdict: str = ""

    def as_cells(self) -> dict[str, str]:
        """The row as display strings."""
        return {"baseline": self.name, "its cost": self.cost, "against this plan": self.verdict}


def baseline_rows(plan: Plan) -> list[BaselineRow]:
    """One row per baseline; savings are in the objective's units (serving $/h plus job $)."""
    return [
        BaselineRow(
            name=b.name,
            description=b.description,
            objective_value=b.objective_value,
            savings=b.savings,
            savings_pct=b.savings / b.objective_value if b.objective_value else None,
            over_quota="; ".join(b.over_quota),
            breaks="; ".join(b.breaks),
            cost=money(b.cost_per_hour, b.job_cost),
            verdict=baseline_verdict(plan, b),
        )
        for b in annotations_of(plan).baselines
    ]


def worst(values: list[float | None]) -> float | None:
    """The largest value present, or None."""
    present = [v for v in values if v is not None]
    return max(present) if present else None


def allocations_of(plan: Plan, workload: str) -> list[Allocation]:
    """The allocations of one workload."""
    return plan.allocations_of(workload)


def workload_cells(plan: Plan, w: WorkloadResult) -> dict[str, str]:
    """One workload's summary as display strings."""
    mine = allocations_of(plan, w.name)
    routed = [a for a in mine if a.routed_rps]
    slo = []
    if w.tpot_ms is not None:
        slo.append(f"TPOT {ms(worst([a.tpot_ms for a in routed]))} of {ms(w.tpot_ms)}")
    if w.ttft_p95_ms is not None:
        slo.append(
            f"TTFT {ms(worst([a.ttft_ms for a in routed]))} (p95 target {ms(w.ttft_p95_ms)})"
        )
    units = plan.unit_costs_of(w.name)
    return {
        "workload": w.name,
        "kind": w.kind,
        "model": w.model or "-",
        "$/h": usd(w.cost_per_hour) if w.kind == "serving" else "-",
        "$/month": usd(w.cost_per_hour * 730, 0)
        if w.kind == "serving"
        else (usd(units.cost_per_month, 0) if units and units.cost_per_month else "-"),
        "job $": usd(w.job_cost) if w.kind != "serving" else "-",
        "unit costs": unit_costs_line(units) if units else "-",
        "replicas": str(w.replicas),
        "regions": ", ".join(w.regions) or "-",
        "SLO": "met" if w.meets_slo else "MISSED",
        "predicted": "; ".join(slo) or w.slo_note or "-",
        "binding": ", ".join(w.binding) or "-",
    }


ALLOCATION_HEADERS = (
    "provider", "region", "service", "instance", "accelerators", "pricing", "count", "tp",
    "$/h", "routed rps", "util.", "TTFT", "TPOT", "hours", "job $",
)  # fmt: skip
"""Every allocation column (Markdown and JSON-like uses)."""

SERVING_HEADERS = ("where", "instance", "pricing", "count x TP", "$/h", "$/M tokens",
                   "$/M in", "$/M out", "routed rps", "util.", "TTFT", "TPOT")  # fmt: skip
JOB_HEADERS = ("where", "instance", "pricing", "count x TP", "$/h", "hours", "job $",
               "$/M tokens", "$/M in", "$/M out")  # fmt: skip
"""The HTML report's columns for one workload's allocations, by kind (each row's `note`, such
as the rule that keeps a standby, is shown under the table)."""


def allocation_cells(a: Allocation) -> dict[str, str]:
    """One allocation as display strings (keys: ALLOCATION_HEADERS)."""
    return {
        "provider": a.provider,
        "region": a.region + (f" ({a.zone})" if a.zone else ""),
        "service": a.service,
        "instance": a.instance_type,
        "accelerators": f"{a.accelerators_per_instance}x {a.accelerator}",
        "pricing": a.pricing.replace("_", "-"),
        "count": str(a.count),
        "tp": str(a.tp),
        "$/h": usd(a.cost_per_hour),
        "routed rps": number(a.routed_rps),
        "util.": pct(a.utilisation, 0),
        "TTFT": ms(a.ttft_ms),
        "TPOT": ms(a.tpot_ms),
        "hours": hours(a.hours),
        "job $": usd(a.job_cost),
    }


def report_allocation_cells(plan: Plan, index: int) -> dict[str, str]:
    """One allocation as the report shows it (keys: SERVING_HEADERS or JOB_HEADERS)."""
    a = plan.allocations[index]
    unit = plan.economics.allocations[index]
    cells = allocation_cells(a)
    note = unit.idle_rule
    if a.capacity_pool:
        note = "; ".join(x for x in (note, f"owned capacity {a.capacity_pool}") if x)
    if a.shared_group:
        note = "; ".join(x for x in (note, f"shared group {a.shared_group}") if x)
    if a.calibration:
        note = "; ".join(x for x in (note, a.calibration) if x)
    return {
        **cells,
        "where": f"{a.provider} {cells['region']} ({a.service})",
        "instance": f"{a.instance_type} ({a.accelerators_per_instance}x {a.accelerator})",
        "count x TP": f"{a.count} x TP{a.tp}",
        "$/M tokens": "standby" if unit.idle_rule else rate(unit.usd_per_million_tokens),
        "$/M in": "-" if unit.idle_rule else rate(unit.usd_per_million_input_tokens),
        "$/M out": "-" if unit.idle_rule else rate(unit.usd_per_million_output_tokens),
        "note": note or "-",
    }
