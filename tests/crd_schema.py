"""Validate custom resources against the CRDs their projects publish (tests/data/crds/*).

Each CRD's openAPIV3Schema is checked with jsonschema, as strictly as `kubectl apply
--validate=strict`: an object schema that lists its properties rejects any other key (the API
server would prune it silently), except where the CRD says x-kubernetes-preserve-unknown-fields.
CEL rules (x-kubernetes-validations) are not evaluated.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

CRDS = Path(__file__).resolve().parent / "data" / "crds"
CRD_FILES = {
    (
        "leaderworkerset.x-k8s.io",
        "LeaderWorkerSet",
    ): "lws/leaderworkerset.x-k8s.io_leaderworkersets.yaml",
    ("karpenter.sh", "NodePool"): "karpenter/karpenter.sh_nodepools.yaml",
    ("ray.io", "RayService"): "kuberay/ray.io_rayservices.yaml",
    ("ray.io", "RayJob"): "kuberay/ray.io_rayjobs.yaml",
    **{
        ("kueue.x-k8s.io", kind): f"kueue/kueue.x-k8s.io_{plural}.yaml"
        for kind, plural in (
            ("ClusterQueue", "clusterqueues"),
            ("LocalQueue", "localqueues"),
            ("ResourceFlavor", "resourceflavors"),
            ("WorkloadPriorityClass", "workloadpriorityclasses"),
        )
    },
}


def _strict(schema: Any) -> Any:
    """The schema with unknown keys refused wherever it lists properties."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@cache
def _schemas(group: str, kind: str) -> dict[str, dict]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    crd = yaml.load((CRDS / CRD_FILES[(group, kind)]).read_text(), Loader=loader)
    assert crd["spec"]["group"] == group and crd["spec"]["names"]["kind"] == kind
    return {
        v["name"]: _strict(v["schema"]["openAPIV3Schema"])
        for v in crd["spec"]["versions"]
        if v.get("served", True)
    }


def known(data: dict) -> bool:
    """Whether a published CRD is bundled for the resource's group and kind."""
    group = data.get("apiVersion", "").rpartition("/")[0]
    return (group, data.get("kind")) in CRD_FILES


def errors(data: dict) -> list[str]:
    """Every way `data` breaks its CRD's schema (empty: it validates)."""
    import jsonschema

    group, _, version = data["apiVersion"].rpartition("/")
    schemas = _schemas(group, data["kind"])
    if version not in schemas:
        return [f"{data['kind']}: version {version} is not served (served: {sorted(schemas)})"]
    validator = jsonschema.Draft4Validator(schemas[version])
    return sorted(
        f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in validator.iter_errors(data)
    )


def check(data: dict) -> None:
    """Assert that `data` validates against its published CRD."""
    assert errors(data) == []


def ray_cluster_spec_errors(cluster: dict) -> list[str]:
    """Every way a RayClusterSpec (a RayJob's rayClusterSpec) breaks KubeRay's published schema
    of that type: the RayService CRD's rayClusterConfig, the same Go type at the same commit."""
    import jsonschema

    spec = _schemas("ray.io", "RayService")["v1"]["properties"]["spec"]
    validator = jsonschema.Draft4Validator(spec["properties"]["rayClusterConfig"])
    return sorted(
        f"rayClusterSpec.{'.'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(cluster)
    )
