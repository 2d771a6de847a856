"""Every figure of a plan re-derived from its allocations alone, without spec or catalog.

A plan file is untrusted: anyone can edit its totals. Before any verb acts on a plan it checks
that the totals, per-workload figures, shared groups, owned-capacity use, routed rates,
utilisation, replica counts, tensor-parallel degrees (against the model and the instance) and
the plan id follow from the allocations. `planner verify` then re-derives the allocations
themselves against the spec and the catalog (planner.verify).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from planner.facts import LLM, find_accelerator, find_llm
from planner.perf import tp_problem
from planner.perf.multinode import spans_slice
from planner.plans.economics import HOURS_PER_MONTH
from planner.plans.identity import plan_id
from planner.plans.model import Allocation, Plan
from planner.plans.slo import slo_misses
from planner.spec.recurrence import parse_schedule

REL = 1e-6
ABS = 1e-4
"""Figures are stored rounded to 6 decimals (money to 2 for months): sums of rounded parts may
differ from the rounded sum by a little, never by a cent."""


@dataclass(frozen=True)
class Inconsistency:
    """A figure of the plan that does not follow from its allocations: where, and why."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class Figures:
    """The plan's headline figures as its allocations give them."""

    cost_per_hour: float
    cost_per_month: float
    job_cost: float
    peak_cost_per_hour: float
    objective_value: float


def _close(a: float | None, b: float, abs_tol: float = ABS) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=REL, abs_tol=abs_tol)


def figures(plan: Plan) -> Figures:
    """Serving $/h, $/month, job dollars, peak $/h and objective summed from the allocations."""
    hourly = sum(a.cost_per_hour for a in plan.allocations if a.kind == "serving")
    jobs = sum(a.job_cost or 0.0 for a in plan.allocations)
    peak = sum(a.cost_per_hour for a in plan.allocations)
    return Figures(hourly, hourly * HOURS_PER_MONTH, jobs, peak, hourly + jobs)


def gpus(a: Allocation) -> int:
    """Accelerators an allocation occupies: whole instances, or its shared replicas' GPUs."""
    return a.count * (a.tp if a.shared_group else a.accelerators_per_instance)


def _allocation(i: int, a: Allocation, kinds: dict[str, str], models: dict) -> list[Inconsistency]:
    out: list[Inconsistency] = []

    def bad(name: str, message: str) -> None:
        out.append(Inconsistency(f"allocations[{i}].{name}", message))

    if a.workload not in kinds:
        bad("workload", f"{a.workload!r} is not among the plan's workloads")
    elif kinds[a.workload] != a.kind:
        bad("kind", f"{a.kind}, but workload {a.workload} is {kinds[a.workload]}")
    charged = a.count * a.price_per_hour - a.covered_per_hour
    if not a.shared_group and not _close(a.cost_per_hour, charged):
        bad(
            "cost_per_hour",
            f"{a.cost_per_hour:g}, not count x price_per_hour - covered_per_hour = {charged:g}",
        )
    if a.kind != "serving":
        billed = a.billed_hours if a.billed_hours is not None else a.hours or 0.0
        expected = a.count * billed * a.price_per_hour - a.covered_per_hour * (a.hours or 0.0)
        if a.job_cost is None or not _close(a.job_cost, expected):
            bad(
                "job_cost",
                f"{a.job_cost}, not count x hours x price_per_hour - covered_per_hour x hours "
                f"= {expected:g}",
            )
    held = a.tp if a.shared_group else a.tp * a.replicas_per_instance
    span = a.nodes_per_replica or 1
    if held > a.accelerators_per_instance and not spans_slice(
        a.tp, a.accelerators_per_instance, span
    ):
        bad(
            "tp",
            f"{a.replicas_per_instance} replica(s) of TP {a.tp} need {held} accelerators; "
            f"{a.instance_type} has {a.accelerators_per_instance}",
        )
    known = find_accelerator(a.accelerator) if not a.capacity_pool else None
    model = models.get(a.workload)
    problem = tp_problem(model, a.tp, accelerator=known) if model is not None else None
    if model is None and a.tp & (a.tp - 1) and not (known and a.tp in known.tp_degrees):
        problem = f"TP must be a power of two, got {a.tp}"
    if problem:
        bad("tp", problem)
    if known is not None and known.name != a.accelerator:
        bad("accelerator", f"{a.accelerator!r} is spelled {known.name!r} in the facts")
    if a.routed_by_bucket:
        routed = sum(b.rps for b in a.routed_by_bucket)
        if not _close(a.routed_rps, routed):
            bad("routed_rps", f"{a.routed_rps}, but its buckets add up to {routed:g}")
    if a.kind != "serving" and (a.routed_rps or a.routed_by_bucket):
        bad("routed_rps", f"a {a.kind} allocation routes no requests")
    if a.utilisation is not None and not 0 <= a.utilisation <= 1 + REL:
        bad("utilisation", f"{a.utilisation:g} is outside [0, 1]")
    return out


