"""What a plan's allocations hold: the shared instance groups, and accelerators per quota."""

from __future__ import annotations

from collections import defaultdict

from planner.plans.model import Allocation, SharedGroup
from planner.rules.quotas import quota_breaches
from planner.rules.quotas import quota_usage as rules_quota_usage
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
    """Accelerators the allocations take from each of the spec's quotas, by index."""
    uses = rules_quota_usage(spec.constraints.quotas, allocations)
    return {i: u.used for i, u in enumerate(uses)}


def over_quota(spec: Spec, allocations: list[Allocation]) -> list[str]:
    """Each quota the allocations exceed, in words."""
    return quota_breaches(spec.constraints.quotas, allocations)
