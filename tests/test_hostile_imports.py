"""Hostile data given to the importers added last round (SkyPilot vms.csv of any cloud, the AWS
Spot Instance Advisor file, spot-risk CSVs): every identifier has a grammar checked on read,
numbers are finite and ranged, a bad figure is never read silently, the same row twice never
lets the order of the rows decide a price, and what is written is a CSV a spreadsheet will not
run."""

from __future__ import annotations

import copy
import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.catalog.spot_risk import SpotRisk, read_spot_risk, spot_risk_csv

HEADER = ("InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,SpotPrice,Region,"
          "AvailabilityZone,GpuInfo\n")  # fmt: skip
ROW = "g6.xlarge,L4,1,4,16,0.80,0.32,us-east-1,us-east-1a,\n"


def _sky(tmp_path, body: str, cloud: str = "aws"):
    folder = tmp_path / cloud
    folder.mkdir(exist_ok=True)
    (folder / "vms.csv").write_text(HEADER + body)
    return folder / "vms.csv"


def _listed(cli, path):
    return cli("catalog", "list", "--catalog", path, "--format", "json")


def test_a_skypilot_row_repeated_counts_once(cli, tmp_path):
    result = _listed(cli, _sky(tmp_path, ROW + ROW))
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)) == 1
    assert "1 row(s) repeated (counted once)" in result.stderr


@pytest.mark.parametrize("cloud", ["aws", "azure", "lambda", "runpod", "oci", "nebius"])
def test_the_same_skypilot_offering_twice_with_other_prices_exits_2(cli, tmp_path, cloud):
    body = ROW + ROW.replace("0.80", "0.90")
    result = _listed(cli, _sky(tmp_path, body, cloud))
    assert result.exit_code == 2, result.stderr
    assert "twice with different figures" in result.stderr and "0.8 and 0.9" in result.stderr


@pytest.mark.parametrize(
    ("row", "note"),
    [
        (ROW.replace("0.32", "inf"), "spot price not a number"),
        (ROW.replace("0.32", "1e308"), "spot price not a number"),
        (ROW.replace("0.32", "-0.3"), "spot price not a number"),
        (ROW.replace(",16,", f",{'9' * 400},"), "MemoryGiB not a number"),
        (ROW.replace(",4,16", ",nan,16"), "vCPUs not a number"),
    ],
)
def test_a_bad_skypilot_figure_is_noted_never_read_silently(cli, tmp_path, row, note):
    result = _listed(cli, _sky(tmp_path, row))
    assert result.exit_code == 0, result.stderr
    assert note in result.stderr
    (offering,) = json.loads(result.stdout)
    assert offering["price_spot"] is None or offering["price_spot"] < offering["price_on_demand"]


ADVISOR = {
    "ranges": [
        {"index": 0, "label": "<5%", "dots": 0, "max": 5},
        {"index": 1, "label": "5-10%", "dots": 1, "max": 11},
        {"index": 4, "label": ">20%", "dots": 4, "max": 100},
    ],
    "spot_advisor": {"us-east-1": {"Linux": {"g6.xlarge": {"s": 70, "r": 0}}}},
}


def _advisor(tmp_path, change) -> object:
    data = copy.deepcopy(ADVISOR)
    change(data)
    path = tmp_path / "spot-advisor-data.json"
    path.write_text(json.dumps(data))
    return path


ONE_TYPE = {"Linux": {"g6.xlarge": {"r": 0}}}


def _linux(data) -> dict:
    return data["spot_advisor"]["us-east-1"]["Linux"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["spot_advisor"].__setitem__("=cmd|'/C calc'!A0", ONE_TYPE), "column region"),
        (lambda d: _linux(d).__setitem__("<img src=x onerror=alert(1)>", {"r": 0}),
         "column instance_type"),
        (lambda d: _linux(d).__setitem__("g6.x\n# heading", {"r": 0}), "column instance_type"),
        (lambda d: d["ranges"][0].__setitem__("label", "=HYPERLINK(\"http://x\")"), "column band"),
        (lambda d: d["ranges"][0].__setitem__("label", "<5%\n# heading"), "column band"),
        (lambda d: d["ranges"][0].__setitem__("max", float("nan")), "column rate"),
        (lambda d: d["ranges"][0].__setitem__("max", 1e308), "column rate"),
        (lambda d: d["ranges"][0].__setitem__("max", 10**400), "not a Spot Instance Advisor"),
        (lambda d: d["spot_advisor"]["us-east-1"].__setitem__("Linux", [1]), "expected an object"),
        (lambda d: d.__setitem__("spot_advisor", [1, 2]), "expected an object"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("form", ["csv", "json"])
def test_hostile_spot_advisor_data_exits_2_naming_the_field(cli, tmp_path, change, words, form):
    path = _advisor(tmp_path, change)
    result = cli("catalog", "spot-risk", path, "--as-of", "2026-12-01", "--format", form)
    assert result.exit_code == 2, result.stdout
    assert words in result.stderr and "Traceback" not in result.stderr
    assert "published" not in result.stdout  # no row written


def test_an_unknown_band_index_is_left_out_never_read_as_another_band(cli, tmp_path):
    def change(data):
        _linux(data).update({"g5.xlarge": {"r": -1}, "p5.48xlarge": {"r": "0"},
                             "g6e.xlarge": {"r": 1e308}, "g4dn.xlarge": {"r": True}})  # fmt: skip

    result = cli("catalog", "spot-risk", _advisor(tmp_path, change), "--as-of", "2026-12-01")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in io.StringIO(result.stdout) if not line.startswith("#")]
    assert [row["instance_type"] for row in csv.DictReader(lines)] == ["g6.xlarge"]


