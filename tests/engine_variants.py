"""Example plans sized for SGLang and TensorRT-LLM, for the tests of what the emitters write for
those engines: each is the plan of an example spec with every serving workload's `engine` set,
for conftest.PLAN_DATE, saved in tests/golden/engine-plans (re-planned with REPLAN_GOLDEN=1, see
tests/test_emit_golden.py) so that a solver change does not move the emitted golden files."""

from __future__ import annotations

from pathlib import Path

import yaml

from planner.plans.io import load_plan
from planner.plans.model import Plan
from planner.spec import parse_spec
from planner.spec.models import Spec

ROOT = Path(__file__).resolve().parent.parent
SAVED = ROOT / "tests" / "golden" / "engine-plans"
VARIANTS = (
    ("eu-residency", "sglang"),
    ("eu-residency", "trt-llm"),
    ("sagemaker-endpoint", "trt-llm"),
    ("vertex-endpoint", "sglang"),
    ("vertex-endpoint", "trt-llm"),
)
"""(example, engine) pairs every target can emit (Ray refusing with a note)."""
NAMES = [f"{base}-{engine}" for base, engine in VARIANTS]


def variant_spec(base: str, engine: str) -> Spec:
    """The example spec `base` with every serving and batch workload on `engine`."""
    data = yaml.safe_load((ROOT / "examples" / f"{base}.yaml").read_text())
    for workload in data["workloads"]:
        if workload["kind"] in ("serving", "batch"):
            workload["engine"] = engine
    return parse_spec(yaml.safe_dump(data, sort_keys=False), f"{base} with engine {engine}")


def saved_file(base: str, engine: str) -> Path:
    return SAVED / f"{base}-{engine}.json"


def variant_plan(base: str, engine: str, **deploy) -> Plan:
    """The saved plan of `base` sized for `engine` (deploy settings replaced by `deploy`'s
    where given)."""
    plan = load_plan(saved_file(base, engine), notes=lambda _: None)
    if not deploy:
        return plan
    return plan.model_copy(update={"deploy": {**plan.deploy.model_dump(mode="json"), **deploy}})


def variant_file(base: str, engine: str, folder: Path) -> Path:
    """The saved plan copied into `folder` (what `planner emit` reads)."""
    path = folder / f"{base}-{engine}.json"
    path.write_text(saved_file(base, engine).read_text())
    return path