def _recurrence(j: int, schedule: str | None, runs: float | None) -> list[Inconsistency]:
    """A recurring job's runs per month follow from its schedule."""
    if schedule is None:
        if runs is None:
            return []
        return [Inconsistency(f"workloads[{j}].runs_per_month", "given without a schedule")]
    try:
        expected = parse_schedule(schedule).runs_per_month
    except ValueError as err:
        return [Inconsistency(f"workloads[{j}].schedule", str(err))]
    if not _close(runs, expected):
        return [
            Inconsistency(
                f"workloads[{j}].runs_per_month", f"{runs}; {schedule} gives {expected:g}"
            )
        ]
    return []


def _workloads(plan: Plan) -> list[Inconsistency]:
    out: list[Inconsistency] = []
    seen: set[str] = set()
    for j, w in enumerate(plan.workloads):

        def bad(name: str, message: str, j=j) -> None:
            out.append(Inconsistency(f"workloads[{j}].{name}", message))

        if w.name in seen:
            bad("name", f"{w.name} appears twice")
        seen.add(w.name)
        mine = plan.allocations_of(w.name)
        if not mine:
            bad("name", f"{w.name} has no allocation")
        cost = sum(a.cost_per_hour for a in mine if a.kind == "serving")
        if not _close(w.cost_per_hour, cost):
            bad("cost_per_hour", f"{w.cost_per_hour:g}, its allocations add up to {cost:g}")
        jobs = sum(a.job_cost or 0.0 for a in mine)
        if not _close(w.job_cost, jobs):
            bad("job_cost", f"{w.job_cost:g}, its allocations add up to {jobs:g}")
        out.extend(_recurrence(j, w.schedule, w.runs_per_month))
        replicas = sum(a.count * a.replicas_per_instance for a in mine)
        if w.replicas != replicas:
            bad("replicas", f"{w.replicas}, its allocations hold {replicas}")
        regions = sorted({f"{a.provider}/{a.region}" for a in mine})
        if sorted(w.regions) != regions:
            bad("regions", f"{w.regions}, its allocations run in {regions}")
        misses = slo_misses(
            w.kind, mine, ttft_ms=w.ttft_p95_ms, tpot_ms=w.tpot_ms, deadline_hours=w.deadline_hours
        )
        if w.meets_slo and misses:
            bad("meets_slo", "true, but " + "; ".join(misses))
        elif not w.meets_slo and not misses:
            bad("meets_slo", "false, but every prediction is within the SLO")
    return out


def _shared(plan: Plan) -> list[Inconsistency]:
    out: list[Inconsistency] = []
    members: dict[str, list[Allocation]] = defaultdict(list)
    for a in plan.allocations:
        if a.shared_group:
            members[a.shared_group].append(a)
    listed = {g.name: (k, g) for k, g in enumerate(plan.shared_groups)}
    for name in sorted(set(members) | set(listed)):
        if name not in listed:
            out.append(Inconsistency("shared_groups", f"{name} is used but not listed"))
            continue
        k, g = listed[name]
        field = f"shared_groups[{k}]"
        allocs = members.get(name, [])
        if not allocs:
            out.append(Inconsistency(field, f"{name} holds no allocation"))
            continue
        if any(a.shared_instances != g.instances for a in allocs):
            out.append(Inconsistency(f"{field}.instances", "differs from its allocations'"))
        used = sum(a.count * a.tp for a in allocs)
        if g.accelerators_used != used or used > g.instances * g.accelerators_per_instance:
            out.append(
                Inconsistency(
                    f"{field}.accelerators_used",
                    f"{g.accelerators_used}; its replicas use {used} of "
                    f"{g.instances * g.accelerators_per_instance}",
                )
            )
        cost = g.instances * allocs[0].price_per_hour
        charged = sum(a.cost_per_hour for a in allocs)
        if not _close(g.cost_per_hour, cost) or not _close(charged, cost):
            out.append(
                Inconsistency(
                    f"{field}.cost_per_hour",
                    f"{g.cost_per_hour:g}; instances x price is {cost:g} and "
                    f"its members pay {charged:g}",
                )
            )
    return out


def _capacity(plan: Plan) -> list[Inconsistency]:
    out: list[Inconsistency] = []
    for k, pool in enumerate(plan.capacity):
        used = sum(gpus(a) for a in plan.allocations if a.capacity_pool == pool.name)
        if pool.used != used or used > pool.accelerators:
            out.append(
                Inconsistency(
                    f"capacity[{k}].used",
                    f"{pool.used}; the allocations use {used} of {pool.accelerators}",
                )
            )
        if pool.idle != max(pool.accelerators - used, 0):
            out.append(Inconsistency(f"capacity[{k}].idle", f"{pool.idle} does not follow"))
    named = {p.name for p in plan.capacity}
    for i, a in enumerate(plan.allocations):
        if a.capacity_pool and a.capacity_pool not in named:
            out.append(
                Inconsistency(
                    f"allocations[{i}].capacity_pool",
                    f"{a.capacity_pool} is not among the plan's capacity",
                )
            )
    committed = sum(p.committed_per_hour for p in plan.capacity)
    committed += sum(c.committed_per_hour for c in plan.commitments)
    if not _close(plan.committed_per_hour, committed):
        out.append(
            Inconsistency(
                "committed_per_hour",
                f"{plan.committed_per_hour:g}, its pools and commitments add up to {committed:g}",
            )
        )
    return out + _commitment_problems(plan)


