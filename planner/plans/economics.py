"""Unit economics of a plan: dollars per million tokens, per 1,000 requests, per month.

Everything here is derived from the plan's own figures (costs, routed traffic, request sizes),
so it is never stored apart from them and can never disagree with them:

- serving: tokens per hour = routed requests/s x 3,600 x (mean input + output tokens per
  request), at the planned (peak) rate; $/M tokens = $/h / tokens per hour x 1e6, standby
  capacity included in its workload's and the fleet's figures;
- batch: the job's dollars over its volume (requests x tokens per request);
- training: the job's dollars per accelerator-hour, and per million tokens trained when the
  job was given as model + tokens.

$/M tokens counts input and output tokens together; $/M output tokens puts the whole cost on
the generated tokens (the two are alternative views of one cost, not parts of it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from planner.plans.model import Allocation, Plan, WorkloadResult

HOURS_PER_MONTH = 730.0
"""Hours in the average month of every $/month figure (8,760 h / 12)."""

BASIS = (
    "serving at the planned (peak) request rate, standby included; batch and training per job; "
    "$/M tokens counts input + output tokens; a month is 730 h"
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitCosts(_Frozen):
    """What one workload (or the fleet of one kind) costs per unit of work."""

    name: str = Field(description="Workload name, or 'serving fleet' / 'batch fleet'.")
    kind: Literal["serving", "batch", "training"]
    cost_per_hour: float | None = Field(None, description="Serving: $/h.")
    cost_per_month: float | None = Field(None, description="Serving: $/h x 730.")
    job_cost: float | None = Field(None, description="Batch and training: $ per job.")
    requests_per_second: float | None = Field(None, description="Serving: routed, at peak.")
    tokens_per_hour: float | None = Field(None, description="Serving: input + output, at peak.")
    requests: float | None = Field(None, description="Batch: requests in the job(s).")
    tokens: float | None = Field(None, description="Batch: tokens processed; training: trained.")
    accelerator_hours: float | None = Field(None, description="Training: accelerators x hours.")
    usd_per_million_tokens: float | None = None
    usd_per_million_output_tokens: float | None = None
    usd_per_thousand_requests: float | None = None
    usd_per_accelerator_hour: float | None = None


class AllocationEconomics(_Frozen):
    """One allocation's unit cost (by the request sizes routed to it, else the workload's mean),
    or why it is idle."""

    index: int = Field(description="Position in plan.allocations.")
    workload: str
    usd_per_million_tokens: float | None = None
    usd_per_thousand_requests: float | None = None
    idle_rule: str = Field(
        "", description="Serving capacity with no traffic routed: the rule that keeps it."
    )


class PlanEconomics(_Frozen):
    """The plan's unit economics (derived; see planner.plans.economics)."""

    currency: str = "USD"
    hours_per_month: float = HOURS_PER_MONTH
    basis: str = BASIS
    cost_per_month: float = Field(description="Serving fleet, $/h x 730.")
    dynamic_cost_per_month: float | None = Field(
        None, description="Serving with the hourly replica schedule (when the plan has one)."
    )
    autoscaling_saving_per_month: float | None = Field(
        None, description="Static (peak-sized) minus dynamic serving cost, per month."
    )
    idle_cost_per_hour: float = Field(0.0, description="Serving capacity with no traffic, $/h.")
    serving: UnitCosts | None = None
    batch: UnitCosts | None = None
    workloads: list[UnitCosts] = []
    allocations: list[AllocationEconomics] = []


def _ratio(cost: float | None, amount: float | None, scale: float) -> float | None:
    """cost / amount x scale to 10 significant figures (unit prices can be far below $0.01)."""
    if cost is None or not amount:
        return None
    return float(f"{cost / amount * scale:.10g}")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def tokens_per_request(w: WorkloadResult) -> float | None:
    """Mean input + output tokens per request, when the plan knows the sizes."""
    if w.input_tokens is None or w.output_tokens is None:
        return None
    return w.input_tokens + w.output_tokens


