"""Hostile inputs, third look: what a user names (a file name) or a server says reaches the '#'
comment lines of the CSV and YAML files the planner writes (spot-risk rows, fit files, measured
profiles, refreshed catalogs and quotas, right-sized specs) as one inert line: a newline cannot
start a row or a key, and no cell a spreadsheet splits a comment into starts a formula."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.markup import FORMULA_START, comment

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "tests" / "data" / "bench"
ADVISOR = json.dumps({
    "ranges": [{"index": 0, "label": "<5%", "max": 5}, {"index": 1, "label": ">20%", "max": 100}],
    "spot_advisor": {"us-east-1": {"Linux": {"g6.xlarge": {"r": 0}}}},
})  # fmt: skip
HOSTILE_NAME = 'runs,=HYPERLINK("x"),+1,@SUM(A1),-2.json'


def _formula_cells(text: str) -> list[str]:
    """The cells of `text` read as a spreadsheet reads a CSV that start a formula."""
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    return [c for c in cells if c.startswith(FORMULA_START) or c.lstrip().startswith("=")]


@settings(max_examples=200, database=None, deadline=None)
@given(text=st.text(max_size=80))
def test_a_comment_is_one_line_no_spreadsheet_runs(text):
    line = "# " + comment(text)
    assert "\n" not in line and "\r" not in line
    assert _formula_cells(line) == []


def test_a_data_file_name_reaches_no_spot_risk_csv_as_a_formula(cli, tmp_path):
    data = tmp_path / HOSTILE_NAME
    data.write_text(ADVISOR)
    result = cli("catalog", "spot-risk", data, "--as-of", "2026-12-01", "--provider", "aws")
    assert result.exit_code in (0, 2), result.stderr  # the rows' source has a grammar
    assert _formula_cells(result.stdout) == []


def test_a_benchmark_file_name_in_the_fit_file_starts_no_formula(cli, tmp_path):
    runs = tmp_path / HOSTILE_NAME
    shutil.copy(BENCH / "vllm_rate2.json", runs)
    out = tmp_path / "fit.csv"
    result = cli("calibrate", runs, BENCH / "vllm_rate4.json", "--model", "llama-3.1-8b",
                 "--accelerator", "H100", "-o", out)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    written = out.read_text()
    assert "HYPERLINK" in written and _formula_cells(written) == []
    again = cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "H100",
                "--input-tokens", "100", "--output-tokens", "10", "--fit", out)  # fmt: skip
    assert again.exit_code == 0, again.stderr  # the planner still reads its own file


def test_a_quota_comment_with_a_newline_stays_a_comment():
    import yaml

    from planner.quotas import quotas_yaml

    text = quotas_yaml([], ["fetched from http://x\nquotas: [{provider: evil}]"])
    assert yaml.safe_load(text) == {"quotas": None} or yaml.safe_load(text)["quotas"] in ([], None)
    assert all(line.startswith("#") for line in text.splitlines()[:-1])


# --- catalog spot-risk --provider azure: the Resource Graph REST API is a server like any other

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.azure-test-token-0123456789"
GRAPH_JSON = {"Content-Type": "application/json"}


def _graph(cli, url: str):
    return cli("catalog", "spot-risk", "--provider", "azure", "--endpoint-url", url,
               "--as-of", "2026-12-01")  # fmt: skip


def _clean(result) -> None:
    assert result.exit_code in (0, 1, 2, 3), (result.exit_code, result.stderr[-2000:])
    assert "Traceback" not in result.stderr + result.stdout
    assert TOKEN not in result.stderr + result.stdout


def _page(body, status: int = 200):
    from tests.fakes.hostile import Answer

    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Answer(status, data, GRAPH_JSON)


RECORD = {"skuName": "Standard_NC24ads_A100_v4", "location": "eastus", "evictionRate": "0-5"}


@pytest.fixture
def azure_token(monkeypatch):
    monkeypatch.setenv("AZURE_ACCESS_TOKEN", TOKEN)


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({"data": [RECORD], "$skipToken": "p"}, "not a new page token"),  # points at itself
        ({"data": [RECORD], "$skipToken": 5}, "not a new page token"),
        ({"data": [RECORD], "$skipToken": "x" * 5000}, "not a new page token"),
        ({"data": {"a": 1}}, "field 'data'"),
        ([1, 2], "field 'data'"),
        ({"data": [1]}, "field 'data[0]'"),
        ({"data": [{**RECORD, "evictionRate": 5}]}, "field 'data[0]'"),
        (b'{"data": [{"skuName": "a", "evictionRate": NaN}]}', "not JSON the planner reads"),
        ({"data": [{**RECORD, "evictionRate": 1e308}]}, "field 'data[0]'"),
        ({"data": [{**RECORD, "evictionRate": "-5"}]}, "evictionRate band"),
        ({"data": [{**RECORD, "skuName": "=HYPERLINK(1)"}]}, "not a valid"),
        ({"data": [{**RECORD, "location": "east\nus"}]}, "not a valid"),
        (b"{\"data\": [", "not JSON"),
    ],
)  # fmt: skip
def test_a_resource_graph_answer_of_the_wrong_shape_exits_2(cli, azure_token, answer, words):
    from tests.fakes.hostile import HostileServer

    def serve(path: str):
        return _page(answer)

    with HostileServer(serve) as server:
        result = _graph(cli, server.url)
    _clean(result)
    assert result.exit_code == 2 and words in result.stderr, result.stderr
    assert len(server.seen) <= 2  # a page that points back at itself is read once more at most


def test_a_resource_graph_redirect_elsewhere_keeps_the_token(cli, azure_token):
    from tests.fakes.hostile import Answer, HostileServer

    with HostileServer(lambda path: _page({"data": [RECORD]})) as elsewhere:
        moved = Answer(307, b"", {"Location": elsewhere.url + "/steal"})
        with HostileServer(lambda path: moved) as server:
            result = _graph(cli, server.url)
    _clean(result)
    assert result.exit_code == 2 and elsewhere.seen == []
    assert server.seen[0][1]["authorization"] == f"Bearer {TOKEN}"


def test_a_resource_graph_token_with_a_newline_is_refused_unshown(cli, monkeypatch):
    from tests.fakes.hostile import HostileServer

    monkeypatch.setenv("AZURE_ACCESS_TOKEN", TOKEN + "\nX-Evil: 1")
    with HostileServer(lambda path: _page({"data": [RECORD]})) as server:
        result = _graph(cli, server.url)
    _clean(result)
    assert result.exit_code == 2 and "control character" in result.stderr
    assert server.seen == []


def test_an_endless_or_dripping_resource_graph_answer_is_cut(cli, azure_token, monkeypatch):
    import providers.azure.spot_evictions as evictions
    from tests.fakes.hostile import Answer, HostileServer, forever

    monkeypatch.setattr(evictions, "MAX_RESPONSE_BYTES", 1024 * 1024)
    monkeypatch.setattr(evictions, "DEADLINE_S", 1.0)
    endless = Answer(200, forever(b" " * 65536), GRAPH_JSON, length=False)
    with HostileServer(lambda path: endless) as server:
        result = _graph(cli, server.url)
    _clean(result)
    assert result.exit_code == 2 and "larger than 1,048,576 bytes" in result.stderr
    drip = Answer(200, forever(b" "), GRAPH_JSON, pause_s=0.05, length=False)
    with HostileServer(lambda path: drip) as server:
        result = _graph(cli, server.url)
    _clean(result)
    assert result.exit_code == 2 and "after the deadline" in result.stderr


def test_a_resource_graph_503_storm_is_one_request(cli, azure_token):
    from tests.fakes.hostile import HostileServer

    with HostileServer(lambda path: _page({"error": {"code": "busy"}}, 503)) as server:
        result = _graph(cli, server.url)
    _clean(result)
    assert result.exit_code == 2 and "HTTP 503" in result.stderr and len(server.seen) == 1


# --- every URL option is checked the same way --------------------------------------------------

SAGEMAKER_PLAN = ROOT / "tests" / "golden" / "plans" / "sagemaker-endpoint.json"
VERTEX_PLAN = ROOT / "tests" / "data" / "plan-v1-vertex-two-machine-types.json"
URL_VERBS = {
    "spot-risk": ["catalog", "spot-risk", "--provider", "azure", "--as-of", "2026-12-01",
                  "--endpoint-url", "{}"],
    "observe prometheus": ["observe", "--plan", str(SAGEMAKER_PLAN), "--source", "prometheus",
                           "--url", "{}"],
    "observe cloudwatch": ["observe", "--plan", str(SAGEMAKER_PLAN), "--source", "cloudwatch",
                           "--endpoint-url", "{}"],
    "profiles import": ["profiles", "import", "--sagemaker-job", "j", "--region", "us-east-1",
                        "--input-tokens", "5", "--output-tokens", "5", "--endpoint-url", "{}",
                        "-o", "{out}"],
    "catalog refresh": ["catalog", "refresh", "--provider", "azure", "--regions", "eastus",
                        "--endpoint-url", "{}", "-o", "{out}"],
    "quotas refresh": ["quotas", "refresh", "--provider", "aws", "--regions", "us-east-1",
                       "--endpoint-url", "{}", "-o", "{out}"],
    "launch sagemaker": ["launch", str(SAGEMAKER_PLAN), "--target", "sagemaker", "--apply",
                         "--yes", "--endpoint-url", "{}"],
    "launch vertex": ["launch", str(VERTEX_PLAN), "--target", "vertex", "--project", "acme-test",
                      "--apply", "--yes", "--api-endpoint", "{}"],
}  # fmt: skip


BAD_URLS = ["http://[::1", "http://127.0.0.1:99999", "ftp://127.0.0.1/",
            "http://127.0.0.1/\x1b]0;x\x07", "http://" + "a" * 3000]  # fmt: skip


@pytest.mark.parametrize("verb", sorted(URL_VERBS))
@pytest.mark.parametrize("url", BAD_URLS)
def test_a_malformed_url_option_exits_2_naming_the_option(cli, tmp_path, monkeypatch, verb, url):
    monkeypatch.setenv("AZURE_ACCESS_TOKEN", TOKEN)
    args = [a.replace("{out}", str(tmp_path / "out")) for a in URL_VERBS[verb]]
    result = cli(*[url if a == "{}" else a for a in args])
    _clean(result)
    option = next(
        a for a in args[::-1] if (a.startswith("--") and "url" in a) or a == "--api-endpoint"
    )
    assert result.exit_code == 2 and option in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()
