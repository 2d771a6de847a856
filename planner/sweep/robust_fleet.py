"""Solve the robust MIP over some worlds and read its fleet back as plan allocations.

Allocations are priced at the base prices. A serving allocation reports its busiest world:
the routed rate and utilisation of the world that loads it most.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from planner.plans.model import Allocation
from planner.solve.backend import Outcome, SolveOptions, run
from planner.solve.candidates import Candidate
from planner.spec.models import BatchWorkload, ServingWorkload, Workload
from planner.sweep.robust_model import RobustBuilt, build_robust
from planner.sweep.world import World, universe

_EPS = 1e-7


@dataclass(frozen=True)
class Fleet:
    """A solved robust model: its allocations (base prices), status, objective and bound."""

    allocations: tuple[Allocation, ...]
    status: str
    objective: float
    bound: float
    seconds: float


def _allocation(w: Workload, c: Candidate, n: int, price: float, **extra) -> Allocation:
    o = c.offering
    return Allocation(
        workload=w.name, kind=w.kind, provider=o.provider, region=o.region, zone=o.zone,
        service=o.service, instance_type=o.instance_type, accelerator=o.accelerator,
        accelerators_per_instance=o.accelerator_count, pricing=c.pricing,  # type: ignore[arg-type]
        count=n, tp=c.tp, replicas_per_instance=c.replicas_per_instance, price_per_hour=price,
        cost_per_hour=round(n * price, 6),
        **{k: (round(v, 6) if isinstance(v, float) else v) for k, v in extra.items()},
    )  # fmt: skip


def _share(rb: RobustBuilt, outcome: Outcome, key: tuple) -> float:
    var = rb.x.get(key)
    return 0.0 if var is None else outcome.result.variable_values(var)


def _serving_extra(rb, outcome, worlds, w: ServingWorkload, i: int, c: Candidate, n: int):
    """Routed rate, utilisation and latency figures of the world that loads this the most."""
    busiest: tuple[float, list[float], tuple[int, ...]] = (-1.0, [], ())
    for s, world in enumerate(worlds):
        demand = world.problem.demand(world.workload(w.name))
        routed = [demand[b] * _share(rb, outcome, (s, w.name, i, b)) for b in range(len(demand))]
        used = tuple(b for b, r in enumerate(routed) if r > _EPS)
        full = [n * c.replicas_per_instance * cap.max_rps for cap in c.capacities]
        util = sum(routed[b] / full[b] for b in used)
        if util > busiest[0]:
            busiest = (util, routed, used)
    util, by_bucket, used = busiest
    routed_rps = sum(by_bucket)
    batches = [c.capacities[b].max_batch for b in used] or [x.max_batch for x in c.capacities]
    return {
        "routed_rps": max(0.0, routed_rps),
        "utilisation": max(0.0, util),
        "ttft_ms": max((c.capacities[b].ttft_ms or 0.0 for b in used), default=None),
        "tpot_ms": max((c.capacities[b].tpot_ms or 0.0 for b in used), default=None),
        "max_batch": min(batches),
        "max_context": max(b.input_tokens + b.output_tokens for b in w.traffic.request_buckets()),
    }


def _allocations(rb: RobustBuilt, base: World, worlds, outcome: Outcome) -> list[Allocation]:
    value = outcome.result.variable_values
    out: list[Allocation] = []
    for w in base.spec.workloads:
        for i, c in enumerate(rb.candidates[w.name]):
            price = base.price(c)
            price = c.price if price is None else price
            if isinstance(w, ServingWorkload):
                n = round(value(rb.built.n[(w.name, i)]))
                if n > 0:
                    extra = _serving_extra(rb, outcome, worlds, w, i, c, n)
                    out.append(_allocation(w, c, n, price, **extra))
            elif isinstance(w, BatchWorkload):
                n = round(value(rb.built.n[(w.name, i)]))
                hours = value(rb.built.h[(w.name, i)])
                if n > 0 and hours > _EPS:
                    out.append(_allocation(w, c, n, price, hours=hours / n, job_cost=hours * price))
            elif value(rb.built.z[(w.name, i)]) > 0.5:
                out.append(
                    _allocation(w, c, c.instances, price, hours=c.hours,
                                job_cost=c.instances * price * c.hours)
                )  # fmt: skip
    return out


def solve_fleet(base: World, worlds: Sequence[World], options: SolveOptions) -> Fleet | None:
    """The cheapest fleet that serves every world, or None when no fleet does."""
    candidates = universe([base, *worlds])
    rb = build_robust(base, worlds, candidates)
    outcome = run(rb.built, options)
    if outcome.status == "infeasible":
        return None
    if outcome.status == "unknown":
        from planner.errors import PlannerError

        raise PlannerError(
            f"The robust model over {len(worlds)} scenarios found no fleet within the "
            f"{options.time_limit_s:g} s time limit; raise --time-limit or use fewer scenarios"
        )
    allocations = tuple(_allocations(rb, base, worlds, outcome))
    return Fleet(allocations, outcome.status, outcome.objective, outcome.bound, outcome.seconds)
