"""Commitments: Savings Plans, reservations, CUDs and negotiated discounts priced in the MIP."""

from __future__ import annotations

import json
import math
import textwrap

import pytest

from planner.catalog.commitments import Cover, Usage, apply_covers, product_levels
from planner.catalog.load import Catalog
from planner.catalog.offering import Offering
from planner.plans.consistency import inconsistencies
from planner.solve import solve
from planner.spec import SpecError, parse_spec
from planner.verify import verify
from tests.conftest import PLAN_DATE


def offering(instance: str, on_demand: float, spot: float | None, region: str = "us-east-1",
             service: str = "ec2", provider: str = "aws") -> Offering:  # fmt: skip
    return Offering(
        provider=provider, region=region, service=service, instance_type=instance,
        accelerator="L4", accelerator_count=1, accelerator_memory_gb=24, vcpus=4, memory_gib=16,
        price_on_demand=on_demand, price_spot=spot, source="test", as_of="2026-12-01",
    )  # fmt: skip


CATALOG = Catalog((offering("g6.xlarge", 1.0, 0.4), offering("g6.2xlarge", 1.3, 0.6)))


def spec_text(rps: float, commitments: str = "") -> str:
    text = textwrap.dedent(f"""\
        workloads:
          - name: chat
            kind: serving
            model: llama-3.1-8b
            traffic: {{requests_per_second: {rps}, input_tokens: 500, output_tokens: 100}}
            slo: {{tpot_ms: 150}}
            placement: {{spot: true}}
        """)
    return text + textwrap.dedent(commitments)


def by_pricing(plan) -> dict[str, int]:
    found: dict[str, int] = {}
    for a in plan.allocations:
        found[a.pricing] = found.get(a.pricing, 0) + a.count
    return found


def test_a_savings_plan_moves_covered_usage_from_spot_to_on_demand():
    """Without a commitment, spot at $0.40 beats on-demand at $1.00; a Compute Savings Plan of
    $1.20/h at 40% off covers $2.00/h of list usage: two on-demand instances then cost nothing
    more, and only the rest goes to spot."""
    bare = solve(parse_spec(spec_text(20.0)), CATALOG, as_of=PLAN_DATE)
    n = sum(a.count for a in bare.allocations)
    assert by_pricing(bare) == {"spot": n} and n > 2
    sp = """\
        commitments:
          - {name: sp, product: aws-compute-savings-plan, committed_per_hour: 1.2, discount: 0.4}
        """
    spec = parse_spec(spec_text(20.0, sp))
    plan = solve(spec, CATALOG, as_of=PLAN_DATE)
    assert by_pricing(plan) == {"on_demand": 2, "spot": n - 2}
    (use,) = plan.commitments
    assert use.covered_per_hour == pytest.approx(2.0)
    assert use.utilisation == pytest.approx(1.0)
    assert plan.committed_per_hour == pytest.approx(1.2)
    assert plan.cost_per_hour == pytest.approx(0.4 * (n - 2))
    assert not verify(plan, spec, CATALOG) and not inconsistencies(plan)


def test_a_commitment_outside_the_plans_region_changes_nothing():
    sp = """\
        commitments:
          - {name: ri, product: aws-reserved-instances, region: us-west-2,
             instance_type: g6.xlarge, count: 3, committed_per_hour: 1.5}
        """
    with_ri = solve(parse_spec(spec_text(20.0, sp)), CATALOG, as_of=PLAN_DATE)
    bare = solve(parse_spec(spec_text(20.0)), CATALOG, as_of=PLAN_DATE)
    assert by_pricing(with_ri) == by_pricing(bare)
    (use,) = with_ri.commitments
    assert use.covered_per_hour == 0 and use.saving_per_hour == pytest.approx(-1.5)


def test_reserved_instances_cover_a_count_of_their_type():
    ri = """\
        commitments:
          - {name: ri, product: aws-reserved-instances, region: us-east-1,
             instance_type: g6.xlarge, count: 3, committed_per_hour: 1.8}
        """
    spec = parse_spec(spec_text(20.0, ri))
    plan = solve(spec, CATALOG, as_of=PLAN_DATE)
    covered = [a for a in plan.allocations if a.covered_per_hour]
    assert [(a.instance_type, a.pricing, a.count) for a in covered] == [
        ("g6.xlarge", "on_demand", 3)
    ]
    assert covered[0].cost_per_hour == 0
    assert not verify(plan, spec, CATALOG)


