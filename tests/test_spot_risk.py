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


EVICTIONS = {
    "count": 3,
    "data": [
        {"skuName": "Standard_NC24ads_A100_v4", "location": "eastus", "evictionRate": "0-5"},
        {"skuName": "standard_nc24ads_a100_v4", "location": "westus2", "evictionRate": "20+"},
        {"skuName": "Standard_NC24ads_A100_v4", "location": "westeurope", "evictionRate": "10-15"},
    ],
}
"""A saved Resource Graph answer (az graph query -o json): bands per region and VM size, the
size in either case as Azure writes it."""


def azure_serving(rps: float, region: str) -> str:
    return serving(rps, region).replace("placement: {", "placement: {providers: [azure], ")


def test_azure_eviction_bands_size_spot_serving_per_region(tmp_path, cli):
    """Azure's eviction-rate bands, read by its provider, set each region's spot rate for the
    size; the same demand that four spot VMs carry in a region evicting 0-5% a month needs a
    fifth in one evicting 20+%."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    header = (
        "provider,region,service,instance_type,accelerator,accelerator_count,"
        "accelerator_memory_gb,vcpus,memory_gib,price_on_demand,price_spot,source,as_of"
    )
    rows = [f"azure,{r},azure-vm,Standard_NC24ads_A100_v4,A100-80GB,1,80,24,220,3.67,0.9,"
            "test,2026-12-01" for r in ("eastus", "westus2")]  # fmt: skip
    (folder / "prices.csv").write_text("\n".join([header, *rows]) + "\n")
    data = tmp_path / "evictions.json"
    data.write_text(json.dumps(EVICTIONS))
    result = cli("catalog", "spot-risk", data, "--as-of", "2026-12-01",
                 "-o", folder / "spot-risk.csv")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    written = (folder / "spot-risk.csv").read_text()
    assert "azure,eastus,Standard_NC24ads_A100_v4,0-5,0.025,published" in written
    assert "Azure Resource Graph" in written.splitlines()[0]
    catalog = load_catalog([folder])
    assert {o.region: o.interruption_rate for o in catalog} == {"eastus": 0.025, "westus2": 0.25}
    east = make_problem(parse_spec(azure_serving(1.0, "eastus")), catalog, today=PLAN_DATE)
    (rate,) = {c.bucket_rps[0] for c in east.candidates["chat"] if c.pricing == "spot"}
    counts = {}
    for region in ("eastus", "westus2"):
        spec = parse_spec(azure_serving(4 * rate * (1 - 1e-7), region))
        plan = solve(spec, catalog, as_of=PLAN_DATE)
        assert {a.pricing for a in plan.allocations} == {"spot"}
        counts[region] = sum(a.count for a in plan.allocations)
    assert counts == {"eastus": 4, "westus2": 5}


def test_a_bad_eviction_record_exits_2_naming_it(tmp_path, cli):
    data = tmp_path / "evictions.json"
    data.write_text(json.dumps({"data": [{"skuName": "x", "location": "eastus",
                                          "evictionRate": "lots"}]}))  # fmt: skip
    result = cli("catalog", "spot-risk", data, "--as-of", "2026-12-01", "--provider", "azure")
    assert result.exit_code == 2
    assert "evictions.json: data[0]: needs skuName, location and an evictionRate band" in (
        result.stderr
    )


def test_the_bundled_snapshot_has_published_aws_rates_that_differ_by_region_and_type():
    """The bundled Spot Instance Advisor rows: the same type is reclaimed at different rates in
    different regions, and spot sizing follows them without any --catalog file."""

    def p4d(region: str, itype: str = "p4d.24xlarge") -> Offering:
        return Offering("aws", region, "ec2", itype, "A100", 8, 40, 96, 1152, 21.96, 9.0)

    published = {(r.region, r.instance_type): r for r in bundled_spot_risk()
                 if r.provider == "aws" and r.kind == "published"}  # fmt: skip
    assert len(published) > 100
    east, frankfurt = (
        published[("us-east-1", "p4d.24xlarge")],
        published[("eu-central-1", "p4d.24xlarge")],
    )
    assert east.rate < frankfurt.rate
    assert interruption_rate(p4d("us-east-1")) == east.rate
    assert interruption_rate(p4d("eu-central-1")) == frankfurt.rate
    assert spot_efficiency(p4d("us-east-1"), "serving") > spot_efficiency(
        p4d("eu-central-1"), "serving"
    )
    assert interruption_rate(p4d("us-east-1", "p5.4xlarge")) == 0.25  # not published: the estimate


def test_azure_eviction_rates_are_read_page_by_page_from_resource_graph(tmp_path, cli, monkeypatch):
    """Without FILE, Azure's provider runs the eviction-rate query on the Resource Graph REST
    API (a local server here) with the bearer token, following $skipToken to the last page."""
    from tests.fakes.server import FakeServer, Reply

    records = EVICTIONS["data"]

    def graph(received):
        if (
            received.method != "POST"
            or received.path != "/providers/Microsoft.ResourceGraph/resources"
        ):
            return Reply(404, {"error": {"message": "no such path"}})
        options = received.body["options"]
        if options.get("$skipToken") == "page-2":
            return Reply(200, {"count": 1, "data": records[2:]})
        return Reply(200, {"count": 2, "data": records[:2], "$skipToken": "page-2"})

    monkeypatch.setenv("AZURE_ACCESS_TOKEN", "token-123")
    with FakeServer(graph) as server:
        result = cli("catalog", "spot-risk", "--provider", "azure", "--endpoint-url", server.url,
                     "--as-of", "2026-12-01", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["region"], r["band"], r["rate"]) for r in rows] == [
        ("eastus", "0-5", 0.025), ("westeurope", "10-15", 0.125), ("westus2", "20+", 0.25)
    ]  # fmt: skip
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer token-123"] * 2
    assert "skuspotevictionrate" in server.requests[0].body["query"]

    monkeypatch.delenv("AZURE_ACCESS_TOKEN")
    refused = cli("catalog", "spot-risk", "--provider", "azure", "--endpoint-url", server.url,
                  "--as-of", "2026-12-01")  # fmt: skip
    assert refused.exit_code == 2 and "AZURE_ACCESS_TOKEN" in refused.stderr
    no_api = cli("catalog", "spot-risk", "--provider", "aws", "--as-of", "2026-12-01")
    assert no_api.exit_code == 2 and "saved file only" in no_api.stderr
