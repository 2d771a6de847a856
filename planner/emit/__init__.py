"""Turn a plan into deployment files: SageMaker, Vertex AI, Kubernetes and Ray.

rendered, notes = emit(plan, ["kubernetes"])   # data in, files (path, text, data) out
write_files(rendered, Path("deploy/"), plan)  # the only step that touches the disk
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import import_module

from planner.emit.resource import Built, Note, Rendered, Resource
from planner.errors import InputError
from planner.plan.model import Plan

TARGETS = ("sagemaker", "vertex", "kubernetes", "ray")


def builder(target: str) -> Callable[[Plan], Built]:
    """The function that builds `target`'s resources from a plan."""
    if target not in TARGETS:
        raise InputError(f"unknown target {target!r}; choose from {', '.join(TARGETS)} or all")
    return import_module(f"planner.emit.{target}").build


def build(plan: Plan, targets: Iterable[str]) -> Built:
    """Resources (not yet rendered) for `targets`, in target order, and notes on allocations
    that none of them emits."""
    built = [builder(target)(plan) for target in targets]
    covered = frozenset().union(*(b.covered for b in built))
    return Built(
        tuple(r for b in built for r in b.resources),
        tuple(n for b in built for n in b.notes if (n.workload, n.index) not in covered),
        covered,
    )


def emit(plan: Plan, targets: Iterable[str]) -> tuple[list[Rendered], list[str]]:
    """Rendered files for `targets`, and notes on the allocations each target skipped."""
    from planner.emit.render import render

    built = build(plan, targets)
    return [render(r) for r in built.resources], [n.text for n in built.notes]


def expand(target: str) -> tuple[str, ...]:
    """`all` as every target; any other name as itself."""
    if target == "all":
        return TARGETS
    builder(target)
    return (target,)


__all__ = ["TARGETS", "Built", "Note", "Rendered", "Resource", "build", "builder", "emit", "expand"]
