"""Golden files pin what `planner emit` writes for a few saved plans, byte for byte.

The plans are saved JSON (tests/golden/plans), so a change in the solver does not move these
files; a change in the emitters or templates does, and shows up as a reviewable diff.
Regenerate after an intended change with:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_emit_golden.py
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from planner.emit import TARGETS, emit
from planner.plans.io import load_plan

GOLDEN = Path(__file__).resolve().parent / "golden"
PLANS = sorted((GOLDEN / "plans").glob("*.json"))
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("plan_file", PLANS, ids=[p.stem for p in PLANS])
def test_emitted_files_match_the_golden_files(plan_file: Path):
    files, notes = emit(load_plan(plan_file), TARGETS)
    folder = GOLDEN / "emit" / plan_file.stem
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
