"""The CI gate: does a plan stay within a budget, meet its SLOs, and come close to optimal?"""

from __future__ import annotations

from dataclasses import dataclass

from planner.figures import pct, usd
from planner.plans import Plan


@dataclass(frozen=True)
class CheckLimits:
    """What a plan must satisfy; None means no limit."""

    max_cost_per_hour: float | None = None
    max_cost_per_month: float | None = None
    max_job_cost: float | None = None
    require_slo: bool = False
    max_gap: float | None = None

    def any(self) -> bool:
        """Whether at least one limit is set."""
        return self.require_slo or any(
            v is not None
            for v in (
                self.max_cost_per_hour,
                self.max_cost_per_month,
                self.max_job_cost,
                self.max_gap,
            )
        )


@dataclass(frozen=True)
class CheckResult:
    """Pass or fail, with one line that says why."""

    ok: bool
    line: str


_TOL = 1e-9


def check_plan(plan: Plan, limits: CheckLimits) -> CheckResult:
    """Compare the plan's serving $/h, $/month, job $, SLOs and gap with `limits`.

    The figures are re-derived from the allocations (planner.plans.consistency), never taken
    from the plan's own totals; a plan whose totals disagree with them fails outright.
    """
    from planner.plans.consistency import figures, inconsistencies
    from planner.plans.slo import slo_misses

    problems = inconsistencies(plan)
    if problems:
        shown = "; ".join(str(p) for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        return CheckResult(False, f"FAIL plan {plan.plan_id}: does not verify: {shown}{more}")
    derived = figures(plan)
    passed: list[str] = []
    failed: list[str] = []

    def limit(name: str, value: float, cap: float | None, show) -> None:
        if cap is None:
            return
        if value > cap * (1 + _TOL):
            failed.append(f"{name} {show(value)} is over the limit {show(cap)}")
        else:
            passed.append(f"{name} {show(value)} <= {show(cap)}")

    limit("serving", derived.cost_per_hour, limits.max_cost_per_hour, lambda v: f"{usd(v)}/h")
    limit("serving", derived.cost_per_month, limits.max_cost_per_month, lambda v: f"{usd(v)}/month")
    limit("jobs", derived.job_cost, limits.max_job_cost, usd)
    limit("gap", plan.gap, limits.max_gap, lambda v: pct(v, 2))
    if limits.require_slo:
        missed = []
        for w in plan.workloads:
            mine = plan.allocations_of(w.name)
            why = slo_misses(
                w.kind, mine, ttft_ms=w.ttft_p95_ms, tpot_ms=w.tpot_ms,
                deadline_hours=w.deadline_hours,
            )  # fmt: skip
            if why or not w.meets_slo:
                missed.append(w)
                failed.append(f"{w.name} misses its SLO ({'; '.join(why) or w.slo_note})")
        if not missed:
            passed.append(f"SLO met by all {len(plan.workloads)} workload(s)")
    if failed:
        return CheckResult(False, f"FAIL plan {plan.plan_id}: " + "; ".join(failed))
    return CheckResult(True, f"OK plan {plan.plan_id}: " + "; ".join(passed))