def idle_rule(w: WorkloadResult | None, a: Allocation) -> str:
    """Why a serving allocation with no routed traffic exists ('' when it carries traffic)."""
    if a.kind != "serving" or a.routed_rps or w is None:
        return ""
    if w.survive_region_loss:
        return (
            f"standby for survive_region_loss: takes {w.name}'s traffic if another region is lost"
        )
    if w.min_regions > 1:
        return f"kept by min_regions ({w.min_regions}): {w.name} must run in that many regions"
    if w.min_replicas:
        return f"kept by min_replicas ({w.min_replicas})"
    return "no traffic routed (kept by the spec's placement rules)"


def _serving_costs(name: str, cost: float, rps: float, per_request: float | None) -> UnitCosts:
    per_hour = rps * 3600.0
    tokens = per_hour * per_request if per_request is not None else None
    return UnitCosts(
        name=name,
        kind="serving",
        cost_per_hour=_round(cost),
        cost_per_month=round(cost * HOURS_PER_MONTH, 2),
        requests_per_second=_round(rps),
        tokens_per_hour=_round(tokens),
        usd_per_million_tokens=_ratio(cost, tokens, 1e6),
        usd_per_thousand_requests=_ratio(cost, per_hour, 1e3),
    )


def _output_per_hour(w: WorkloadResult, rps: float) -> float | None:
    return None if w.output_tokens is None else rps * 3600.0 * w.output_tokens


def workload_costs(plan: Plan, w: WorkloadResult) -> UnitCosts:
    """The unit costs of one workload."""
    mine = [a for a in plan.allocations if a.workload == w.name]
    if w.kind == "serving":
        rps = sum(a.routed_rps or 0.0 for a in mine)
        costs = _serving_costs(w.name, w.cost_per_hour, rps, tokens_per_request(w))
        output = _output_per_hour(w, rps)
        return costs.model_copy(
            update={"usd_per_million_output_tokens": _ratio(w.cost_per_hour, output, 1e6)}
        )
    if w.kind == "batch":
        per_request = tokens_per_request(w)
        tokens = w.requests * per_request if w.requests and per_request else None
        output = w.requests * w.output_tokens if w.requests and w.output_tokens else None
        return UnitCosts(
            name=w.name,
            kind="batch",
            job_cost=_round(w.job_cost),
            requests=w.requests,
            tokens=_round(tokens),
            usd_per_million_tokens=_ratio(w.job_cost, tokens, 1e6),
            usd_per_million_output_tokens=_ratio(w.job_cost, output, 1e6),
            usd_per_thousand_requests=_ratio(w.job_cost, w.requests, 1e3),
        )
    hours = sum(a.count * a.accelerators_per_instance * (a.hours or 0.0) for a in mine)
    return UnitCosts(
        name=w.name,
        kind="training",
        job_cost=_round(w.job_cost),
        tokens=w.tokens_trained,
        accelerator_hours=_round(hours),
        usd_per_million_tokens=_ratio(w.job_cost, w.tokens_trained, 1e6),
        usd_per_accelerator_hour=_ratio(w.job_cost, hours, 1.0),
    )


