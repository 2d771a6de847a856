"""What a plan's deployment uses, as every consumer reads it: its deploy settings, its
allocations numbered per workload, and the images and weights each allocation loads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import ValidationError

from planner.errors import InputError
from planner.facts.engines import TRAINING, platform_of, serving_image, why_not
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


@dataclass(frozen=True)
class Server:
    """The container that serves an allocation: its image and command (empty: the image's
    entrypoint)."""

    image: str
    command: tuple[str, ...]


def server(
    deploy: Deploy,
    engine: str,
    accelerator: str,
    target: str,
    region: str = "",
    kind: str = "serving",
) -> Server:
    """The image and command that run `engine` (a `kind` allocation) on `accelerator` for
    `target`.

    planner/facts/data/serving_images.csv decides, by the chip's platform (CUDA, ROCm, Neuron,
    TPU) and generation. The spec's own images replace the table's only where they were meant
    to: deploy.accelerator_images per chip (vLLM), and, on NVIDIA GPUs, the image fields of
    deploy (image, vertex_image, sagemaker_image, training_image, engines.*) when the spec set
    them to something other than their defaults (which are the table's pre-Blackwell CUDA
    builds). A combination the table lacks is an InputError naming engine, chip and target: the
    solver never plans one, but a plan edited by hand can hold one.
    """
    runs = TRAINING if kind == "training" else engine
    found = serving_image(runs, accelerator, target)
    why = why_not(engine, target, accelerator, kind)
    if found is None or why:
        raise InputError(
            f"engine {runs} on accelerator {accelerator} cannot be deployed to {target}: "
            f"{why or 'no known image'}"
        )
    platform = platform_of(accelerator)
    given = ""
    if kind != "training" and engine == "vllm" and accelerator in deploy.accelerator_images:
        given = deploy.accelerator_images[accelerator]
    elif platform is not None and platform.name == "cuda":
        given = _cuda_image(deploy, runs, target)
    return Server((given or found.image).format(region=region), found.command)


def _set(deploy: Deploy, field: str) -> str:
    """deploy's `field` where the spec changed it from its default; empty otherwise."""
    value = getattr(deploy, field)
    return value if value != Deploy.model_fields[field].default else ""


def _cuda_image(deploy: Deploy, engine: str, target: str) -> str:
    """The spec's own image for `engine` on NVIDIA GPUs at `target`; empty: the table's."""
    if engine == TRAINING:
        return _set(deploy, "training_image")
    if engine == "vllm":
        if target == "sagemaker":
            return _set(deploy, "sagemaker_image")
        if target == "vertex":
            return _set(deploy, "vertex_image") or _set(deploy, "image")
        return _set(deploy, "image")
    settings_ = deploy.engines.get(engine)  # type: ignore[call-overload]
    if settings_ is None:
        return ""
    return settings_.sagemaker_image if target == "sagemaker" else settings_.image