def test_a_negotiated_discount_lowers_list_prices_and_verifies():
    deal = """\
        commitments:
          - {name: edp, product: negotiated-discount, provider: aws, discount: 0.5}
        """
    spec = parse_spec(spec_text(0.5, deal).replace("{spot: true}", "{}"))
    plan = solve(spec, CATALOG, as_of=PLAN_DATE)
    (a,) = plan.allocations
    assert a.price_per_hour == pytest.approx(0.5) and "negotiated:edp" in a.source
    assert not verify(plan, spec, CATALOG)
    assert verify(plan, parse_spec(spec_text(0.5).replace("{spot: true}", "{}")),
                  CATALOG)  # fmt: skip


def test_a_commitment_is_scoped_as_the_product_is():
    with pytest.raises(SpecError, match="needs region, family"):
        parse_spec(spec_text(1.0, """\
            commitments:
              - {name: sp, product: aws-ec2-instance-savings-plan, committed_per_hour: 1}
            """))  # fmt: skip
    with pytest.raises(SpecError, match="not scoped by region"):
        parse_spec(spec_text(1.0, """\
            commitments:
              - {name: sp, product: aws-compute-savings-plan, committed_per_hour: 1,
                 region: us-east-1}
            """))  # fmt: skip


def test_billing_order_applies_reservations_before_savings_plans():
    o = offering("g6.xlarge", 1.0, None)
    ri = Cover("ri", "aws-reserved-instances", "aws", ("ec2",), "instances", 1, 1.0, 0.4,
               "user", count=2, region="us-east-1", instance_type="g6.xlarge")  # fmt: skip
    sp = Cover("sp", "aws-compute-savings-plan", "aws", ("ec2",), "usd", 1, 1.5, 0.5, "user")
    (found,) = apply_covers([sp, ri], [Usage(o, "on_demand", 5.0, 1.0)])
    assert found == {"ri": pytest.approx(2.0), "sp": pytest.approx(3.0)}
    (spot,) = apply_covers([sp, ri], [Usage(o, "spot", 5.0, 1.0)])
    assert spot == {}


def test_every_published_discount_level_has_a_source_date_and_kind():
    levels = product_levels()
    assert levels
    for level in levels:
        assert 0 < level.discount < 1 and level.kind in ("published", "estimate")
        assert level.source and level.as_of
    for product in {lv.product for lv in levels}:
        one, three = (next(lv for lv in levels if (lv.product, lv.term_years) == (product, t))
                      for t in (1, 3))  # fmt: skip
        assert one.discount < three.discount or math.isclose(one.discount, three.discount)


def test_a_rate_file_plans_and_verifies_from_the_command_line(cli, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text(20.0))
    rates = tmp_path / "rates.yaml"
    rates.write_text(
        "commitments:\n"
        "  - {name: sp, product: aws-compute-savings-plan, committed_per_hour: 1.2, "
        "discount: 0.4}\n"
    )
    catalog = tmp_path / "catalog.csv"
    rows = [
        "provider,region,service,instance_type,accelerator,accelerator_count,"
        "accelerator_memory_gb,vcpus,memory_gib,price_on_demand,price_spot,source,as_of"
    ]
    rows += [f"aws,us-east-1,ec2,{o.instance_type},L4,1,24,4,16,{o.price_on_demand},"
             f"{o.price_spot},test,2026-12-01" for o in CATALOG]  # fmt: skip
    catalog.write_text("\n".join(rows) + "\n")
    out = tmp_path / "plan.json"
    args = ("--catalog", catalog, "--rates", rates, "--date", "2026-11-15")
    result = cli("plan", spec, *args, "-o", out)
    assert result.exit_code == 0, result.stderr
    plan = json.loads(out.read_text())
    assert plan["commitments"][0]["covered_per_hour"] == pytest.approx(2.0)
    result = cli("verify", out, spec, "--catalog", catalog, "--rates", rates)
    assert result.exit_code == 0, result.stdout + result.stderr
    rates.write_text("commitments:\n  - {name: sp, product: aws-compute-savings-plan}\n")
    result = cli("plan", spec, *args)
    assert result.exit_code == 2 and "rates.yaml:2" in result.stderr
    assert "committed_per_hour" in result.stderr and "Traceback" not in result.stderr


