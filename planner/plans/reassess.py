"""A plan's fleet judged against another spec's SLOs (e.g. a tightened TPOT target).

The allocations and their predicted latencies stay as planned; each workload takes the other
spec's SLO and deadline, and meets_slo is re-derived from the predictions with the one rule of
planner.plans.slo. The result is recorded as a plan for that spec (its digest, a new id), so
`planner check --require-slo` gates on it and `planner verify` checks it against that spec.
"""

from __future__ import annotations

from planner.errors import InputError
from planner.plans.identity import restamp
from planner.plans.model import Plan
from planner.plans.slo import slo_misses
from planner.spec.models import ServingWorkload, Spec


def reassess(plan: Plan, spec: Spec) -> Plan:
    """`plan` with every workload's SLO, deadline and meets_slo as `spec` gives them."""
    by_name = {w.name: w for w in spec.workloads}
    missing = sorted({w.name for w in plan.workloads} - set(by_name))
    if missing:
        raise InputError(f"the spec has no workload {', '.join(missing)} of the plan")
    results = []
    for result in plan.workloads:
        w = by_name[result.name]
        serving = isinstance(w, ServingWorkload)
        slo = {
            "ttft_p95_ms": w.slo.ttft_p95_ms if serving else None,
            "tpot_ms": w.slo.tpot_ms if serving else None,
            "deadline_hours": None if serving else w.deadline_hours,
        }
        mine = plan.allocations_of(result.name)
        misses = slo_misses(
            result.kind,
            mine,
            ttft_ms=slo["ttft_p95_ms"],
            tpot_ms=slo["tpot_ms"],
            deadline_hours=slo["deadline_hours"],
        )
        note = "; ".join(misses) if misses else result.slo_note
        results.append(result.model_copy(update={**slo, "meets_slo": not misses, "slo_note": note}))
    return restamp(plan.model_copy(update={"workloads": results}), spec)
