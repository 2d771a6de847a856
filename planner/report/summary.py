"""The facts a reader wants first, as plain rows: totals, baselines, workloads, allocations.

The HTML and Markdown reports both render these, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.figures import ms, number, pct, usd
from planner.plans import Allocation, Plan, WorkloadResult


@dataclass(frozen=True)
class Headline:
    """One labelled figure of the summary."""

    label: str
    value: str
    note: str = ""


def headlines(plan: Plan) -> list[Headline]:
    """Totals, status and quality of the solution, formatted."""
    return [
        Headline("Serving", f"{usd(plan.cost_per_hour)}/h", f"{usd(plan.cost_per_month, 0)}/month"),
        Headline("Jobs", usd(plan.job_cost), "batch and training, in total"),
        Headline("Peak", f"{usd(plan.peak_cost_per_hour)}/h", "every instance running at once"),
        Headline(
            "Solution",
            plan.status,
            f"gap {pct(plan.gap, 2)} to the lower bound {number(plan.lower_bound)}",
        ),
        Headline("Solver", plan.solver, f"{plan.solve_seconds:.2f} s"),
    ] + (
        [Headline("Completion", f"{plan.makespan_hours:,.2f} h", "when the last job finishes")]
        if plan.makespan_hours is not None
        else []
    )


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

    def as_cells(self) -> dict[str, str]:
        """The row as display strings."""
        return {
            "baseline": self.name,
            "cost": number(self.objective_value),
            "plan saves": number(self.savings),
            "saves %": pct(self.savings_pct),
            "breaks quotas": self.over_quota or "-",
            "ignores": self.breaks or "-",
        }


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
        )
        for b in plan.baselines
    ]


def worst(values: list[float | None]) -> float | None:
    """The largest value present, or None."""
    present = [v for v in values if v is not None]
    return max(present) if present else None


def allocations_of(plan: Plan, workload: str) -> list[Allocation]:
    """The allocations of one workload."""
    return [a for a in plan.allocations if a.workload == workload]


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
    return {
        "workload": w.name,
        "kind": w.kind,
        "model": w.model or "-",
        "$/h": usd(w.cost_per_hour) if w.kind == "serving" else "-",
        "job $": usd(w.job_cost) if w.kind != "serving" else "-",
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
        "hours": number(a.hours),
        "job $": usd(a.job_cost),
    }