def test_focus_bills_each_commitment_once_and_covered_usage_net_of_it():
    import csv
    import io
    from datetime import UTC, datetime

    from planner.report.focus import Period, focus_csv, focus_rows
    from tests.test_export import _check_focus_rules

    sp = """\
        commitments:
          - {name: sp, product: aws-compute-savings-plan, committed_per_hour: 1.2, discount: 0.4}
        """
    plan = solve(parse_spec(spec_text(20.0, sp)), CATALOG, as_of=PLAN_DATE)
    start = datetime(2027, 1, 1, tzinfo=UTC)
    rows = focus_rows(plan, start, Period.month)
    hours = 31 * 24
    purchase = [r for r in rows if r["ChargeCategory"] == "Purchase"]
    assert [r["BilledCost"] for r in purchase] == [pytest.approx(1.2 * hours)]
    usage = sum(r["BilledCost"] for r in rows if r["ChargeCategory"] == "Usage")
    assert usage == pytest.approx(plan.cost_per_hour * hours)
    assert {r["PricingCategory"] for r in rows if "covered_by" in r["Tags"]} == {"Committed"}
    text = focus_csv(rows)
    header = text.splitlines()[0].split(",")
    assert _check_focus_rules(list(csv.DictReader(io.StringIO(text))), header, "1.1") == []


def batch_text(commitments: str = "", requests: int = 60000) -> str:
    text = textwrap.dedent(f"""\
        workloads:
          - name: nightly
            kind: batch
            model: llama-3.1-8b
            volume: {{requests: {requests}, input_tokens: 900, output_tokens: 120}}
            deadline_hours: 8
            preemptible: true
            placement: {{spot: true, max_spot_share: 1.0}}
        """)
    return text + textwrap.dedent(commitments)


def test_a_savings_plan_moves_a_batch_job_from_spot_to_covered_on_demand():
    """Without a commitment the job runs on spot ($0.40 against $1.00 an instance-hour). A
    Compute Savings Plan covering $2.00/h of list usage covers up to $2.00 of the job's
    on-demand spend each hour it runs: the job moves to on-demand, and its cost is what is
    left above that coverage."""
    bare = solve(parse_spec(batch_text()), CATALOG, as_of=PLAN_DATE)
    assert by_pricing(bare).keys() == {"spot"}
    sp = """\
        commitments:
          - {name: sp, product: aws-compute-savings-plan, committed_per_hour: 1.2, discount: 0.4}
        """
    spec = parse_spec(batch_text(sp))
    plan = solve(spec, CATALOG, as_of=PLAN_DATE)
    assert by_pricing(plan).keys() == {"on_demand"}
    (job,) = plan.allocations
    covered = min(job.count * job.price_per_hour, 2.0)  # $/h while it runs
    assert job.covered_per_hour == pytest.approx(covered, rel=1e-5)
    assert job.covered_by == {"sp": pytest.approx(covered, rel=1e-5)}
    list_cost = job.count * job.hours * job.price_per_hour
    assert job.job_cost == pytest.approx(list_cost - covered * job.hours, abs=1e-5)
    assert job.job_cost < sum(a.job_cost for a in bare.allocations)
    assert not verify(plan, spec, CATALOG) and not inconsistencies(plan)


def test_reserved_instances_cover_a_training_gang_of_their_type():
    """A reserved g6.2xlarge covers a training gang on g6.2xlarge on demand for its hours; the
    job's cost drops by the reservation's list $/h x the gang's hours."""
    spec_ri = """\
        commitments:
          - {name: ri, product: aws-reserved-instances, region: us-east-1,
             instance_type: g6.2xlarge, count: 8, committed_per_hour: 4.0}
        """
    train = textwrap.dedent("""\
        workloads:
          - name: tune
            kind: training
            gpu_hours: 16
            reference_accelerator: L4
            deadline_hours: 48
        """)
    bare = solve(parse_spec(train), CATALOG, as_of=PLAN_DATE)
    spec = parse_spec(train + textwrap.dedent(spec_ri))
    plan = solve(spec, CATALOG, as_of=PLAN_DATE)
    (before,) = {a.instance_type for a in bare.allocations}
    (gang,) = plan.allocations
    assert before == "g6.xlarge" and gang.instance_type == "g6.2xlarge"
    assert gang.covered_per_hour == pytest.approx(gang.count * 1.3)
    assert gang.job_cost == pytest.approx(0.0, abs=1e-6)
    assert not verify(plan, spec, CATALOG) and not inconsistencies(plan)
