"""What a plan says about each workload: cost, replicas, SLO margin, the limits that bind it,
notes, and the cheapest alternatives it did not take."""

from __future__ import annotations

import math

from planner.perf.workload import assumptions
from planner.plans.model import Allocation, Alternative, WorkloadResult
from planner.plans.slo import slo_misses
from planner.rules.quotas import held, quota_covers
from planner.solve.candidates import Candidate, resolve_llm
from planner.solve.mip import PlacementProblem
from planner.solve.single_choice import single_choice_cost
from planner.solve.usage import quota_usage
from planner.spec.models import BatchWorkload, ServingWorkload, Spec, TrainingWorkload, Workload
from planner.spec.recurrence import parse_schedule


def _describe(c: Candidate) -> str:
    o = c.offering
    spot = " spot" if c.pricing == "spot" else ""
    shape = f"{o.accelerator_count}x {o.accelerator}, TP {c.tp}"
    return f"{o.instance_type}{spot} ({shape}) in {o.provider} {o.region}"


def _alternatives(problem: PlacementProblem, w: Workload, chosen: set[str]) -> list[Alternative]:
    """The cheapest single choice per accelerator type the plan did not use."""
    demand = problem.demand(w) if isinstance(w, ServingWorkload) else ()
    best: dict[str, tuple[float, Candidate]] = {}
    for c in problem.candidates[w.name]:
        cost = single_choice_cost(w, c, demand)
        key = c.offering.accelerator
        if cost is not None and key not in chosen and (key not in best or cost < best[key][0]):
            best[key] = (cost, c)
    ranked = sorted(best.values(), key=lambda item: (item[0], item[1].sort_key))[:3]
    return [Alternative(description=_describe(c), cost=round(cost, 4)) for cost, c in ranked]


def _binding(spec: Spec, w: Workload, mine: list[Allocation], peak: float, usage) -> list[str]:
    notes = []
    for i, used in usage.items():
        q = spec.constraints.quotas[i]
        touches = any(quota_covers(q, pool) for pool, _ in held(mine))
        if used == q.max_accelerators and q.max_accelerators and touches:
            notes.append(f"quota {q.provider} {q.region} {q.accelerator} is fully used ({used})")
    budget = spec.constraints.budget_per_hour
    if budget is not None and peak >= budget - 1e-6:
        notes.append(f"budget ${budget:g}/h is fully used")
    if isinstance(w, ServingWorkload):
        replicas = sum(a.count * a.replicas_per_instance for a in mine)
        if replicas == w.min_replicas:
            notes.append(f"min_replicas ({w.min_replicas})")
        if w.max_replicas is not None and replicas == w.max_replicas:
            notes.append(f"max_replicas ({w.max_replicas})")
        regions = {(a.provider, a.region) for a in mine}
        if w.placement.min_regions > 1 and len(regions) == w.placement.min_regions:
            notes.append(f"min_regions ({w.placement.min_regions})")
    return notes


def _edge_notes(problem: PlacementProblem, w: ServingWorkload, mine: list[Allocation]) -> list[str]:
    """Why edge pools a workload may use serve none of it (e.g. the model does not fit)."""
    from planner.perf import memory_fit

    if w.edge_share_max <= 0 or any(a.service == "edge" for a in mine):
        return []
    model = resolve_llm(problem.spec, w.model)
    context = max(b.input_tokens + b.output_tokens for b in w.traffic.request_buckets())
    notes = []
    for name, pool in sorted(problem.owned.items()):
        if pool.kind != "edge":
            continue
        dtype = pool.weights_dtype or w.weights_dtype
        fit = memory_fit(model, pool.accelerator, 1, context, 1, dtype)
        if not fit.fits:
            why = f"{model.name} at {dtype} does not fit {pool.accelerator.name}: {fit.reason}"
        else:
            why = (
                f"not used (outside the placement, or the {pool.rtt_ms:g} ms round trip plus "
                "the device's speed misses the SLO)"
            )
        notes.append(f"edge pool {name}: {why}")
    return notes


