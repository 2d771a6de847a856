"""A plan file is untrusted: a forged or inconsistent plan is refused by every verb that reads
one, with a message naming the field, before anything acts on it.

Exit codes: 2 when the file is not a readable plan (bad JSON, a wrong field type, an unknown
schema version), 1 when it reads but fails verification (a figure that does not follow from its
allocations, or a plan made for another spec).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from planner.plans.identity import plan_id
from planner.solve import solve
from planner.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "examples" / "sagemaker-endpoint.yaml"
DAY = dt.date(2026, 11, 15)


@pytest.fixture(scope="module")
def honest() -> dict:
    return solve(load_spec(SPEC), as_of=DAY, baselines=False).model_dump(mode="json")


def _recompute_id(data: dict) -> dict:
    """A careful forger also fixes the id (it is a checksum, not a signature)."""
    from planner.plans.model import Plan

    plan = Plan.model_validate(data)
    data["plan_id"] = plan_id(plan.spec_sha256, plan.plan_date, plan.allocations)
    return data


def _total(d):
    d["cost_per_hour"] = 1.0


def _workload_cost(d):
    d["workloads"][0]["cost_per_hour"] = 0.5


def _replicas(d):
    d["workloads"][0]["replicas"] = -3


def _tp(d):
    d["allocations"][0]["tp"] = 3


def _routed(d):
    d["allocations"][0]["routed_rps"] = d["allocations"][0]["routed_rps"] * 2


def _bucket(d):
    d["allocations"][0]["routed_by_bucket"][0]["rps"] += 5


def _price(d):
    a = d["allocations"][0]
    a["price_per_hour"] = 0.01
    a["cost_per_hour"] = round(a["count"] * 0.01, 6)


def _plan_id(d):
    d["plan_id"] = "000000000000"


def _meets_slo(d):
    d["workloads"][0]["meets_slo"] = False


FORGERIES = {
    # name: (edit, field named in the message, fix the id afterwards)
    "total cost_per_hour": (_total, "cost_per_hour", True),
    "per-workload cost": (_workload_cost, "workloads[0].cost_per_hour", True),
    "replicas": (_replicas, "workloads[0].replicas", True),
    "tp": (_tp, "allocations[0].tp", True),
    "routed rate": (_routed, "allocations[0].routed_rps", True),
    "routed rate of a bucket": (_bucket, "allocations[0].routed_rps", True),
    "meets_slo": (_meets_slo, "workloads[0].meets_slo", True),
    "plan_id": (_plan_id, "plan_id", False),
    "price (totals left)": (_price, "cost_per_hour", True),
}


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def _forged(honest, tmp_path, name) -> tuple[Path, str]:
    edit, field, fix_id = FORGERIES[name]
    data = json.loads(json.dumps(honest))
    edit(data)
    if fix_id:
        data = _recompute_id(data)
    return _write(tmp_path, data), field


def _verbs(path: Path, tmp_path: Path, scenarios: Path) -> dict[str, tuple[str, ...]]:
    return {
        "verify": ("verify", path, SPEC),
        "check": ("check", path, "--max-cost-per-hour", "50"),
        "emit": ("emit", path, "--target", "sagemaker", "-o", tmp_path / "out"),
        "launch": ("launch", path, "--target", "sagemaker"),
        "report": ("report", path, "-o", tmp_path / "r.html"),
        "sweep --plan": ("sweep", SPEC, "--scenarios", scenarios, "--plan", path),
        "export": ("export", path, "-o", tmp_path / "focus.csv"),
        "diff": ("diff", path, path),
        "simulate": ("simulate", path, "--spec", SPEC, "--requests", "100"),
    }


@pytest.fixture
def scenarios(tmp_path) -> Path:
    path = tmp_path / "scenarios.yaml"
    path.write_text("axes:\n  - kind: traffic\n    workloads: [support-chat]\n    values: [1.0]\n")
    return path


def test_the_honest_plan_passes_every_verb(honest, tmp_path, cli, scenarios):
    path = _write(tmp_path, honest)
    for verb, args in _verbs(path, tmp_path, scenarios).items():
        result = cli(*args)
        assert result.exit_code == 0, (verb, result.stderr)


@pytest.mark.parametrize("name", list(FORGERIES))
def test_a_forged_plan_is_refused_by_every_verb_naming_the_field(
    honest, tmp_path, cli, scenarios, name
):
    path, field = _forged(honest, tmp_path, name)
    for verb, args in _verbs(path, tmp_path, scenarios).items():
        result = cli(*args)
        assert result.exit_code == 1, (verb, result.exit_code, result.stderr)
        assert field in result.stderr, (verb, result.stderr)
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists(), "emit wrote files for a forged plan"


def test_a_forged_total_cannot_pass_the_cost_gate(honest, tmp_path, cli):
    assert honest["cost_per_hour"] > 1.0
    path, _ = _forged(honest, tmp_path, "total cost_per_hour")
    result = cli("check", path, "--max-cost-per-hour", "1.5")
    assert result.exit_code == 1 and "OK" not in result.stdout
    assert "cost_per_hour: the file says 1" in result.stderr


def test_tp_3_is_refused_not_emitted(honest, tmp_path, cli):
    path, _ = _forged(honest, tmp_path, "tp")
    result = cli("emit", path, "--target", "sagemaker", "-o", tmp_path / "out")
    assert result.exit_code == 1 and "TP must be a power of two, got 3" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("version", [1, 2])
def test_an_edited_schema_version_is_refused(honest, tmp_path, cli, version):
    path = _write(tmp_path, {**honest, "schema_version": version})
    for args in (
        ("verify", path, SPEC),
        ("check", path, "--max-gap", "0.5"),
        ("emit", path, "-t", "all", "-o", tmp_path / "o"),
    ):
        result = cli(*args)
        assert result.exit_code == 2 and "schema_version" in result.stderr, result.stderr


def test_a_plan_for_another_spec_is_refused_where_the_spec_is_given(
    honest, tmp_path, cli, scenarios
):
    other = tmp_path / "other.yaml"
    other.write_text(SPEC.read_text().replace("requests_per_second: 16", "requests_per_second: 9"))
    path = _write(tmp_path, honest)
    for args in (
        ("verify", path, other),
        ("sweep", other, "--scenarios", scenarios, "--plan", path),
        ("simulate", path, "--spec", other, "--requests", "100"),
        ("report", path, "--spec", other, "-o", tmp_path / "r.html"),
    ):
        result = cli(*args)
        assert result.exit_code == 1, (args[0], result.stderr)
        assert "spec_sha256" in result.stderr and "another spec" in result.stderr


def test_an_edited_spec_digest_is_refused(honest, tmp_path, cli, scenarios):
    data = _recompute_id({**json.loads(json.dumps(honest)), "spec_sha256": "0" * 64})
    path = _write(tmp_path, data)
    for args in (
        ("verify", path, SPEC),
        ("sweep", SPEC, "--scenarios", scenarios, "--plan", path),
    ):
        result = cli(*args)
        assert result.exit_code == 1 and "spec_sha256" in result.stderr, result.stderr


def _stricter(tmp_path: Path, tpot_ms: float) -> Path:
    path = tmp_path / "strict.yaml"
    path.write_text(SPEC.read_text().replace("tpot_ms: 80", f"tpot_ms: {tpot_ms:g}"))
    return path


def test_a_fleet_judged_against_a_stricter_slo_misses_it_and_check_says_so(honest, tmp_path, cli):
    from planner.plans.model import Plan
    from planner.plans.reassess import reassess

    plan = Plan.model_validate(honest)
    worst = max(a.tpot_ms for a in plan.allocations)
    strict = _stricter(tmp_path, worst / 2)
    judged = reassess(plan, load_spec(strict))
    (chat,) = judged.workloads
    assert not chat.meets_slo and "predicted TPOT" in chat.slo_note
    path = _write(tmp_path, judged.model_dump(mode="json"))
    result = cli("check", path, "--require-slo")
    assert result.exit_code == 1
    assert "support-chat misses its SLO" in result.stderr and "predicted TPOT" in result.stderr
    assert cli("check", _write(tmp_path, honest), "--require-slo").exit_code == 0
    # verify against the stricter spec: within that SLO the fleet cannot carry its traffic
    verdict = cli("verify", path, strict)
    assert verdict.exit_code == 1 and "routed_by_bucket: needs" in verdict.stderr


def test_verify_against_a_stricter_spec_names_meets_slo(honest, tmp_path, cli):
    worst = max(a["tpot_ms"] for a in honest["allocations"])
    result = cli("verify", _write(tmp_path, honest), _stricter(tmp_path, worst / 2))
    assert result.exit_code == 1
    assert "workloads[0].meets_slo: true, but against the spec" in result.stderr
    assert "spec_sha256" in result.stderr
