"""Dynamic vs static allocation: an hourly replica schedule from a serving workload's profile.

The plan sizes every serving workload for its peak rate. With an `hourly_profile` the rate in
hour h is requests_per_second x profile[h], so fewer replicas serve most hours. Each allocation
keeps the plan's share of the traffic and bucket mix, and each replica carries at most the rate
the planner allowed it (its sustainable rate times the queueing cap that keeps the TTFT SLO),
so the SLO holds every hour. Floors: the workload's min_replicas (topped up on the allocation
cheapest per replica); one instance per allocation when the workload must stay spread over
regions; and with survive_region_loss every allocation at least its peak count scaled by the
hour's fraction, which keeps the plan's region-loss headroom.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from planner.perf import DEFAULT_SETTINGS, PerfSettings, Profiles
from planner.plans import Plan
from planner.schedule.replicas import ReplicaGroup, ServingModel, serving_models
from planner.spec.models import Spec

HOURS = 24
_EPS = 1e-6
"""Slack for the rounding of rates and utilisations in a plan file (6 decimals)."""


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AllocationHours(Frozen):
    """One allocation of the plan: its peak count and its count in each UTC hour."""

    allocation: int = Field(description="Index in plan.allocations.")
    label: str
    static_instances: int
    replicas_per_instance: int
    price_per_hour: float = Field(
        description="Dollars per instance-hour as the plan charges it (shared: per replica)."
    )
    target_rps_per_replica: float | None = Field(
        None, description="Requests/s one replica may carry (None: carries no traffic)."
    )
    instances: list[int] = Field(
        description="Instances in each hour 0-23 (UTC); replicas for a shared allocation."
    )


class AutoscaleBounds(Frozen):
    """What an autoscaler (HPA, SageMaker, Vertex) needs for the workload."""

    min_replicas: int
    max_replicas: int
    target_rps_per_replica: float


class WorkloadAutoscale(Frozen):
    """One serving workload: hourly replicas against the peak-sized static fleet."""

    workload: str
    hourly_rps: list[float]
    replicas: list[int] = Field(description="Replicas in each hour (dynamic).")
    slo_replicas: list[int] = Field(
        description="Fewest replicas at the planned per-replica rate, each hour."
    )
    static_replicas: int
    static_cost_per_day: float
    dynamic_cost_per_day: float
    saving_per_day: float
    saving_fraction: float
    bounds: AutoscaleBounds
    allocations: list[AllocationHours]


class AutoscalePlan(Frozen):
    """Hourly schedules of every serving workload that has an hourly_profile."""

    workloads: list[WorkloadAutoscale]
    skipped: list[str] = Field(default_factory=list, description="Workloads left static, and why.")
    static_cost_per_day: float
    dynamic_cost_per_day: float
    saving_per_day: float


def autoscale(
    plan: Plan,
    spec: Spec,
    settings: PerfSettings = DEFAULT_SETTINGS,
    profiles: Profiles | None = None,
    models: tuple[ServingModel, ...] | None = None,
) -> AutoscalePlan:
    """The hourly replica schedule of each serving workload with an hourly_profile."""
    models = models if models is not None else serving_models(plan, spec, settings, profiles)
    found, skipped = [], []
    for model in models:
        if model.hourly_profile is None:
            skipped.append(f"{model.workload}: no hourly_profile (static)")
        elif not any(g.routed_rps > 0 for g in model.groups):
            skipped.append(f"{model.workload}: the plan routes it no traffic")
        else:
            found.append(workload_schedule(model))
    static = sum(w.static_cost_per_day for w in found)
    dynamic = sum(w.dynamic_cost_per_day for w in found)
    return AutoscalePlan(
        workloads=found,
        skipped=skipped,
        static_cost_per_day=static,
        dynamic_cost_per_day=dynamic,
        saving_per_day=static - dynamic,
    )


def workload_schedule(model: ServingModel) -> WorkloadAutoscale:
    """Hourly instances per allocation for one workload (see the module docstring)."""
    assert model.hourly_profile is not None
    profile = list(model.hourly_profile)
    groups = model.groups
    needed = [[_needed_replicas(g, p) for p in profile] for g in groups]
    instances = [
        [_instances(model, g, n, p) for n, p in zip(row, profile, strict=True)]
        for g, row in zip(groups, needed, strict=True)
    ]
    for h in range(HOURS):
        _top_up(model, instances, h)
    replicas = [
        sum(instances[i][h] * g.replicas_per_instance for i, g in enumerate(groups))
        for h in range(HOURS)
    ]
    static_cost = HOURS * sum(g.count * g.price_per_hour for g in groups)
    dynamic_cost = sum(
        instances[i][h] * g.price_per_hour for i, g in enumerate(groups) for h in range(HOURS)
    )
    routed = sum(g.routed_rps for g in groups)
    replica_load = sum(g.routed_rps / g.planned_rps_per_replica for g in groups if g.routed_rps > 0)
    return WorkloadAutoscale(
        workload=model.workload,
        hourly_rps=[model.requests_per_second * p for p in profile],
        replicas=replicas,
        slo_replicas=[sum(row[h] for row in needed) for h in range(HOURS)],
        static_replicas=sum(g.replicas for g in groups),
        static_cost_per_day=static_cost,
        dynamic_cost_per_day=dynamic_cost,
        saving_per_day=static_cost - dynamic_cost,
        saving_fraction=(static_cost - dynamic_cost) / static_cost if static_cost > 0 else 0.0,
        bounds=AutoscaleBounds(
            min_replicas=min(replicas),
            max_replicas=max(replicas),
            target_rps_per_replica=routed / replica_load,
        ),
        allocations=[
            AllocationHours(
                allocation=g.index,
                label=g.label,
                static_instances=g.count,
                replicas_per_instance=g.replicas_per_instance,
                price_per_hour=g.price_per_hour,
                target_rps_per_replica=g.planned_rps_per_replica if g.routed_rps > 0 else None,
                instances=row,
            )
            for g, row in zip(groups, instances, strict=True)
        ],
    )


def _needed_replicas(group: ReplicaGroup, fraction: float) -> int:
    """Fewest replicas that carry the group's share of the hour at its planned rate (never more
    than the plan's: the plan itself is sized for the peak)."""
    if group.routed_rps <= 0:
        return 0
    load = group.routed_rps * fraction / group.planned_rps_per_replica
    return min(group.replicas, math.ceil(load - _EPS))


def _instances(model: ServingModel, group: ReplicaGroup, replicas: int, fraction: float) -> int:
    count = math.ceil(replicas / group.replicas_per_instance)
    if model.survive_region_loss:
        count = max(count, math.ceil(group.count * fraction - _EPS))
    if model.spread:
        count = max(count, 1)
    return min(count, group.count)


def _top_up(model: ServingModel, instances: list[list[int]], hour: int) -> None:
    """Add instances, cheapest per replica first, until the hour has min_replicas."""
    groups = model.groups
    order = sorted(
        range(len(groups)),
        key=lambda i: (groups[i].price_per_hour / groups[i].replicas_per_instance, i),
    )

    def total() -> int:
        return sum(instances[i][hour] * g.replicas_per_instance for i, g in enumerate(groups))

    for i in order:
        while total() < model.min_replicas and instances[i][hour] < groups[i].count:
            instances[i][hour] += 1
