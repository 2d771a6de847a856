"""Plan schema version 2: what a plan records about where it came from, and version 1 files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from planner.errors import InputError
from planner.plans.identity import plan_id, spec_digest
from planner.plans.io import load_plan
from planner.plans.model import SCHEMA_VERSION, RobustCoverage
from planner.solve import solve
from planner.spec import load_spec
from planner.spec.deploy import Deploy

ROOT = Path(__file__).resolve().parent.parent
VERSION_1_PLAN = ROOT / "tests" / "data" / "plan-v1-chatbot-fleet.json"
"""A plan file as version 1 of the schema wrote it (kept as it was written, never re-planned)."""
DAY = dt.date(2026, 11, 15)


@pytest.fixture(scope="module")
def plan():
    return solve(load_spec(ROOT / "examples" / "eu-residency.yaml"), as_of=DAY)


def test_a_plan_records_its_date_spec_digest_and_catalog_digest(plan):
    spec = load_spec(ROOT / "examples" / "eu-residency.yaml")
    assert plan.schema_version == SCHEMA_VERSION == 2
    assert plan.plan_date == DAY
    assert plan.spec_sha256 == spec_digest(spec) and len(plan.spec_sha256) == 64
    assert plan.catalog_sha256 and len(plan.catalog_sha256) == 64
    assert plan.plan_id == plan_id(plan.spec_sha256, DAY, plan.allocations)


def test_the_same_fleet_planned_for_another_date_has_another_id(plan):
    later = solve(load_spec(ROOT / "examples" / "eu-residency.yaml"), as_of=dt.date(2031, 6, 30))
    assert later.allocations == plan.allocations
    assert later.plan_id != plan.plan_id and later.plan_date == dt.date(2031, 6, 30)


def test_deploy_and_robust_are_typed(plan):
    assert isinstance(plan.deploy, Deploy)
    data = plan.model_dump(mode="json")
    data["robust"] = {"scenarios": 2, "coverage_target": 1, "coverage": 1, "covered": ["a"],
                      "uncovered": [{"id": "b", "label": "x", "reason": "y"}],
                      "modelled": ["a"], "rounds": 1}  # fmt: skip
    assert isinstance(type(plan).model_validate(data).robust, RobustCoverage)


def test_serving_allocations_carry_their_routed_rate_per_bucket(plan):
    for a in plan.allocations:
        if a.kind == "serving":
            assert a.routed_by_bucket
            assert sum(b.rps for b in a.routed_by_bucket) == pytest.approx(a.routed_rps, abs=1e-5)


def test_a_version_1_file_is_read_and_upgraded_with_a_note():
    notes: list[str] = []
    plan = load_plan(VERSION_1_PLAN, notes=notes.append)
    raw = json.loads(VERSION_1_PLAN.read_text())
    assert raw["schema_version"] == 1 and plan.schema_version == 2
    assert plan.plan_id == raw["plan_id"] and plan.plan_date is None and plan.spec_sha256 is None
    assert len(notes) == 1 and "version 1" in notes[0]


def test_a_version_1_file_holding_version_2_fields_is_refused(plan, tmp_path):
    data = plan.model_dump(mode="json") | {"schema_version": 1}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="schema_version: 1, but it holds the version 2"):
        load_plan(path)


@pytest.mark.parametrize("version", [0, 3, "2", True, None])
def test_an_unknown_schema_version_is_refused(plan, tmp_path, version):
    data = plan.model_dump(mode="json") | {"schema_version": version}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="schema_version"):
        load_plan(path)
