"""Data residency carried into deployment: no allocation may reference anything outside its
workload's allowed regions, and a KMS key must sit in its endpoint's region.

`breaches(plan)` is shared by `planner emit` (which refuses) and `planner verify` (which reports).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from planner.clouds import SERVICES, VM_SERVICES
from planner.clouds.locations import Located, locate, outside
from planner.errors import InputError
from planner.plans.model import Allocation, Plan, WorkloadResult
from planner.rules.deployment import placed, server, settings, weights_source
from planner.spec.deploy import Deploy


@dataclass(frozen=True)
class ResidencyBreach:
    """A reference that breaks residency (or its endpoint's region), naming the resource."""

    workload: str
    message: str

    def __str__(self) -> str:
        return f"{self.workload}: {self.message}"


def _image(deploy: Deploy, engine: str, accelerator: str, service: str, region: str) -> list[str]:
    """The serving image an allocation of `service` in `region` would pull (none where no
    target can deploy it: emit refuses that and verify says so on its own)."""
    found = SERVICES.get(service)
    if found is not None and found.is_managed:
        target = found.kind  # a managed service's emit target is its kind
    elif service in VM_SERVICES:
        target = "kubernetes"
    else:
        return []
    try:
        return [server(deploy, engine, accelerator, target, region).image]
    except InputError:
        return []


@lru_cache(maxsize=16)
def _deploy(deploy_json: str) -> Deploy:
    """The deploy section `deploy_json` holds, parsed once (a fleet has one; every offering
    asks)."""
    return Deploy.model_validate_json(deploy_json)


@lru_cache(maxsize=4096)
def image_outside(
    deploy_json: str, engine: str, accelerator: str, service: str, region: str,
    allowed: tuple[str, ...],
) -> str | None:  # fmt: skip
    """Why the image an allocation (`engine` on `accelerator` of `service` in `region`) would
    pull breaks residency in `allowed`, or None. The solver asks this before it considers an
    offering, so that it never plans what `breaches` (emit, verify) then refuses; `deploy_json`
    is the spec's deploy section as JSON (hashable, so answers are shared across workloads)."""
    deploy = _deploy(deploy_json)
    for image in _image(deploy, engine, accelerator, service, region):
        found = locate("image", image, deploy.security.bucket_regions)
        why = outside(found, list(allowed)) if found is not None else None
        if why:
            return f"image {image}: {why}"
    return None


def references(deploy: Deploy, alloc: Allocation, workload: WorkloadResult) -> list[Located]:
    """Everything with a location that this allocation's deployment would use."""
    region, keys = alloc.region, deploy.security
    refs = [
        ("image", image)
        for image in _image(deploy, workload.engine, alloc.accelerator, alloc.service, region)
    ]
    found = SERVICES.get(alloc.service)
    if found is not None and found.is_managed:
        key = found.kms_key(keys) if found.kms_key else ""
        if key:
            refs.append(("KMS key", key.format(region=region)))
    if alloc.kind != "training":
        refs.append(("weights", weights_source(deploy, workload)))
    found = (locate(kind, ref, keys.bucket_regions) for kind, ref in refs)
    return [f for f in found if f is not None]


def breaches(plan: Plan) -> list[ResidencyBreach]:
    """Every reference outside its workload's allowed regions, and every key in the wrong region."""
    deploy = settings(plan)
    out = []
    for item in placed(plan):
        a, w = item.allocation, item.workload
        where = f"allocation {item.index} ({a.service} in {a.region})"
        for ref in references(deploy, a, w):
            why = outside(ref, w.allowed_regions) if w.allowed_regions else None
            if why:
                out.append(
                    ResidencyBreach(
                        w.name,
                        f"{where}: {ref.kind} {ref.ref} breaks residency "
                        f"{list(w.allowed_regions)}: {why}",
                    )
                )
            elif ref.kind == "KMS key" and ref.region != a.region:
                out.append(
                    ResidencyBreach(w.name, f"{where}: KMS key {ref.ref} must be in {a.region}")
                )
    return sorted(set(out), key=lambda p: (p.workload, p.message))
