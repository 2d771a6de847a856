"""Spot risk per (cloud, region, instance type): sizing of spot serving and restarts of jobs."""

from __future__ import annotations

import json
import math
import textwrap

import pytest

from planner.catalog import load_catalog
from planner.catalog.offering import Offering
from planner.catalog.spot_risk import bundled_spot_risk, interruption_rate
from planner.errors import InputError
from planner.perf.sizing import lost_hours, spot_efficiency
from planner.solve import make_problem, solve
from planner.spec import parse_spec
from planner.verify import verify
from tests.conftest import PLAN_DATE

ADVISOR = {
    "ranges": [
        {"index": 0, "label": "<5%", "dots": 0, "max": 5},
        {"index": 1, "label": "5-10%", "dots": 1, "max": 11},
        {"index": 2, "label": "10-15%", "dots": 2, "max": 16},
        {"index": 3, "label": "15-20%", "dots": 3, "max": 22},
        {"index": 4, "label": ">20%", "dots": 4, "max": 100},
    ],
    "spot_advisor": {
        "us-east-1": {"Linux": {"g6.xlarge": {"s": 70, "r": 0}}},
        "us-west-2": {"Linux": {"g6.xlarge": {"s": 65, "r": 4}}},
    },
}


@pytest.fixture
def catalog_dir(tmp_path, cli):
    """A catalog directory: one L4 instance in two regions, and the spot-risk rows that
    `planner catalog spot-risk` makes of the advisor data."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    rows = [
        "provider,region,service,instance_type,accelerator,accelerator_count,"
        "accelerator_memory_gb,vcpus,memory_gib,price_on_demand,price_spot,source,as_of"
    ]
    rows += [f"aws,{r},ec2,g6.xlarge,L4,1,24,4,16,10.0,1.0,test,2026-12-01"
             for r in ("us-east-1", "us-west-2")]  # fmt: skip
    (folder / "prices.csv").write_text("\n".join(rows) + "\n")
    advisor = tmp_path / "spot-advisor-data.json"
    advisor.write_text(json.dumps(ADVISOR))
    result = cli("catalog", "spot-risk", advisor, "--as-of", "2026-12-01",
                 "-o", folder / "spot-risk.csv")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return folder


def serving(rps: float, region: str) -> str:
    return textwrap.dedent(f"""\
        workloads:
          - name: chat
            kind: serving
            model: llama-3.1-8b
            traffic: {{requests_per_second: {rps}, input_tokens: 500, output_tokens: 100}}
            slo: {{tpot_ms: 150}}
            placement: {{spot: true, regions: [{region}]}}
        """)


def test_advisor_bands_become_rates_per_region(catalog_dir):
    catalog = load_catalog([catalog_dir])
    rates = {o.region: o.interruption_rate for o in catalog}
    assert rates == {"us-east-1": 0.025, "us-west-2": 0.25}
    assert "band" in (catalog_dir / "spot-risk.csv").read_text()


def test_spot_serving_needs_more_instances_where_interruptions_are_frequent(catalog_dir):
    """The same demand that four spot instances carry in a region reclaimed <5% a month needs
    a fifth where >20% are: each spot replica there is up a smaller share of the time."""
    catalog = load_catalog([catalog_dir])
    east = make_problem(parse_spec(serving(1.0, "us-east-1")), catalog, today=PLAN_DATE)
    (rate,) = {c.bucket_rps[0] for c in east.candidates["chat"] if c.pricing == "spot"}
    demand = 4 * rate * (1 - 1e-7)
    counts = {}
    for region in ("us-east-1", "us-west-2"):
        spec = parse_spec(serving(demand, region))
        plan = solve(spec, catalog, as_of=PLAN_DATE)
        assert {a.pricing for a in plan.allocations} == {"spot"}
        counts[region] = sum(a.count for a in plan.allocations)
        assert not verify(plan, spec, catalog)
    assert counts == {"us-east-1": 4, "us-west-2": 5}


def test_sizing_follows_the_published_formula():
    o = Offering("aws", "us-east-1", "ec2", "g6.xlarge", "L4", 1, 24, 4, 16, 1.0, 0.4,
                 interruption_rate=0.25)  # fmt: skip
    for kind in ("serving", "job"):
        expected = 1 / (1 + 0.25 / 730 * lost_hours(kind))
        assert math.isclose(spot_efficiency(o, kind), expected)
    assert spot_efficiency(o, "job") < spot_efficiency(o, "serving") < 1


def test_a_job_on_spot_takes_longer_where_interruptions_are_frequent(catalog_dir):
    catalog = load_catalog([catalog_dir])
    hours = {}
    for region in ("us-east-1", "us-west-2"):
        spec = parse_spec(textwrap.dedent(f"""\
            workloads:
              - name: tune
                kind: training
                gpu_hours: 100
                reference_accelerator: L4
                preemptible: true
                placement: {{regions: [{region}]}}
            """))  # fmt: skip
        problem = make_problem(spec, catalog, today=PLAN_DATE)
        (hours[region],) = [c.hours for c in problem.candidates["tune"] if c.pricing == "spot"]
    assert hours["us-west-2"] > hours["us-east-1"] > 100
    assert hours["us-west-2"] == pytest.approx(100 * (1 + 0.25 / 730 * lost_hours("job")))


def test_every_bundled_row_is_sourced_dated_and_marked():
    for row in bundled_spot_risk():
        assert row.source and row.as_of and row.kind in ("published", "estimate")
        assert 0 <= row.rate <= 1
    o = Offering("gcp", "us-central1", "gce", "g2-standard-4", "L4", 1, 24, 4, 16, 1.0, 0.4)
    assert interruption_rate(o) == next(r.rate for r in bundled_spot_risk() if r.provider == "gcp")


def test_a_bad_spot_risk_row_names_its_line(tmp_path):
    path = tmp_path / "risk.csv"
    path.write_text(
        "provider,region,instance_type,band,rate,kind,source,as_of\n"
        "aws,us-east-1,g6.xlarge,<5%,lots,published,x,2026-12-01\n"
    )
    with pytest.raises(InputError, match=r"risk.csv:2: column rate"):
        load_catalog([path])


def test_spot_risk_data_of_a_cloud_without_an_importer_exits_2_naming_it(tmp_path, cli):
    advisor = tmp_path / "data.json"
    advisor.write_text(json.dumps(ADVISOR))
    result = cli("catalog", "spot-risk", advisor, "--as-of", "2026-12-01", "--provider", "lambda")
    assert result.exit_code == 2
    assert "Lambda (lambda) has no spot-risk import" in result.stderr
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"rates": []}))
    unknown = cli("catalog", "spot-risk", other, "--as-of", "2026-12-01")
    assert unknown.exit_code == 2
    assert "other.json is none of their data; give --provider" in unknown.stderr