def workload_result(problem, w, allocations, peak, usage=None, mine=None) -> WorkloadResult:
    """`usage` (the quotas' use) and `mine` (w's allocations) where the caller has them: a
    fleet's results then take linear time."""
    mine = [a for a in allocations if a.workload == w.name] if mine is None else mine
    usage = quota_usage(problem.spec, allocations) if usage is None else usage
    slo_note = ""
    if isinstance(w, ServingWorkload):
        worst_tpot = max((a.tpot_ms or 0.0 for a in mine), default=0.0)
        worst_util = max((a.utilisation or 0.0 for a in mine), default=0.0)
        parts = [f"max utilisation {worst_util:.0%}"]
        if w.slo.tpot_ms:
            parts.append(f"TPOT {worst_tpot:.1f} of {w.slo.tpot_ms:g} ms")
        slo_note = "; ".join(parts)
    elif isinstance(w, BatchWorkload | TrainingWorkload) and w.deadline_hours:
        longest = max(((a.starts_at_hours or 0.0) + (a.hours or 0.0) for a in mine), default=0.0)
        slo_note = f"finishes in {longest:.2f} of {w.deadline_hours:g} h"
    notes = _edge_notes(problem, w, mine) if isinstance(w, ServingWorkload) else []
    serving = w if isinstance(w, ServingWorkload) else None
    model = resolve_llm(problem.spec, w.model) if w.model else None
    return WorkloadResult(
        name=w.name,
        kind=w.kind,
        model=model.name if model else None,
        hf_id=model.hf_id if model else "",
        weights_dtype=w.weights_dtype,
        engine=getattr(w, "engine", "vllm"),
        priority=w.placement.priority,
        min_replicas=serving.min_replicas if serving else None,
        max_replicas=serving.max_replicas if serving else None,
        requests_per_second=serving.traffic.requests_per_second if serving else None,
        ttft_p95_ms=serving.slo.ttft_p95_ms if serving else None,
        tpot_ms=serving.slo.tpot_ms if serving else None,
        deadline_hours=None if serving else w.deadline_hours,
        allowed_regions=list(w.placement.regions) if w.placement.regions else None,
        cost_per_hour=round(sum(a.cost_per_hour for a in mine if a.kind == "serving"), 6),
        job_cost=round(sum(a.job_cost or 0.0 for a in mine), 6),
        replicas=sum(a.count * a.replicas_per_instance for a in mine),
        regions=sorted({f"{a.provider}/{a.region}" for a in mine}),
        meets_slo=not slo_misses(
            w.kind,
            mine,
            ttft_ms=serving.slo.ttft_p95_ms if serving else None,
            tpot_ms=serving.slo.tpot_ms if serving else None,
            deadline_hours=None if serving else w.deadline_hours,
        ),
        slo_note=slo_note,
        binding=_binding(problem.spec, w, mine, peak, usage),
        notes=notes,
        alternatives=_alternatives(problem, w, {a.accelerator for a in mine}),
        min_regions=w.placement.min_regions,
        survive_region_loss=w.placement.survive_region_loss,
        engine_settings=serving.engine_settings.given() if serving else {},
        assumptions=assumptions(w),
        **request_sizes(w),
    )


def request_sizes(w: Workload) -> dict[str, float | str]:
    """The request sizes and volume a plan's unit economics need (mean tokens per request),
    and a recurring batch job's schedule and runs in the average month."""
    if isinstance(w, ServingWorkload):
        buckets = w.traffic.request_buckets()
        return {
            "input_tokens": round(math.fsum(b.fraction * b.input_tokens for b in buckets), 6),
            "output_tokens": round(math.fsum(b.fraction * b.output_tokens for b in buckets), 6),
        }
    if isinstance(w, BatchWorkload):
        recurring = {}
        if w.schedule is not None:
            runs = parse_schedule(w.schedule).runs_per_month
            recurring = {"schedule": w.schedule, "runs_per_month": round(runs, 6)}
        return {
            "input_tokens": float(w.volume.input_tokens),
            "output_tokens": float(w.volume.output_tokens),
            "requests": round(w.volume.request_count, 6),
            **recurring,
        }
    return {"tokens_trained": w.tokens} if w.tokens else {}