SPOT_HEADER = "provider,region,instance_type,band,rate,kind,source,as_of\n"


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("aws,=1+1,g6.xlarge,<5%,0.02,published,x,2026-12-01", "region"),
        ("aws,us-east-1,<b>g6</b>,<5%,0.02,published,x,2026-12-01", "instance_type"),
        ("aws,us-east-1,g6.xlarge,@SUM(1),0.02,published,x,2026-12-01", "band"),
        ("aws,us-east-1,g6.xlarge,<5%,0.02,<i>,x,2026-12-01", "kind"),
        ("aws,us-east-1,g6.xlarge,<5%,0.02,published,-2+3,2026-12-01", "source"),
        ("aws,us-east-1,g6.xlarge,<5%,0.02,published,x,9999-99-99", "as_of"),
        ("aws,us-east-1,g6.xlarge,<5%,nan,published,x,2026-12-01", "rate"),
    ],
)
def test_a_spot_risk_row_outside_its_grammar_exits_2_naming_line_and_column(row, column):
    with pytest.raises(Exception, match=f"risk.csv:2: column {column}") as raised:
        read_spot_risk(SPOT_HEADER + row + "\n", "risk.csv")
    assert type(raised.value).__name__ == "InputError"


def test_a_spot_risk_file_in_a_catalog_folder_is_checked_too(cli, tmp_path):
    (tmp_path / "risk.csv").write_text(
        SPOT_HEADER + "aws,=1+1,g6.xlarge,<5%,0.02,published,x,2026-12-01\n"
    )
    result = cli("catalog", "list", "--catalog", tmp_path, "--format", "json")
    assert result.exit_code == 2 and "column region" in result.stderr


def test_spot_risk_csv_is_quoted_and_reads_back_the_same():
    rows = [SpotRisk("aws", "us-east-1", "g6.xlarge", "<5%", 0.025, "published",
                     "advisor, saved 2026-12-01 (copy)", "2026-12-01")]  # fmt: skip
    text = spot_risk_csv(rows, ["one comment\nwith a line break"])
    assert read_spot_risk(text, "written.csv") == tuple(rows)
    assert "\n# with" not in text


def _graph(cli, monkeypatch, answer):
    from tests.fakes.hostile import HostileServer

    monkeypatch.setenv("AZURE_ACCESS_TOKEN", "token-1234567890")
    with HostileServer(answer) as server:
        result = cli("catalog", "spot-risk", "--provider", "azure", "--endpoint-url", server.url,
                     "--as-of", "2026-12-01", "--format", "json")  # fmt: skip
    return result, server


def test_resource_graph_page_tokens_that_cycle_stop(cli, monkeypatch):
    from tests.fakes.hostile import Answer

    record = {"skuName": "Standard_NC24ads_A100_v4", "location": "eastus", "evictionRate": "0-5"}
    count = []

    def cycling(path: str) -> Answer:
        count.append(path)
        token = "a" if len(count) % 2 else "b"
        return Answer(200, json.dumps({"data": [record], "$skipToken": token}).encode())

    result, server = _graph(cli, monkeypatch, cycling)
    assert result.exit_code == 2 and "not a new page token" in result.stderr, result.stderr
    assert len(server.seen) <= 3


def test_a_deeply_nested_resource_graph_answer_exits_2_naming_the_url(cli, monkeypatch):
    from tests.fakes.hostile import Answer

    body = b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    result, server = _graph(cli, monkeypatch, lambda path: Answer(200, body))
    assert result.exit_code == 2, result.stderr
    assert server.url in result.stderr and "Traceback" not in result.stderr
    assert "token-1234567890" not in result.stderr


SKY_CLOUDS = ["aws", "gcp", "azure", "lambda", "runpod", "oci", "nebius"]
cells = st.one_of(
    st.sampled_from(["", "nan", "inf", "-1", "1e308", "9" * 400, "2.7", "=1+1", "@SUM(A1)",
                     "<img src=x>", "a\nb", "\x1b]0;x\x07", "L4", "H100", "g6.xlarge",
                     "us-east-1", "0.8", "1", "8"]),
    st.text(max_size=12),
)  # fmt: skip


@settings(max_examples=25, database=None, suppress_health_check=list(HealthCheck))
@given(rows=st.lists(st.lists(cells, min_size=10, max_size=10), min_size=1, max_size=4),
       cloud=st.sampled_from(SKY_CLOUDS))  # fmt: skip
def test_any_skypilot_file_of_any_cloud_exits_cleanly_and_lists_only_checked_names(
    cli, tmp_path_factory, rows, cloud
):
    folder = tmp_path_factory.mktemp("sky") / cloud
    folder.mkdir()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER.strip().split(","))
    writer.writerows(rows)
    (folder / "vms.csv").write_text(buffer.getvalue())
    result = cli("catalog", "list", "--catalog", folder / "vms.csv", "--format", "json")
    assert result.exit_code in (0, 2), result.stderr
    assert "Traceback" not in result.stderr
    if result.exit_code == 0:
        for row in json.loads(result.stdout):
            for key in ("region", "instance_type", "accelerator", "zone"):
                value = row.get(key) or ""
                assert not value.startswith(("=", "+", "-", "@")), row
                assert all(c.isalnum() or c in "._+-" for c in value), row
