"""The plan's hourly replica schedule: a driver above the solver that works out, for a solved
plan, dynamic against static replicas for serving workloads with an hourly traffic profile (the
use cases put it in the plan's annotations)."""

from __future__ import annotations

from planner.plans.annotations import WorkloadSchedule
from planner.plans.model import Plan
from planner.spec.models import ServingWorkload, Spec


def hourly_schedule(plan: Plan, spec: Spec, settings, profiles) -> list[WorkloadSchedule]:
    """Dynamic against static replicas for serving workloads with an hourly traffic profile."""
    if not any(isinstance(w, ServingWorkload) and w.traffic.hourly_profile for w in spec.workloads):
        return []
    from planner.schedule.autoscale import autoscale

    result = autoscale(plan, spec, settings, profiles)
    return [
        WorkloadSchedule(
            workload=w.workload,
            replicas=w.replicas,
            slo_replicas=w.slo_replicas,
            static_replicas=w.static_replicas,
            static_cost_per_day=w.static_cost_per_day,
            dynamic_cost_per_day=w.dynamic_cost_per_day,
            saving_per_day=w.saving_per_day,
            min_replicas=w.bounds.min_replicas,
            max_replicas=w.bounds.max_replicas,
            target_rps_per_replica=w.bounds.target_rps_per_replica,
        )
        for w in result.workloads
    ]
