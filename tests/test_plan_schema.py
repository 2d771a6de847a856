"""Plan schema version 3: what a plan records about where it came from, its optional
annotations document, and version 1 and 2 files (read and upgraded)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from planner.errors import InputError
from planner.plans.annotations import PlanAnnotations, RobustCoverage
from planner.plans.identity import plan_id, spec_digest
from planner.plans.io import load_plan
from planner.plans.model import SCHEMA_VERSION
from planner.solve import solve
from planner.spec import load_spec
from planner.spec.deploy import Deploy

ROOT = Path(__file__).resolve().parent.parent
VERSION_1_PLAN = ROOT / "tests" / "data" / "plan-v1-chatbot-fleet.json"
"""A plan file as version 1 of the schema wrote it (kept as it was written, never re-planned)."""
VERSION_2_PLAN = ROOT / "tests" / "data" / "plan-v2-chatbot-fleet.json"
"""A plan file as version 2 wrote it (`planner plan examples/chatbot-fleet.yaml --date
2026-11-15`: baselines and an hourly schedule at the top level; kept as it was written)."""
DAY = dt.date(2026, 11, 15)


@pytest.fixture(scope="module")
def plan():
    return solve(load_spec(ROOT / "examples" / "eu-residency.yaml"), as_of=DAY)


def test_a_plan_records_its_date_spec_digest_and_catalog_digest(plan):
    spec = load_spec(ROOT / "examples" / "eu-residency.yaml")
    assert plan.schema_version == SCHEMA_VERSION == 3
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
    robust = {"scenarios": 2, "coverage_target": 1, "coverage": 1, "covered": ["a"],
              "uncovered": [{"id": "b", "label": "x", "reason": "y"}],
              "modelled": ["a"], "rounds": 1}  # fmt: skip
    data["annotations"] = {"robust": robust}
    assert isinstance(type(plan).model_validate(data).annotations.robust, RobustCoverage)


def test_serving_allocations_carry_their_routed_rate_per_bucket(plan):
    for a in plan.allocations:
        if a.kind == "serving":
            assert a.routed_by_bucket
            assert sum(b.rps for b in a.routed_by_bucket) == pytest.approx(a.routed_rps, abs=1e-5)


def test_a_version_1_file_is_read_and_upgraded_with_a_note():
    notes: list[str] = []
    plan = load_plan(VERSION_1_PLAN, notes=notes.append)
    raw = json.loads(VERSION_1_PLAN.read_text())
    assert raw["schema_version"] == 1 and plan.schema_version == 3
    assert [b.name for b in plan.annotations.baselines] == [b["name"] for b in raw["baselines"]]
    assert plan.plan_id == raw["plan_id"] and plan.plan_date is None and plan.spec_sha256 is None
    assert len(notes) == 1 and "version 1" in notes[0]


def test_a_version_1_file_holding_version_2_fields_is_refused(plan, tmp_path):
    data = plan.model_dump(mode="json") | {"schema_version": 1}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="schema_version: 1, but it holds the version 2"):
        load_plan(path)


def test_a_version_2_file_is_read_with_its_annotations_moved_and_its_id_kept():
    notes: list[str] = []
    spec = load_spec(ROOT / "examples" / "chatbot-fleet.yaml")
    plan = load_plan(VERSION_2_PLAN, notes=notes.append, spec=spec)
    raw = json.loads(VERSION_2_PLAN.read_text())
    assert raw["schema_version"] == 2 and plan.schema_version == 3 and notes == []
    assert plan.plan_id == raw["plan_id"] == plan_id(raw["spec_sha256"], DAY, plan.allocations)
    found = plan.annotations.model_dump(mode="json")
    assert raw["baselines"] and raw["schedule"]
    assert {k: raw[k] for k in ("baselines", "schedule", "frontier", "robust")} == found
    # the autoscaling figures derived from the schedule are the ones version 2 wrote
    assert plan.economics.model_dump(mode="json") == raw["economics"]


def test_a_version_2_file_without_annotations_reads_as_a_plan_without_them(plan, tmp_path):
    data = json.loads(VERSION_2_PLAN.read_text())
    data |= {"baselines": [], "schedule": [], "frontier": None, "robust": None}
    data["economics"] = None  # derived again on load
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    assert load_plan(path).annotations is None


@pytest.mark.parametrize("field", ["frontier", "robust"])
def test_a_version_2_frontier_or_robust_section_moves_into_the_annotations(tmp_path, field):
    data = json.loads(VERSION_2_PLAN.read_text())
    value = {
        "frontier": [{"completion_hours": 4.0, "objective_value": 9.0, "cost_per_hour": 1.0,
                      "job_cost": 5.0}],
        "robust": {"scenarios": 2, "coverage_target": 1, "coverage": 1, "covered": ["a", "b"],
                   "uncovered": [], "modelled": ["a"], "rounds": 1},
    }[field]  # fmt: skip
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data | {field: value}))
    moved = load_plan(path).annotations.model_dump(mode="json")[field]
    assert moved == (
        value
        if field == "frontier"
        else value | {"worst_case_cost": None, "worst_case_scenario": None}
    )


def test_a_version_2_file_holding_version_3_fields_is_refused(tmp_path):
    data = json.loads(VERSION_2_PLAN.read_text()) | {"annotations": None}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="schema_version: 2, but it holds the version 3"):
        load_plan(path)


def test_a_version_1_file_holding_version_3_fields_is_refused_naming_them(tmp_path):
    data = json.loads(VERSION_1_PLAN.read_text()) | {"annotations": None}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="schema_version: 1, but it holds the version 3"):
        load_plan(path)


def test_a_version_3_file_with_annotations_at_the_top_level_is_refused(plan, tmp_path):
    data = plan.model_dump(mode="json") | {"baselines": []}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="baselines: Extra inputs are not permitted"):
        load_plan(path)


def test_the_plan_id_does_not_depend_on_the_annotations(plan, tmp_path):
    annotated = plan.model_copy(
        update={"annotations": PlanAnnotations(schedule=[], frontier=[], robust=None)}
    )
    spec = load_spec(ROOT / "examples" / "eu-residency.yaml")
    path = tmp_path / "plan.json"
    path.write_text(annotated.model_dump_json())
    again = load_plan(path, spec=spec)
    assert again.annotations == annotated.annotations and plan.annotations is None
    assert again.plan_id == plan.plan_id == plan_id(plan.spec_sha256, DAY, again.allocations)


@pytest.mark.parametrize("version", [0, 4, "2", True, None])
def test_an_unknown_schema_version_is_refused(plan, tmp_path, version):
    data = plan.model_dump(mode="json") | {"schema_version": version}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="schema_version"):
        load_plan(path)
