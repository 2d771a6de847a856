"""Every constraint family applies to every workload kind it names, or the spec refuses its
field for that kind (exit 2, the field named): no rule is silently ignored for a kind."""

from __future__ import annotations

import pytest

from planner.spec import SpecError, parse_spec
from tests.conftest import EXAMPLES

BY_NAME = {p.name: p for p in EXAMPLES}
BATCH = BY_NAME["nightly-batch-spot.yaml"].read_text()
TRAINING = BY_NAME["finetune-with-quota.yaml"].read_text()


def with_placement(kind: str, line: str) -> str:
    """The batch or training example with one more placement line."""
    if kind == "batch":
        return BATCH.replace("max_spot_share: 1.0", f"max_spot_share: 1.0\n      {line}")
    return TRAINING.replace("providers: [aws, gcp]", f"providers: [aws, gcp]\n      {line}")


SPREAD = [
    ("min_regions", "min_regions: 2"),
    ("min_region_share", "min_region_share: 0.3"),
    ("survive_region_loss", "survive_region_loss: true"),
]


@pytest.mark.parametrize("kind", ["batch", "training"])
@pytest.mark.parametrize(("field", "line"), SPREAD)
def test_a_job_that_asks_for_a_region_spread_is_refused_with_the_field_named(kind, field, line):
    with pytest.raises(SpecError, match=rf"placement\.{field} applies to serving workloads only"):
        parse_spec(with_placement(kind, line), "job.yaml")


@pytest.mark.parametrize("kind", ["batch", "training"])
def test_a_job_may_state_the_spread_defaults(kind):
    text = with_placement(kind, "min_regions: 1\n      survive_region_loss: false")
    assert parse_spec(text).workloads[0].placement.min_regions == 1


def test_planner_plan_exits_2_naming_min_regions_on_a_batch_job(cli, tmp_path):
    path = tmp_path / "batch.yaml"
    path.write_text(with_placement("batch", "min_regions: 2"))
    result = cli("plan", path)
    assert result.exit_code == 2
    assert "placement.min_regions applies to serving workloads only" in result.stderr
    assert "Traceback" not in result.stderr


SERVING = BY_NAME["chatbot-fleet.yaml"].read_text()
NON_DEFAULT = {
    "min_regions": 2,
    "min_region_share": 0.3,
    "survive_region_loss": True,
    "max_spot_share": 0.5,
    "min_replicas": 2,
    "max_replicas": 3,
    "edge_share_max": 0.5,
    "deadline_hours": 30,
}
"""A value other than the default for each family field a workload sets."""


def _families():
    import importlib
    import pkgutil

    import planner.rules

    for info in pkgutil.iter_modules(planner.rules.__path__):
        module = importlib.import_module(f"planner.rules.{info.name}")
        fields = getattr(module, "FIELDS", None) or (getattr(module, "FIELD", None),)
        for field in fields:
            if field in NON_DEFAULT:
                yield info.name, field, module.KINDS


def _first_workload(kind: str) -> dict:
    import yaml

    text = {"serving": SERVING, "batch": BATCH, "training": TRAINING}[kind]
    data = yaml.safe_load(text)
    data["workloads"] = [w for w in data["workloads"] if w["kind"] == kind][:1]
    return data


FAMILY_FIELDS = sorted(_families())


def test_every_workload_field_of_a_family_is_covered():
    assert {field for _, field, _ in FAMILY_FIELDS} == set(NON_DEFAULT)


@pytest.mark.parametrize(("family", "field", "kinds"), FAMILY_FIELDS)
@pytest.mark.parametrize("kind", ["serving", "batch", "training"])
def test_a_family_field_is_applied_to_the_kinds_it_names_and_refused_for_the_others(
    family, field, kinds, kind
):
    from planner.spec.models import Placement

    data = _first_workload(kind)
    workload = data["workloads"][0]
    if field in Placement.model_fields:
        workload.setdefault("placement", {})[field] = NON_DEFAULT[field]
    else:
        workload[field] = NON_DEFAULT[field]
    if kind in kinds:
        spec = parse_spec(data)
        got = spec.workloads[0]
        where = got.placement if field in Placement.model_fields else got
        assert getattr(where, field) == NON_DEFAULT[field]
    else:
        with pytest.raises(SpecError, match=field):
            parse_spec(data)


def test_every_family_module_is_in_the_registry():
    import importlib
    import pkgutil

    import planner.rules
    from planner.rules.families import FAMILIES

    declared = {
        module.__name__
        for info in pkgutil.iter_modules(planner.rules.__path__)
        if hasattr(module := importlib.import_module(f"planner.rules.{info.name}"), "KINDS")
    }
    assert declared == {f.__name__ for f in FAMILIES}


def test_every_constraint_group_the_diagnosis_may_relax_has_its_familys_words():
    from planner.catalog import load_catalog
    from planner.rules.families import describe
    from planner.solve.mip import build
    from planner.solve.problem import make_problem
    from tests.conftest import PLAN_DATE

    catalog = load_catalog()
    seen = set()
    for path in EXAMPLES:
        spec = parse_spec(path.read_text())
        for group in build(make_problem(spec, catalog, today=PLAN_DATE)).groups:
            words = describe(spec, group)
            assert words, group
            seen.add(group.partition(":")[0])
    assert {"quota", "budget", "min_regions", "min_replicas"} <= seen


def test_verify_reports_a_plan_below_min_replicas_in_the_replica_familys_words():
    from planner.catalog import load_catalog
    from planner.solve import solve
    from planner.verify import verify
    from tests.conftest import PLAN_DATE

    catalog = load_catalog()
    spec = parse_spec(BY_NAME["vertex-endpoint.yaml"].read_text())
    plan = solve(spec, catalog, baselines=False, as_of=PLAN_DATE)
    w = spec.workloads[0]
    raised = spec.model_copy(
        update={"workloads": (w.model_copy(update={"min_replicas": 50, "max_replicas": None}),)}
    )
    found = [str(v) for v in verify(plan, raised, catalog, figures=False)]
    replicas = sum(a.count * a.replicas_per_instance for a in plan.allocations)
    assert f"{w.name}: {replicas} replicas, below min_replicas 50" in found
