"""What a plan's deployment uses, as every consumer reads it: its deploy settings, its
allocations numbered per workload, and the images and weights each allocation loads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import ValidationError

from planner.errors import InputError
from planner.plans.model import Allocation, Plan, WorkloadResult
from planner.spec.deploy import Deploy


@dataclass(frozen=True)
class Placed:
    """One allocation with its workload and its index among that workload's allocations."""

    index: int
    allocation: Allocation
    workload: WorkloadResult


def settings(plan: Plan) -> Deploy:
    """The plan's deploy settings (defaults where the spec gave none).

    A Plan holds them validated; a plan edited in Python (model_copy) may hold a mapping, which
    is validated here. The error names fields and problems, never the values (one could be a
    credential).
    """
    if isinstance(plan.deploy, Deploy):
        return plan.deploy
    try:
        return Deploy.model_validate(plan.deploy)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'deploy'}: {e['msg']}"
            for e in err.errors(include_input=False, include_url=False)
        )
        raise InputError(f"plan {plan.plan_id}: invalid deploy settings: {problems}") from None


def placed(plan: Plan) -> Iterator[Placed]:
    """Every allocation in plan order, numbered within its workload."""
    workloads = {w.name: w for w in plan.workloads}
    seen: dict[str, int] = {}
    for alloc in plan.allocations:
        index = seen.get(alloc.workload, 0)
        seen[alloc.workload] = index + 1
        yield Placed(index, alloc, workloads[alloc.workload])


def weights_source(deploy: Deploy, workload: WorkloadResult) -> str:
    """Where the workload's weights are, with the placeholders filled in."""
    return deploy.weights.format(
        hf_id=workload.hf_id or workload.model or workload.name,
        model=workload.model or workload.name,
        workload=workload.name,
    )


def image(deploy: Deploy, accelerator: str) -> str:
    """The serving image for an accelerator."""
    return deploy.accelerator_images.get(accelerator, deploy.image)
