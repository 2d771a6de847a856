"""What a plan's allocations hold: the shared instance groups, and accelerators per quota."""

from __future__ import annotations

from collections import defaultdict

from planner.plans.model import Allocation, SharedGroup
from planner.solve.pools import quota_accelerator, quota_covers
from planner.spec.models import Spec


def shared_groups(allocations: list[Allocation]) -> list[SharedGroup]:
    """The shared instance groups of a plan, from its shared allocations."""
    groups: dict[str, list[Allocation]] = defaultdict(list)
    for a in allocations:
        if a.shared_group:
            groups[a.shared_group].append(a)
    out = []
    for name in sorted(groups):
        members = groups[name]
        first = members[0]
        out.append(
            SharedGroup(
                name=name,
                provider=first.provider,
                region=first.region,
                service=first.service,
                instance_type=first.instance_type,
                accelerator=first.accelerator,
                pricing=first.pricing,
                instances=first.shared_instances or 0,
                accelerators_per_instance=first.accelerators_per_instance,
                accelerators_used=sum(a.tp * a.count for a in members),
                cost_per_hour=round((first.shared_instances or 0) * first.price_per_hour, 6),
                workloads=sorted({a.workload for a in members}),
            )
        )
    return out


def quota_usage(spec: Spec, allocations: list[Allocation]) -> dict[int, int]:
    holders = [
        ((a.provider, a.region, a.accelerator, a.pricing), a.count * a.accelerators_per_instance)
        for a in allocations
        if not a.shared_group
    ] + [
        (
            (g.provider, g.region, g.accelerator, g.pricing),
            g.instances * g.accelerators_per_instance,
        )
        for g in shared_groups(allocations)
    ]
    usage = {}
    for i, q in enumerate(spec.constraints.quotas):
        name = quota_accelerator(q)
        usage[i] = sum(held for pool, held in holders if quota_covers(q, pool, name))
    return usage


def over_quota(spec: Spec, allocations: list[Allocation]) -> list[str]:
    over = []
    for i, used in quota_usage(spec, allocations).items():
        q = spec.constraints.quotas[i]
        if used > q.max_accelerators:
            over.append(
                f"{q.provider} {q.region} {q.accelerator}: needs {used}, quota {q.max_accelerators}"
            )
    return over
