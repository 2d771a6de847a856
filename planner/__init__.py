"""The LLM placement planner: where and on what to run LLM workloads, and at what cost.

The public API, imported lazily so `import planner` (and the CLI's start-up) stays fast:

    spec = planner.load_spec("fleet.yaml")
    catalog = planner.load_catalog()            # bundled; or load_catalog(["my.csv", "bundled"])
    h100 = planner.select_offerings(catalog, accelerators=["H100"])
    fleet = planner.plan(spec, catalog)         # a Plan: allocations, costs, bound, and its
    fleet.annotations.baselines                 # annotations: baselines, hourly schedule
    planner.verify_plan(fleet, spec).ok          # every check `planner verify` runs

Every verb's use case is in `planner.app` (plan, frontier, sweep, verify, report, diff, check,
export, emit), each returning a typed result; the most used are re-exported here (a use case
named like a sub-package of `planner` gets a `_plan` suffix: `verify_plan`, `report_plan`,
`emit_plan`).
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
    "PlanAnnotations": "planner.plans",
    "plan": "planner.app.planning",
    "frontier": "planner.app.planning",
    "verify_plan": "planner.app.review",
    "report_plan": "planner.app.review",
    "diff": "planner.app.review",
    "check": "planner.app.review",
    "export": "planner.app.review",
    "emit_plan": "planner.app.deploy",
    "estimate_load": "planner.api",
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
    "PlanAnnotations",
    "PlannerError",
    "Spec",
    "SpecError",
    "__version__",
    "app",
    "check",
    "diff",
    "emit_plan",
    "estimate_load",
    "export",
    "find_accelerator",
    "find_llm",
    "frontier",
    "load_catalog",
    "load_spec",
    "parse_spec",
    "plan",
    "report_plan",
    "select_offerings",
    "spec_json_schema",
    "verify_plan",
]

if TYPE_CHECKING:
    from planner import app
    from planner.api import estimate_load
    from planner.app.deploy import emit as emit_plan
    from planner.app.planning import frontier, plan
    from planner.app.review import check, diff, export
    from planner.app.review import report as report_plan
    from planner.app.review import verify as verify_plan
    from planner.catalog import Catalog, Offering, load_catalog, select_offerings
    from planner.errors import InfeasibleError, InputError, PlannerError
    from planner.facts import LLM, Accelerator, find_accelerator, find_llm
    from planner.plans import Plan, PlanAnnotations
    from planner.spec import Spec, SpecError, load_spec, parse_spec, spec_json_schema


_RENAMED = {"verify_plan": "verify", "report_plan": "report", "emit_plan": "emit"}
"""Use cases exported under another name than their own (theirs is a sub-package's)."""


def __getattr__(name: str) -> Any:
    if name == "app":
        return importlib.import_module("planner.app")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
