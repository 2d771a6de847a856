"""The LLM placement planner: where and on what to run LLM workloads, and at what cost.

The public API, imported lazily so `import planner` (and the CLI's start-up) stays fast:

    spec = planner.load_spec("fleet.yaml")
    catalog = planner.load_catalog()            # bundled; or load_catalog(["my.csv", "bundled"])
    h100 = planner.select_offerings(catalog, accelerators=["H100"])
    fleet = planner.plan(spec, catalog)         # a Plan: allocations, costs, bound, baselines
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Spec": "planner.spec",
    "SpecError": "planner.spec",
    "load_spec": "planner.spec",
    "parse_spec": "planner.spec",
    "spec_json_schema": "planner.spec",
    "Catalog": "planner.catalog",
    "Offering": "planner.catalog",
    "load_catalog": "planner.catalog",
    "select_offerings": "planner.catalog",
    "LLM": "planner.facts",
    "Accelerator": "planner.facts",
    "find_llm": "planner.facts",
    "find_accelerator": "planner.facts",
    "PlannerError": "planner.errors",
    "InfeasibleError": "planner.errors",
    "Plan": "planner.plans",
    "plan": "planner.api",
    "InputError": "planner.errors",
}

__all__ = [
    "LLM",
    "Accelerator",
    "Catalog",
    "InfeasibleError",
    "InputError",
    "Offering",
    "Plan",
    "PlannerError",
    "Spec",
    "SpecError",
    "__version__",
    "find_accelerator",
    "find_llm",
    "load_catalog",
    "load_spec",
    "parse_spec",
    "plan",
    "select_offerings",
    "spec_json_schema",
]

if TYPE_CHECKING:
    from planner.api import plan
    from planner.catalog import Catalog, Offering, load_catalog, select_offerings
    from planner.errors import InfeasibleError, InputError, PlannerError
    from planner.facts import LLM, Accelerator, find_accelerator, find_llm
    from planner.plans import Plan
    from planner.spec import Spec, SpecError, load_spec, parse_spec, spec_json_schema


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