def _fleet(plan: Plan, workloads: list[UnitCosts]) -> tuple[UnitCosts | None, UnitCosts | None]:
    serving = [u for u in workloads if u.kind == "serving"]
    batch = [u for u in workloads if u.kind == "batch"]
    fleet_serving = None
    if serving:
        cost = plan.cost_per_hour
        rps = sum(u.requests_per_second or 0.0 for u in serving)
        known = all(u.tokens_per_hour is not None for u in serving)
        tokens = sum(u.tokens_per_hour or 0.0 for u in serving) if known else None
        by_name = {w.name: w for w in plan.workloads}
        outputs = [_output_per_hour(by_name[u.name], u.requests_per_second or 0.0) for u in serving]
        output = sum(o or 0.0 for o in outputs) if None not in outputs else None
        fleet_serving = UnitCosts(
            name="serving fleet",
            kind="serving",
            cost_per_hour=_round(cost),
            cost_per_month=round(cost * HOURS_PER_MONTH, 2),
            requests_per_second=_round(rps),
            tokens_per_hour=_round(tokens),
            usd_per_million_tokens=_ratio(cost, tokens, 1e6),
            usd_per_million_output_tokens=_ratio(cost, output, 1e6),
            usd_per_thousand_requests=_ratio(cost, rps * 3600.0, 1e3),
        )
    fleet_batch = None
    if batch:
        cost = sum(u.job_cost or 0.0 for u in batch)
        known = all(u.tokens is not None for u in batch)
        tokens = sum(u.tokens or 0.0 for u in batch) if known else None
        requests = sum(u.requests or 0.0 for u in batch)
        fleet_batch = UnitCosts(
            name="batch fleet",
            kind="batch",
            job_cost=_round(cost),
            requests=_round(requests),
            tokens=_round(tokens),
            usd_per_million_tokens=_ratio(cost, tokens, 1e6),
            usd_per_thousand_requests=_ratio(cost, requests, 1e3),
        )
    return fleet_serving, fleet_batch


def _allocation_economics(plan: Plan) -> list[AllocationEconomics]:
    by_name = {w.name: w for w in plan.workloads}
    out = []
    for i, a in enumerate(plan.allocations):
        w = by_name.get(a.workload)
        per_request = tokens_per_request(w) if w else None
        if a.kind == "serving":
            per_hour = (a.routed_rps or 0.0) * 3600.0
            tokens = per_hour * per_request if per_request is not None else None
            buckets = getattr(a, "routed_by_bucket", None)
            if buckets:  # the request sizes this allocation carries, not the workload's mean
                tokens = sum(b.rps * 3600.0 * (b.input_tokens + b.output_tokens) for b in buckets)
            out.append(
                AllocationEconomics(
                    index=i,
                    workload=a.workload,
                    usd_per_million_tokens=_ratio(a.cost_per_hour, tokens, 1e6),
                    usd_per_thousand_requests=_ratio(a.cost_per_hour, per_hour, 1e3),
                    idle_rule=idle_rule(w, a),
                )
            )
        else:
            share = (a.job_cost or 0.0) / w.job_cost if w and w.job_cost else None
            requests = w.requests * share if w and w.requests and share is not None else None
            tokens = requests * per_request if requests and per_request else None
            out.append(
                AllocationEconomics(
                    index=i,
                    workload=a.workload,
                    usd_per_million_tokens=_ratio(a.job_cost, tokens, 1e6),
                    usd_per_thousand_requests=_ratio(a.job_cost, requests, 1e3),
                )
            )
    return out


def plan_economics(plan: Plan) -> PlanEconomics:
    """The plan's unit economics, fleet and per workload and allocation."""
    workloads = [workload_costs(plan, w) for w in plan.workloads]
    serving, batch = _fleet(plan, workloads)
    allocations = _allocation_economics(plan)
    idle = sum(plan.allocations[e.index].cost_per_hour for e in allocations if e.idle_rule)
    dynamic = saving = None
    if plan.schedule:
        per_day = HOURS_PER_MONTH / 24.0
        scheduled = {s.workload for s in plan.schedule}
        unscheduled = sum(
            w.cost_per_hour for w in plan.workloads
            if w.kind == "serving" and w.name not in scheduled
        )  # fmt: skip
        saving = round(sum(s.saving_per_day for s in plan.schedule) * per_day, 2)
        dynamic = round(
            sum(s.dynamic_cost_per_day for s in plan.schedule) * per_day
            + unscheduled * HOURS_PER_MONTH,
            2,
        )
    return PlanEconomics(
        currency=plan.provenance.currency,
        hours_per_month=plan.provenance.hours_per_month,
        cost_per_month=round(plan.cost_per_hour * HOURS_PER_MONTH, 2),
        dynamic_cost_per_month=dynamic,
        autoscaling_saving_per_month=saving,
        idle_cost_per_hour=round(idle, 6),
        serving=serving,
        batch=batch,
        workloads=workloads,
        allocations=allocations,
    )
