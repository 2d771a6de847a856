"""YAML: a plan as its JSON data in YAML (block style, keys in order)."""

from __future__ import annotations

from planner.render import Format, renderer


@renderer("Plan", Format.yaml)
@renderer("Frontier", Format.yaml)
def plan(result, *, width=None) -> str:
    import yaml

    return yaml.safe_dump(result.model_dump(mode="json"), sort_keys=False)
