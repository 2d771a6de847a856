"""Golden files pin what `planner emit` writes for a few saved plans, byte for byte.

The plans are saved JSON (tests/golden/plans): each is the plan of the example of the same name
for conftest.PLAN_DATE, saved so that a change in the solver does not move the emitted files;
a change in the emitters or templates does, and shows up as a reviewable diff. Each saved plan
must still pass `verify` against its example under today's model and catalog: when a model or
catalog change breaks that, re-plan the examples deliberately. Regenerate with:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_emit_golden.py           # emitted files
    REPLAN_GOLDEN=1 UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_emit_golden.py  # plans too
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import PLAN_DATE

from planner.catalog import load_catalog
from planner.emit import TARGETS, emit
from planner.plans.io import load_plan
from planner.solve import solve
from planner.spec import load_spec
from planner.verify import verify
from tests.engine_variants import NAMES, VARIANTS, saved_file, variant_plan, variant_spec

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
PLANS = sorted((GOLDEN / "plans").glob("*.json"))
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
REPLAN = os.environ.get("REPLAN_GOLDEN") == "1"


def _example(plan_file: Path) -> Path:
    return ROOT / "examples" / f"{plan_file.stem}.yaml"


@pytest.mark.parametrize("plan_file", PLANS, ids=[p.stem for p in PLANS])
def test_each_saved_plan_is_a_valid_plan_of_its_example(plan_file: Path):
    spec = load_spec(_example(plan_file))
    if REPLAN:
        data = solve(spec, as_of=PLAN_DATE).model_dump(mode="json")
        plan_file.write_text(json.dumps(data, indent=2) + "\n")
    plan = load_plan(plan_file, spec=spec)
    assert plan.plan_date == PLAN_DATE
    assert verify(plan, spec, load_catalog()) == []


@pytest.mark.parametrize("plan_file", PLANS, ids=[p.stem for p in PLANS])
def test_emitted_files_match_the_golden_files(plan_file: Path):
    check_golden(load_plan(plan_file), GOLDEN / "emit" / plan_file.stem)


@pytest.mark.parametrize(("base", "engine"), VARIANTS, ids=NAMES)
def test_each_saved_engine_plan_is_a_valid_plan_of_its_example(base: str, engine: str):
    spec = variant_spec(base, engine)
    plan_file = saved_file(base, engine)
    if REPLAN:
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        data = solve(spec, as_of=PLAN_DATE).model_dump(mode="json")
        plan_file.write_text(json.dumps(data, indent=2) + "\n")
    plan = load_plan(plan_file, spec=spec)
    assert {w.engine for w in plan.workloads if w.kind == "serving"} == {engine}
    assert verify(plan, spec, load_catalog()) == []


@pytest.mark.parametrize(("base", "engine"), VARIANTS, ids=NAMES)
def test_files_for_other_engines_match_their_golden_files(base: str, engine: str):
    check_golden(variant_plan(base, engine), GOLDEN / "emit" / f"{base}-{engine}")


def check_golden(plan, folder: Path) -> None:
    """The plan's emitted files (and notes) are the golden files in `folder`, byte for byte."""
    files, notes = emit(plan, TARGETS)
    produced = {f.path: f.text for f in files}
    produced["NOTES.txt"] = "".join(f"{n}\n" for n in notes)
    if UPDATE:
        shutil.rmtree(folder, ignore_errors=True)
        for path, text in produced.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_text(text)
    on_disk = {str(p.relative_to(folder)): p.read_text() for p in folder.rglob("*") if p.is_file()}
    assert sorted(on_disk) == sorted(produced), "files differ; see UPDATE_GOLDEN in this module"
    for path, text in produced.items():
        assert on_disk[path] == text, f"{path} differs from its golden file"


def test_the_same_plan_gives_byte_identical_output():
    plan = load_plan(GOLDEN / "plans" / "sagemaker-endpoint.json")
    first, _ = emit(plan, TARGETS)
    data = plan.model_dump(mode="json")
    data["deploy"] = dict(reversed(list(data["deploy"].items())))
    second, _ = emit(type(plan).model_validate(data), TARGETS)
    assert [(f.path, f.text) for f in first] == [(f.path, f.text) for f in second]
