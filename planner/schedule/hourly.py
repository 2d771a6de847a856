"""The plan's hourly replica schedule: a driver above the solver that adds, to a solved plan,
dynamic against static replicas for serving workloads with an hourly traffic profile."""

from __future__ import annotations

from planner.perf import DEFAULT_SETTINGS, PerfSettings, Profiles
from planner.plans.model import Plan, WorkloadSchedule
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


def with_schedule(
    plan: Plan,
    spec: Spec,
    settings: PerfSettings = DEFAULT_SETTINGS,
    profiles: Profiles | None = None,
) -> Plan:
    """`plan` carrying its hourly schedule (unchanged when no workload has a profile)."""
    schedule = hourly_schedule(plan, spec, settings, profiles)
    return plan.model_copy(update={"schedule": schedule}) if schedule else plan
