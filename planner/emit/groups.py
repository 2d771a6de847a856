"""Endpoint groups for managed services: a workload's allocations in one region, one endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from planner.clouds import service
from planner.emit.resource import Note
from planner.plans.model import Plan
from planner.rules.deployment import Placed, placed


@dataclass(frozen=True)
class Group:
    """The allocations of one workload on one service in one region, numbered per workload."""

    index: int
    workload: str
    region: str
    members: tuple[Placed, ...]


def endpoint_groups(plan: Plan, service: str) -> list[Group]:
    """Serving allocations on `service`, grouped by (workload, region) in plan order."""
    order: dict[tuple[str, str], list[Placed]] = {}
    for item in placed(plan):
        a = item.allocation
        if a.service == service and a.kind == "serving":
            order.setdefault((a.workload, a.region), []).append(item)
    numbered: dict[str, int] = {}
    groups = []
    for (workload, region), members in order.items():
        index = numbered.get(workload, 0)
        numbered[workload] = index + 1
        groups.append(Group(index, workload, region, tuple(members)))
    return groups


def coverage(
    plan: Plan, target: str, wanted: frozenset[str], kinds: frozenset[str]
) -> tuple[tuple[Note, ...], frozenset[tuple[str, int]]]:
    """The allocations `target` emits, and a note for each it leaves to another target."""
    notes, covered = [], set()
    for item in placed(plan):
        a = item.allocation
        if a.service in wanted and a.kind in kinds:
            covered.add((a.workload, item.index))
            continue
        what = f"{a.kind} on {a.service} {a.instance_type} in {a.region}"
        where = f"{a.workload} allocation {item.index} ({what})"
        if a.service in wanted:
            why = f"{target} emits only {'/'.join(sorted(kinds))}"
        else:
            why = f"use --target {target_of(a.service)}"
        notes.append(Note(target, a.workload, item.index, f"{target}: skipped {where}: {why}"))
    return tuple(notes), frozenset(covered)


TARGET_OF_KIND = {"sagemaker": "sagemaker", "vertex": "vertex", "edge": "kubernetes"}
"""The target that deploys each managed service kind (VMs: below)."""


def target_of(service_name: str) -> str:
    """The --target that deploys allocations on `service_name`."""
    found = service(service_name)
    if found.kind == "vm":
        return "kubernetes or ray" if found.in_catalog else "kubernetes"
    return TARGET_OF_KIND[found.kind]
