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
    """Compare the plan's serving $/h, $/month, job $, SLOs and gap with `limits`."""
    passed: list[str] = []
    failed: list[str] = []

    def limit(name: str, value: float, cap: float | None, show) -> None:
        if cap is None:
            return
        if value > cap * (1 + _TOL):
            failed.append(f"{name} {show(value)} is over the limit {show(cap)}")
        else:
            passed.append(f"{name} {show(value)} <= {show(cap)}")

    limit("serving", plan.cost_per_hour, limits.max_cost_per_hour, lambda v: f"{usd(v)}/h")
    limit("serving", plan.cost_per_month, limits.max_cost_per_month, lambda v: f"{usd(v)}/month")
    limit("jobs", plan.job_cost, limits.max_job_cost, usd)
    limit("gap", plan.gap, limits.max_gap, lambda v: pct(v, 2))
    if limits.require_slo:
        missed = [w for w in plan.workloads if not w.meets_slo]
        for w in missed:
            failed.append(f"{w.name} misses its SLO ({w.slo_note or 'no detail'})")
        if not missed:
            passed.append(f"SLO met by all {len(plan.workloads)} workload(s)")
    if failed:
        return CheckResult(False, f"FAIL plan {plan.plan_id}: " + "; ".join(failed))
    return CheckResult(True, f"OK plan {plan.plan_id}: " + "; ".join(passed))
