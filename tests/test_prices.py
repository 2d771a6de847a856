"""Price honesty: every catalog price says what it rests on (list, derived, estimate, user,
refreshed) and its date; a plan says how much of its hourly cost rests on derived or estimated
prices, and warns when its date is far past its prices' dates."""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction

import pytest
from test_emit_units import allocation, make_plan

from planner.catalog import load_catalog
from planner.catalog.load import CatalogError
from planner.catalog.offering import PRICE_KINDS
from planner.plans.prices import price_basis, stale_prices
from planner.solve import SolveOptions, solve
from planner.spec import load_spec
from tests.conftest import ROOT

HEADER = (
    "provider,region,zone,service,instance_type,accelerator,accelerator_count,"
    "accelerator_memory_gb,vcpus,memory_gib,price_on_demand,price_spot,source,as_of"
)


def test_every_bundled_price_has_a_kind_and_a_date():
    for o in load_catalog():
        assert o.price_kind in PRICE_KINDS and o.price_kind != "user", o
        assert o.spot_price_kind == ("estimate" if o.price_spot is not None else ""), o
        assert dt.date.fromisoformat(o.as_of)


def _rule(source: str) -> tuple[Fraction, str, str] | None:
    """(factor, base service prefix, base instance type) of a derived row's stated rule."""
    rule = source.split(": ", 1)[1]
    if m := re.fullmatch(r"(\d+)/(\d+) of (\S+)", rule):
        return Fraction(int(m[1]), int(m[2])), "", m[3]
    if m := re.fullmatch(r"(EC2|Compute Engine) (\S+) x ([\d.]+)", rule):
        return Fraction(m[3]), m[1], m[2]
    return None


def test_a_derived_price_follows_the_rule_its_source_states():
    rows = load_catalog().offerings
    by_key = {(o.provider, o.region, o.service, o.instance_type): o for o in rows}
    vm = {"aws": "ec2", "gcp": "gce"}
    derived = [o for o in rows if o.price_kind == "derived"]
    assert {o.service for o in derived} >= {"ec2", "sagemaker", "gce", "vertex"}
    for o in derived:
        rule = _rule(o.source)
        assert rule is not None, f"{o.source!r} does not say what the price is derived from"
        factor, base_service, base_type = rule
        service = vm[o.provider] if base_service else o.service
        base = by_key[(o.provider, o.region, service, base_type)]
        assert o.price_on_demand == pytest.approx(float(factor) * base.price_on_demand, abs=6e-5)


def test_the_rows_the_issue_named_are_derived_with_their_basis():
    rows = {(o.region, o.service, o.instance_type): o for o in load_catalog()}
    p5 = rows[("us-east-1", "ec2", "p5.4xlarge")]
    assert p5.price_kind == "derived" and "1/8 of p5.48xlarge" in p5.source
    g6 = rows[("us-east-1", "sagemaker", "ml.g6.xlarge")]
    assert g6.price_kind == "derived" and "EC2 g6.xlarge x 1.25" in g6.source
    regional = rows[("eu-west-1", "ec2", "g5.xlarge")]
    assert regional.price_kind == "estimate"


def test_a_users_catalog_without_kinds_is_user_priced(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        HEADER + "\naws,us-east-1,,ec2,g5.xlarge,A10G,1,24,4,16,0.9,0.3,negotiated,2026-12-01\n"
    )
    (row,) = load_catalog([path])
    assert (row.price_kind, row.spot_price_kind) == ("user", "user")


def test_a_catalog_may_state_its_kinds_and_a_wrong_one_names_file_line_and_column(tmp_path):
    path = tmp_path / "mine.csv"
    line = "aws,us-east-1,,ec2,g5.xlarge,A10G,1,24,4,16,0.9,,quote,2026-12-01"
    path.write_text(f"{HEADER},price_kind,spot_price_kind\n{line},list,\n")
    (row,) = load_catalog([path])
    assert (row.price_kind, row.spot_price_kind) == ("list", "")
    path.write_text(f"{HEADER},price_kind,spot_price_kind\n{line},guess,\n")
    with pytest.raises(CatalogError, match=r"mine\.csv:2: column price_kind: 'guess'"):
        load_catalog([path])


