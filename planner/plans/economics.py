"""Unit economics of a plan: dollars per million tokens (all, input, output), per 1,000
requests, per month.

Everything here is derived from the plan's own figures (costs, routed traffic, request sizes,
each allocation's prefill share), so it is never stored apart from them and can never disagree
with them:

- serving: tokens per hour = routed requests/s x 3,600 x tokens per request, at the planned
  (peak) rate; $/M tokens = $/h / tokens per hour x 1e6, standby capacity included in its
  workload's and the fleet's figures;
- batch: the job's dollars over its volume (requests x tokens per request); a recurring job
  (schedule) costs job dollars x runs in the average month per month;
- training: the job's dollars per accelerator-hour, and per million tokens trained when the
  job was given as model + tokens.

Input and output tokens: each allocation's cost is split between prefill (input tokens) and
decode (output tokens) by `Allocation.prefill_share`, the share of its replicas' time the
performance model gives prefill for the requests routed to it (planner.perf.prefill_share);
$/M input tokens is the prefill part over the input tokens, $/M output tokens the decode part
over the output tokens. The two parts add up to the whole cost. Plans written before the share
was recorded have no split (None).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from planner.plans.model import Allocation, Plan, WorkloadResult

HOURS_PER_MONTH = 730.0
"""Hours in the average month of every $/month figure (8,760 h / 12)."""

BASIS = (
    "serving at the planned (peak) request rate, standby included; batch and training per job; "
    "$/M tokens counts input + output tokens; $/M input and $/M output tokens split each "
    "allocation's cost by its replicas' share of time in prefill and decode; a month is 730 h"
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitCosts(_Frozen):
    """What one workload (or the fleet of one kind) costs per unit of work."""

    name: str = Field(description="Workload name, or 'serving fleet' / 'batch fleet'.")
    kind: Literal["serving", "batch", "training"]
    cost_per_hour: float | None = Field(None, description="Serving: $/h.")
    cost_per_month: float | None = Field(
        None, description="Serving: $/h x 730; a recurring batch job: job_cost x runs_per_month."
    )
    runs_per_month: float | None = Field(
        None, description="A recurring batch job (schedule): runs in the average month."
    )
    job_cost: float | None = Field(None, description="Batch and training: $ per job.")
    requests_per_second: float | None = Field(None, description="Serving: routed, at peak.")
    tokens_per_hour: float | None = Field(None, description="Serving: input + output, at peak.")
    requests: float | None = Field(None, description="Batch: requests in the job(s).")
    tokens: float | None = Field(None, description="Batch: tokens processed; training: trained.")
    accelerator_hours: float | None = Field(None, description="Training: accelerators x hours.")
    prefill_cost_share: float | None = Field(
        None, description="Share of the cost attributed to prefill (input tokens)."
    )
    usd_per_million_tokens: float | None = None
    usd_per_million_input_tokens: float | None = Field(
        None, description="The prefill part of the cost over the input tokens."
    )
    usd_per_million_output_tokens: float | None = Field(
        None, description="The decode part of the cost over the output tokens."
    )
    usd_per_thousand_requests: float | None = None
    usd_per_accelerator_hour: float | None = None


class AllocationEconomics(_Frozen):
    """One allocation's unit cost (by the request sizes routed to it, else the workload's mean),
    or why it is idle."""

    index: int = Field(description="Position in plan.allocations.")
    workload: str
    usd_per_million_tokens: float | None = None
    usd_per_million_input_tokens: float | None = None
    usd_per_million_output_tokens: float | None = None
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
    job_cost_per_month: float = Field(
        0.0, description="Recurring batch jobs: every run in the average month, $ (job x runs)."
    )
    total_cost_per_month: float = Field(
        0.0, description="cost_per_month (serving) + job_cost_per_month; one-off jobs apart."
    )
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


def _add(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


@dataclass(frozen=True)
class _Work:
    """Dollars and the work they buy (per hour for serving, per job for batch), with the
    prefill (input) part of the dollars when known."""

    cost: float = 0.0
    prefill_cost: float | None = 0.0
    requests: float = 0.0
    input_tokens: float | None = 0.0
    output_tokens: float | None = 0.0

    def __add__(self, other: _Work) -> _Work:
        return _Work(
            self.cost + other.cost,
            _add(self.prefill_cost, other.prefill_cost),
            self.requests + other.requests,
            _add(self.input_tokens, other.input_tokens),
            _add(self.output_tokens, other.output_tokens),
        )

    @property
    def tokens(self) -> float | None:
        return _add(self.input_tokens, self.output_tokens)

    def with_cost(self, cost: float) -> _Work:
        """The same work at `cost` (the fleet's total), prefill part scaled to match."""
        scaled = None
        if self.prefill_cost is not None:
            scaled = self.prefill_cost * cost / self.cost if self.cost else 0.0
        return _Work(cost, scaled, self.requests, self.input_tokens, self.output_tokens)

    def unit_prices(self) -> dict[str, float | None]:
        """$/M tokens (all, input, output) and $/1k requests of this work."""
        decode = None if self.prefill_cost is None else self.cost - self.prefill_cost
        return {
            "usd_per_million_tokens": _ratio(self.cost, self.tokens, 1e6),
            "usd_per_million_input_tokens": _ratio(self.prefill_cost, self.input_tokens, 1e6),
            "usd_per_million_output_tokens": _ratio(decode, self.output_tokens, 1e6),
            "usd_per_thousand_requests": _ratio(self.cost, self.requests, 1e3),
        }


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


def _sizes(w: WorkloadResult | None, requests: float) -> tuple[float | None, float | None]:
    """Input and output tokens of `requests` requests of the workload's mean size."""
    if w is None or w.input_tokens is None or w.output_tokens is None:
        return None, None
    return requests * w.input_tokens, requests * w.output_tokens


def _cost(a: Allocation) -> float:
    """Serving: $/h; batch and training: $ per job."""
    return a.cost_per_hour if a.kind == "serving" else a.job_cost or 0.0


def _prefill(cost: float, a: Allocation) -> float | None:
    return None if a.prefill_share is None else cost * a.prefill_share


def _allocation_work(a: Allocation, w: WorkloadResult | None) -> _Work:
    """What one allocation costs and carries (serving per hour, batch per job)."""
    if a.kind == "serving":
        per_hour = (a.routed_rps or 0.0) * 3600.0
        inputs, outputs = _sizes(w, per_hour)
        if a.routed_by_bucket:  # the request sizes this allocation carries, not the mean
            inputs = sum(b.rps * 3600.0 * b.input_tokens for b in a.routed_by_bucket)
            outputs = sum(b.rps * 3600.0 * b.output_tokens for b in a.routed_by_bucket)
        return _Work(a.cost_per_hour, _prefill(a.cost_per_hour, a), per_hour, inputs, outputs)
    cost = _cost(a)
    share = cost / w.job_cost if w and w.job_cost else None
    requests = w.requests * share if w and w.requests and share is not None else 0.0
    inputs, outputs = _sizes(w, requests) if requests else (None, None)
    return _Work(cost, _prefill(cost, a), requests, inputs, outputs)


def _by_workload(plan: Plan) -> dict[str, list[Allocation]]:
    """Each workload's allocations, in plan order, found in one pass over the plan."""
    mine: dict[str, list[Allocation]] = {}
    for a in plan.allocations:
        mine.setdefault(a.workload, []).append(a)
    return mine


def _workload_work(w: WorkloadResult, mine: list[Allocation]) -> _Work:
    """The workload's cost (its allocations `mine`, standby included, prefill parts summed) and
    its whole volume at its mean request size."""
    prefill: float | None = 0.0 if mine else None
    for a in mine:
        prefill = _add(prefill, _prefill(_cost(a), a))
    if w.kind == "serving":
        requests, cost = sum(a.routed_rps or 0.0 for a in mine) * 3600.0, w.cost_per_hour
    else:
        requests, cost = w.requests or 0.0, w.job_cost
    inputs, outputs = _sizes(w, requests)
    spent = sum(_cost(a) for a in mine)
    return _Work(spent, prefill, requests, inputs, outputs).with_cost(cost)


def _unit_costs(name: str, kind: str, work: _Work) -> UnitCosts:
    """Serving (per hour) or batch (per job) unit costs of `work`."""
    share = _ratio(work.prefill_cost, work.cost, 1.0)
    if kind == "serving":
        return UnitCosts(
            name=name,
            kind="serving",
            cost_per_hour=_round(work.cost),
            cost_per_month=round(work.cost * HOURS_PER_MONTH, 2),
            requests_per_second=_round(work.requests / 3600.0),
            tokens_per_hour=_round(work.tokens),
            prefill_cost_share=None if share is None else round(share, 6),
            **work.unit_prices(),
        )
    return UnitCosts(
        name=name,
        kind="batch",
        job_cost=_round(work.cost),
        requests=_round(work.requests),
        tokens=_round(work.tokens),
        prefill_cost_share=None if share is None else round(share, 6),
        **work.unit_prices(),
    )


def _training_costs(w: WorkloadResult, mine: list[Allocation]) -> UnitCosts:
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


def workload_costs(plan: Plan, w: WorkloadResult) -> UnitCosts:
    """The unit costs of one workload (a recurring job's per run, and per month)."""
    return _workload_costs(w, plan.allocations_of(w.name))


def _workload_costs(w: WorkloadResult, mine: list[Allocation]) -> UnitCosts:
    if w.kind == "training":
        return _training_costs(w, mine)
    costs = _unit_costs(w.name, w.kind, _workload_work(w, mine))
    if w.kind == "batch" and w.runs_per_month is not None:
        monthly = round((costs.job_cost or 0.0) * w.runs_per_month, 2)
        costs = costs.model_copy(
            update={"runs_per_month": w.runs_per_month, "cost_per_month": monthly}
        )
    return costs


def plan_economics(plan: Plan) -> PlanEconomics:
    """The plan's unit economics, fleet and per workload and allocation."""
    by_name = {w.name: w for w in plan.workloads}
    mine = _by_workload(plan)
    work = {
        w.name: _workload_work(w, mine.get(w.name, []))
        for w in plan.workloads if w.kind != "training"
    }  # fmt: skip
    workloads = [_workload_costs(w, mine.get(w.name, [])) for w in plan.workloads]
    fleets: dict[str, UnitCosts | None] = {}
    for kind in ("serving", "batch"):
        parts = [work[w.name] for w in plan.workloads if w.kind == kind]
        if not parts:
            fleets[kind] = None
            continue
        total = sum(parts[1:], parts[0])
        if kind == "serving":
            total = total.with_cost(plan.cost_per_hour)
        fleets[kind] = _unit_costs(f"{kind} fleet", kind, total)
    allocations = []
    for i, a in enumerate(plan.allocations):
        w = by_name.get(a.workload)
        prices = _allocation_work(a, w).unit_prices()
        allocations.append(
            AllocationEconomics(index=i, workload=a.workload, idle_rule=idle_rule(w, a), **prices)
        )
    idle = sum(plan.allocations[e.index].cost_per_hour for e in allocations if e.idle_rule)
    dynamic = saving = None
    schedule = plan.annotations.schedule if plan.annotations is not None else []
    if schedule:
        per_day = HOURS_PER_MONTH / 24.0
        scheduled = {s.workload for s in schedule}
        unscheduled = sum(
            w.cost_per_hour for w in plan.workloads
            if w.kind == "serving" and w.name not in scheduled
        )  # fmt: skip
        saving = round(sum(s.saving_per_day for s in schedule) * per_day, 2)
        dynamic = round(
            sum(s.dynamic_cost_per_day for s in schedule) * per_day + unscheduled * HOURS_PER_MONTH,
            2,
        )
    jobs_monthly = round(sum(u.cost_per_month or 0.0 for u in workloads if u.kind == "batch"), 2)
    serving_monthly = round(plan.cost_per_hour * HOURS_PER_MONTH, 2)
    return PlanEconomics(
        currency=plan.provenance.currency,
        hours_per_month=plan.provenance.hours_per_month,
        cost_per_month=serving_monthly,
        job_cost_per_month=jobs_monthly,
        total_cost_per_month=round(serving_monthly + jobs_monthly, 2),
        dynamic_cost_per_month=dynamic,
        autoscaling_saving_per_month=saving,
        idle_cost_per_hour=round(idle, 6),
        serving=fleets["serving"],
        batch=fleets["batch"],
        workloads=workloads,
        allocations=allocations,
    )
