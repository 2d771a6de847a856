"""Workload specs: the models, and loading a file with clear, line-numbered errors."""

from planner.spec.load import SpecError, load_spec, parse_spec, spec_json_schema
from planner.spec.models import (
    BatchWorkload,
    Constraints,
    Placement,
    Quota,
    ServingWorkload,
    Spec,
    Traffic,
    TrainingWorkload,
    Workload,
)

__all__ = [
    "BatchWorkload",
    "Constraints",
    "Placement",
    "Quota",
    "ServingWorkload",
    "Spec",
    "SpecError",
    "Traffic",
    "TrainingWorkload",
    "Workload",
    "load_spec",
    "parse_spec",
    "spec_json_schema",
]