def test_skypilot_rows_are_list_prices(skypilot_dir):
    rows = load_catalog([skypilot_dir]).offerings
    assert rows and all(o.price_kind == "list" for o in rows)
    assert all(o.spot_price_kind == ("list" if o.price_spot else "") for o in rows)


def test_the_plan_says_how_much_of_its_hourly_cost_rests_on_soft_prices():
    plan = make_plan(
        [
            allocation(price_kind="list", cost_per_hour=6.0),
            allocation(workload="b", price_kind="estimate", cost_per_hour=3.0),
            allocation(workload="c", price_kind="derived", cost_per_hour=1.0),
            allocation(workload="d", cost_per_hour=2.0),  # written before kinds
        ]
    )
    basis = price_basis(plan)
    assert basis.by_kind == {"list": 6.0, "derived": 1.0, "estimate": 3.0, "unrecorded": 2.0}
    assert basis.soft_per_hour == 4.0 and basis.soft_share == pytest.approx(4 / 12)
    assert plan.model_dump(mode="json")["price_basis"]["soft_share"] == pytest.approx(4 / 12)


def test_a_solved_plan_records_each_allocations_price_kind():
    plan = solve(load_spec(ROOT / "examples" / "chatbot-fleet.yaml"), as_of=dt.date(2026, 12, 1))
    catalog = {o.key: o for o in load_catalog()}
    for a in plan.allocations:
        row = catalog[(a.provider, a.region, a.zone, a.service, a.instance_type)]
        assert a.price_kind == row.kind(a.pricing)
    basis = plan.price_basis
    assert basis.cost_per_hour == pytest.approx(sum(a.cost_per_hour for a in plan.allocations))
    assert 0 < basis.soft_share < 1
    assert price_warnings(plan) == []


def test_a_plan_dated_long_after_its_prices_warns():
    spec = load_spec(ROOT / "examples" / "nightly-batch-spot.yaml")
    later = solve(spec, as_of=dt.date(2029, 1, 1))
    (warning,) = price_warnings(later)
    assert "2026-11-25" in warning and "2029-01-01" in warning
    lenient = solve(spec, as_of=dt.date(2029, 1, 1), options=SolveOptions(max_price_age_days=5000))
    assert price_warnings(lenient) == []


def price_warnings(plan) -> list[str]:
    """The plan's warnings about its prices (not the one about supply no quota limits)."""
    return [w for w in plan.warnings if "assumes unlimited supply" not in w]


@pytest.mark.parametrize(("days_after", "warns"), [(90, False), (91, True)])
def test_the_allowed_age_is_inclusive(days_after, warns):
    plan = make_plan([allocation(as_of="2026-01-01")])
    plan = plan.model_copy(
        update={"plan_date": dt.date(2026, 1, 1) + dt.timedelta(days=days_after)}
    )
    assert bool(stale_prices(plan, 90)) is warns


def test_the_cli_warns_on_stderr_and_takes_the_age_from_the_config_file(cli, tmp_path, monkeypatch):
    spec = ROOT / "examples" / "nightly-batch-spot.yaml"
    out = tmp_path / "plan.json"
    result = cli("plan", spec, "--date", "2027-06-01", "-o", out)
    assert result.exit_code == 0
    assert "warning: prices are stale" in result.stderr
    assert "prices are stale" in out.read_text()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "planner.toml").write_text("[plan]\nmax-price-age = 400\n")
    quiet = cli("plan", spec, "--date", "2027-06-01", "-o", tmp_path / "quiet.json")
    assert quiet.exit_code == 0 and "stale" not in quiet.stderr


def test_the_table_and_the_report_say_what_the_prices_rest_on(cli, tmp_path):
    spec = ROOT / "examples" / "nightly-batch-spot.yaml"
    table = cli("plan", spec, "--date", "2026-12-01")
    assert "rests on estimated or derived prices" in table.stdout
    plan_file = tmp_path / "plan.json"
    cli("plan", spec, "--date", "2026-12-01", "-o", plan_file)
    report = cli("report", plan_file, "--format", "md")
    assert report.exit_code == 0, report.stderr
    assert "rests on estimated or derived prices" in report.stdout
    html = tmp_path / "report.html"
    assert cli("report", plan_file, "--format", "html", "-o", html).exit_code == 0
    assert "rests on estimated or derived prices" in html.read_text()
