"""Turn a plan into deployment files: SageMaker, Vertex AI, Kubernetes, Ray and SkyPilot.

rendered, notes = emit(plan, ["kubernetes"])   # data in, files (path, text, data) out
write_resources(...)  # the only step that touches the disk: renders and writes one file at a
                      # a time (planner.app.deploy.emit)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import import_module

from planner.emit.render import render
from planner.emit.resource import Built, Note, Rendered, Resource
from planner.errors import InputError
from planner.plans.model import Plan
from planner.rules.residency import breaches

TARGETS = ("sagemaker", "vertex", "kubernetes", "ray", "skypilot")


def builder(target: str) -> Callable[[Plan], Built]:
    """The function that builds `target`'s resources from a plan."""
    if target not in TARGETS:
        raise InputError(f"unknown target {target!r}; choose from {', '.join(TARGETS)} or all")
    return import_module(f"planner.emit.{target}").build


def build(plan: Plan, targets: Iterable[str]) -> Built:
    """Resources (not yet rendered) for `targets`, in target order, and notes on allocations
    that none of them emits.

    A target that cannot run a workload's engine (planner/facts/engines.py) refuses that
    allocation; emitting then fails (InputError, exit 2) unless another of `targets` deploys
    it, in which case the refusal is a note. A plan sized for one engine is never deployed on
    another.
    """
    built = [builder(target)(plan) for target in targets]
    covered = frozenset().union(*(b.covered for b in built))
    refused = [n for b in built for n in b.refused]
    unserved = [n for n in refused if (n.workload, n.index) not in covered]
    if unserved:
        raise _refusal(plan, unserved, "emit")
    return Built(
        tuple(r for b in built for r in b.resources),
        tuple(n for b in built for n in b.notes if (n.workload, n.index) not in covered)
        + tuple(
            Note(n.target, n.workload, n.index, f"{n.text}; skipped (another target deploys it)")
            for n in refused
        ),
        covered,
        tuple(a for b in built for a in b.advisories),
    )


def _refusal(plan: Plan, refused, verb: str) -> InputError:
    return InputError(
        f"plan {plan.plan_id}: refusing to {verb} {len(refused)} allocation(s) on a target "
        "that cannot deploy them (the engine their capacity was planned for, or what their "
        "cloud lacks):\n" + "\n".join(f"  - {n.text}" for n in refused)
    )


def launchable(plan: Plan, built: Built) -> tuple[Resource, ...]:
    """One target's resources for a launcher; InputError (exit 2) when the target refused an
    allocation for its engine (a launch must not silently leave it out)."""
    if built.refused:
        raise _refusal(plan, built.refused, "launch")
    return built.resources


def check_residency(plan: Plan) -> None:
    """Refuse a plan whose deployment would reference anything outside its allowed regions."""
    found = breaches(plan)
    if found:
        raise InputError(
            f"plan {plan.plan_id}: refusing to emit {len(found)} resource reference(s) outside "
            "their allowed region:\n" + "\n".join(f"  - {p}" for p in found)
        )


def resources(plan: Plan, targets: Iterable[str]) -> tuple[tuple[Resource, ...], list[str]]:
    """The files for `targets` not yet rendered (`render` renders one), and `emit`'s notes."""
    check_residency(plan)
    built = build(plan, targets)
    return built.resources, [n.text for n in built.notes] + list(built.advisories)


def emit(plan: Plan, targets: Iterable[str]) -> tuple[list[Rendered], list[str]]:
    """Rendered files for `targets`, notes on the allocations each target skipped, and notes
    on security settings loosened where the deployment could not run otherwise."""
    found, notes = resources(plan, targets)
    return [render(r) for r in found], notes


def expand(target: str) -> tuple[str, ...]:
    """`all` as every target; any other name as itself."""
    if target == "all":
        return TARGETS
    builder(target)
    return (target,)


__all__ = [
    "TARGETS",
    "Built",
    "Note",
    "Rendered",
    "Resource",
    "build",
    "builder",
    "emit",
    "expand",
    "launchable",
    "render",
    "resources",
]