def _commitment_problems(plan: Plan) -> list[Inconsistency]:
    """Each commitment's covered dollars are the allocations' (by name), within their list
    cost; the names allocations give are the plan's commitments."""
    out: list[Inconsistency] = []
    names = {c.name for c in plan.commitments}
    for i, a in enumerate(plan.allocations):
        if a.covered_per_hour > a.count * a.price_per_hour * (1 + REL) + ABS:
            out.append(
                Inconsistency(f"allocations[{i}].covered_per_hour", "more than its list cost")
            )
        if not _close(a.covered_per_hour, sum(a.covered_by.values())):
            out.append(
                Inconsistency(f"allocations[{i}].covered_per_hour", "not the sum of covered_by")
            )
        for name in a.covered_by:
            if name not in names:
                out.append(
                    Inconsistency(f"allocations[{i}].covered_by", f"{name} is not a commitment")
                )
    for k, c in enumerate(plan.commitments):
        covered = sum(a.covered_by.get(c.name, 0.0) for a in plan.allocations)
        if not _close(c.covered_per_hour, covered):
            out.append(
                Inconsistency(
                    f"commitments[{k}].covered_per_hour",
                    f"{c.covered_per_hour:g}, its allocations add up to {covered:g}",
                )
            )
        if c.used > c.capacity * (1 + REL) + ABS:
            out.append(Inconsistency(f"commitments[{k}].used", "above its capacity"))
    return out


def _totals(plan: Plan) -> list[Inconsistency]:
    out: list[Inconsistency] = []
    f = figures(plan)
    for name, given, derived, tol in (
        ("cost_per_hour", plan.cost_per_hour, f.cost_per_hour, ABS),
        ("cost_per_month", plan.cost_per_month, f.cost_per_month, 0.01),
        ("job_cost", plan.job_cost, f.job_cost, ABS),
        ("peak_cost_per_hour", plan.peak_cost_per_hour, f.peak_cost_per_hour, ABS),
        ("objective_value", plan.objective_value, f.objective_value, ABS),
    ):
        if not _close(given, derived, tol):
            out.append(
                Inconsistency(
                    name, f"the file says {given:,.6g}; its allocations give {derived:,.6g}"
                )
            )
    value = f.objective_value
    if plan.lower_bound > value * (1 + REL) + ABS:
        out.append(
            Inconsistency("lower_bound", f"{plan.lower_bound:g} is above the plan's {value:g}")
        )
    gap = (value - plan.lower_bound) / value if value > 0 else 0.0
    if not _close(plan.gap, gap, 1e-5):
        out.append(Inconsistency("gap", f"{plan.gap:g}; objective and lower bound give {gap:g}"))
    hours = [
        (a.starts_at_hours or 0.0) + a.hours
        for a in plan.allocations
        if a.kind != "serving" and a.hours is not None
    ]
    makespan = max(hours) if hours else None
    if (makespan is None) != (plan.makespan_hours is None) or (
        makespan is not None and not _close(plan.makespan_hours, makespan)
    ):
        out.append(
            Inconsistency("makespan_hours", f"{plan.makespan_hours}; the jobs end at {makespan}")
        )
    return out


def inconsistencies(plan: Plan, user_models: Iterable[LLM] = ()) -> list[Inconsistency]:
    """Every figure of `plan` that does not follow from its allocations (empty: consistent).

    `user_models` (the spec's own models) adds models the bundled facts do not know to the
    tensor-parallel check; without them such models are checked against the instance only."""
    kinds = {w.name: w.kind for w in plan.workloads}
    models = {}
    for w in plan.workloads:
        if w.model:
            model = find_llm(w.model, tuple(user_models))
            if model is not None:
                models[w.name] = model
    out: list[Inconsistency] = []
    for i, a in enumerate(plan.allocations):
        out += _allocation(i, a, kinds, models)
    out += _workloads(plan) + _shared(plan) + _capacity(plan) + _totals(plan)
    if plan.spec_sha256 is not None:
        expected = plan_id(plan.spec_sha256, plan.plan_date, plan.allocations)
        if plan.plan_id != expected:
            out.append(
                Inconsistency(
                    "plan_id",
                    f"{plan.plan_id}; its spec digest, date and allocations give {expected}",
                )
            )
    return out
