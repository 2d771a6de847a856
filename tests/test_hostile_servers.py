"""Servers the planner talks to are untrusted too: against hostile or broken servers on
127.0.0.1 (Prometheus, the Azure and Google price APIs, AWS JSON APIs), every client exits
cleanly (0-3, no traceback) in bounded time and memory, with one message style naming the URL
(without credentials) and the field, and no credential leaves for another origin or shows."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_loaders import trees

from planner._http import ResponseError, get
from providers.refresh_common import Http, RetryPolicy
from tests.fakes.hostile import Answer, HostileServer, forever

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "tests" / "golden" / "plans" / "sagemaker-endpoint.json"
TOKEN = "s3cr3t-token-value-1234"
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"


def _json(body) -> Answer:
    return Answer(200, json.dumps(body).encode(), {"Content-Type": "application/json"})


def _observe(cli, url: str, *more: str):
    return cli("observe", "--plan", PLAN, "--source", "prometheus", "--url", url, *more)


def _clean(result) -> None:
    assert result.exit_code in (0, 1, 2, 3), (result.exit_code, result.stderr[-2000:])
    assert "Traceback" not in result.stderr + result.stdout


# --- Prometheus: answers of the wrong shape -------------------------------------------------


def _answer(kind: str, result) -> dict:
    return {"status": "success", "data": {"resultType": kind, "result": result}}


MALFORMED = {
    "a list, not an object": [1, 2, 3],
    "data is a list": {"status": "success", "data": []},
    "result holds numbers": _answer("matrix", [1]),
    "metric is a list": _answer("vector", [{"metric": ["a"], "value": [1, "2"]}]),
    "value is a string": _answer("vector", [{"metric": {}, "value": "12"}]),
    "sample is not a number": _answer("matrix", [{"metric": {}, "values": [[1, "abc"]]}]),
    "time is huge": _answer("vector", [{"metric": {}, "value": [1e300, "1"]}]),
    "resultType unknown": _answer("string", []),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_prometheus_answer_exits_2_naming_the_url_and_field(cli, case):
    with HostileServer(lambda path: _json(MALFORMED[case])) as server:
        result = _observe(cli, server.url)
    _clean(result)
    assert result.exit_code == 2, result.stderr
    assert server.url in result.stderr


def test_negative_prometheus_samples_are_refused_not_turned_into_negative_cost(cli):
    series = {"metric": {"workload": "support-chat"}, "values": [[1, "-5"], [2, "-17.67"]]}
    body = _answer("matrix", [series])
    with HostileServer(lambda path: _json(body)) as server:
        result = _observe(cli, server.url, "--format", "json")
    assert result.exit_code == 2, result.stdout
    assert "field 'data.result[0].values[0][1]'" in result.stderr
    assert "-17.67" not in result.stdout


def test_an_endless_answer_is_cut_at_the_size_cap():
    body = forever(b"x" * 65536)
    with (
        HostileServer(lambda path: Answer(200, body, length=False)) as server,
        pytest.raises(ResponseError, match="larger than 1,048,576 bytes"),
    ):
        get(server.url + "/api", max_bytes=1024 * 1024)


def test_a_content_length_beyond_the_cap_is_refused_before_reading():
    answer = Answer(200, b"{}", {"Content-Length": str(10**12)}, length=False)
    with (
        HostileServer(lambda path: answer) as server,
        pytest.raises(ResponseError, match="1,000,000,000,000 bytes"),
    ):
        get(server.url + "/api", max_bytes=1024)


def test_a_slow_drip_stops_at_the_total_deadline():
    answer = Answer(200, forever(b"{"), pause_s=0.05, length=False)
    with HostileServer(lambda path: answer) as server:
        started = time.monotonic()
        with pytest.raises(ResponseError, match="still arriving after the deadline"):
            get(server.url + "/api", timeout_s=1.0, deadline_s=1.0)
    assert time.monotonic() - started < 30  # a per-read timeout alone would never stop


def test_a_server_error_text_reaches_the_terminal_without_escape_sequences(cli):
    evil = "bad\x1b]0;owned\x07 \x1b[2J\x1b]8;;http://evil\x07click\x1b]8;;\x07 done"
    body = {"status": "error", "errorType": "bad_data", "error": evil}
    with HostileServer(lambda path: Answer(400, json.dumps(body).encode())) as server:
        result = _observe(cli, server.url)
    _clean(result)
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "bad_data: bad" in result.stderr and "click" in result.stderr


# --- credentials ----------------------------------------------------------------------------


def _redirecting(target: str, status: int = 302):
    return lambda path: Answer(status, b"", {"Location": target + path})


def test_prometheus_refuses_a_redirect_to_another_origin_with_the_token(cli, monkeypatch):
    monkeypatch.setenv("PROM_TOKEN", TOKEN)
    body = {"status": "success", "data": {"resultType": "matrix", "result": []}}
    with (
        HostileServer(lambda path: _json(body)) as other,
        HostileServer(_redirecting(other.url)) as server,
    ):
        result = _observe(cli, server.url, "--token-env", "PROM_TOKEN")
    assert result.exit_code == 2, result.stderr
    assert "another origin" in result.stderr and TOKEN not in result.stderr
    assert other.seen == []  # the token never left for the other server


def test_a_same_origin_redirect_is_followed_with_the_credentials():
    with HostileServer(lambda path: _json({"ok": 1}) if path.startswith("/new") else
                       Answer(301, b"", {"Location": "/new" + path})) as server:  # fmt: skip
        data = Http(headers={"X-Goog-Api-Key": TOKEN}).get_json(server.url + "/x")
    assert data == {"ok": 1}
    assert [h.get("x-goog-api-key") for _, h in server.seen] == [TOKEN, TOKEN]


def test_the_gcp_api_key_is_not_sent_on_a_redirect_to_another_origin():
    with (
        HostileServer(lambda path: _json({"skus": []})) as other,
        HostileServer(_redirecting(other.url)) as server,
    ):
        http = Http(headers={"X-Goog-Api-Key": TOKEN}, policy=RetryPolicy(attempts=1))
        with pytest.raises(ResponseError, match="another origin") as raised:
            http.get_json(server.url + "/v1/services/x/skus", {"key": TOKEN})
    assert other.seen == [] and TOKEN not in str(raised.value)


@pytest.mark.parametrize("value", [f"{TOKEN}\nX-Evil: 1", f"{TOKEN}\r\n", f"tok\ten{TOKEN}"])
def test_a_token_with_a_control_character_is_refused_without_showing_it(cli, monkeypatch, value):
    monkeypatch.setenv("PROM_TOKEN", value)
    with HostileServer(lambda path: _json({})) as server:
        result = _observe(cli, server.url, "--token-env", "PROM_TOKEN")
    if value.strip() == TOKEN:  # a trailing newline is trimmed: the token is used as it is
        assert server.seen and server.seen[0][1]["authorization"] == f"Bearer {TOKEN}"
        return
    assert result.exit_code == 2 and "control character" in result.stderr
    assert TOKEN not in result.stderr + result.stdout and "Traceback" not in result.stderr
    assert server.seen == []


@pytest.mark.parametrize("verb", ["quotas", "profiles"])
def test_the_aws_access_key_id_is_never_echoed(cli, tmp_path, monkeypatch, verb):
    for key, value in {"AWS_ACCESS_KEY_ID": AWS_KEY_ID, "AWS_SECRET_ACCESS_KEY": "x" * 40,
                       "AWS_CONFIG_FILE": "/nonexistent",
                       "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    import planner.cli.refresh_cmd as refresh_cmd

    monkeypatch.setattr(refresh_cmd, "SLEEP", lambda s: None)
    error = {
        "__type": "UnrecognizedClientException",
        "message": f"The security token is invalid. Credential={AWS_KEY_ID}/20261207",
    }
    answer = Answer(400, json.dumps(error).encode(),
                    {"Content-Type": "application/x-amz-json-1.1"})  # fmt: skip
    with HostileServer(lambda path: answer) as server:
        if verb == "quotas":
            result = cli("quotas", "refresh", "--provider", "aws", "--regions", "us-east-1",
                         "--endpoint-url", f"service-quotas={server.url}", "-o",
                         tmp_path / "q.yaml", "-q")  # fmt: skip
        else:
            result = cli("profiles", "import", "--sagemaker-job", "job", "--region",
                         "us-east-1", "--endpoint-url", server.url, "--input-tokens", "500",
                         "--output-tokens", "200", "-o", tmp_path / "p.csv")  # fmt: skip
    _clean(result)
    assert result.exit_code != 0 and server.seen
    assert AWS_KEY_ID not in result.stdout + result.stderr


# --- the Azure and Google price APIs ----------------------------------------------------------

SIZE = "Standard_NC24ads_A100_v4"


def _azure_item(price) -> dict:
    return {"serviceName": "Virtual Machines", "type": "Consumption", "currencyCode": "USD",
            "unitOfMeasure": "1 Hour", "productName": "NC A100 v4 Series",
            "skuName": "NC24ads A100 v4", "meterName": "NC24ads A100 v4",
            "armRegionName": "eastus", "armSkuName": SIZE, "retailPrice": price,
            "isPrimaryMeterRegion": True}  # fmt: skip


def _azure_refresh(cli, tmp_path, answer):
    out = tmp_path / "azure.csv"
    with HostileServer(answer) as server:
        result = cli("catalog", "refresh", "--provider", "azure", "--regions", "eastus",
                     "--endpoint-url", server.url, "-o", out, "-q")  # fmt: skip
    return result, out, server


@pytest.mark.parametrize(
    ("page", "field"),
    [
        ({"Items": [_azure_item("abc")]}, "Items[0].retailPrice"),
        ({"Items": [_azure_item(1e308)]}, "Items[0].retailPrice"),
        ({"Items": [_azure_item(-3)]}, "Items[0].retailPrice"),
        ({"Items": {"a": 1}}, "Items"),
        ({"Items": [[1, 2]]}, "Items[0]"),
        ({"Items": [], "NextPageLink": ["x"]}, "NextPageLink"),
    ],
)
def test_an_azure_answer_of_the_wrong_shape_exits_2_and_writes_nothing(
    cli, tmp_path, monkeypatch, page, field
):
    import planner.cli.refresh_cmd as refresh_cmd

    monkeypatch.setattr(refresh_cmd, "SLEEP", lambda s: None)
    result, out, server = _azure_refresh(cli, tmp_path, lambda path: _json(page))
    _clean(result)
    assert result.exit_code == 2, result.stderr
    assert f"field '{field}'" in result.stderr and server.url in result.stderr
    assert not out.exists()


def test_an_azure_nan_price_exits_2(cli, tmp_path):
    body = json.dumps({"Items": [_azure_item(1.0)]}).replace("1.0", "NaN").encode()
    result, out, _ = _azure_refresh(cli, tmp_path, lambda path: Answer(200, body))
    _clean(result)
    assert result.exit_code == 2 and "NaN" in result.stderr and not out.exists()


def test_a_next_page_link_pointing_at_itself_stops(cli, tmp_path, monkeypatch):
    servers: list[HostileServer] = []

    def loop(path: str) -> Answer:
        return _json({"Items": [_azure_item(3.6)], "NextPageLink": servers[0].url + "/again"})

    with HostileServer(loop) as server:
        servers.append(server)
        started = time.monotonic()
        result = cli("catalog", "refresh", "--provider", "azure", "--regions", "eastus",
                     "--endpoint-url", server.url, "-o", tmp_path / "a.csv", "-q")  # fmt: skip
    _clean(result)
    assert result.exit_code == 2 and "already read" in result.stderr
    assert len(server.seen) < 10 and time.monotonic() - started < 60


def test_a_google_price_of_the_wrong_shape_names_the_field():
    page = {"skus": [{"description": "Nvidia L4 GPU running in Americas",
                      "category": {"resourceGroup": "GPU", "usageType": "OnDemand"},
                      "serviceRegions": ["us-central1"],
                      "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [
                          {"unitPrice": {"units": "9" * 400, "nanos": 0}}]}}]}]}  # fmt: skip
    from providers.gcp.refresh import SkuPage

    with (
        HostileServer(lambda path: _json(page)) as server,
        pytest.raises(ResponseError) as raised,
    ):
        Http().get_json(server.url + "/skus", {"key": TOKEN}, shape=SkuPage)
    message = str(raised.value)
    assert "skus[0].pricingInfo[0].pricingExpression.tieredRates[0].unitPrice.units" in message
    assert TOKEN not in message and server.url in message


# --- fuzz: any answer --------------------------------------------------------------------------


@settings(max_examples=12, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(body=st.one_of(trees.map(lambda t: json.dumps(t).encode()), st.binary(max_size=200)))
def test_any_prometheus_answer_exits_cleanly(cli, body):
    with HostileServer(lambda path: Answer(200, body)) as server:
        result = _observe(cli, server.url)
    _clean(result)


@settings(max_examples=12, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(items=st.lists(trees, max_size=3), link=st.one_of(st.none(), trees))
def test_any_azure_page_exits_cleanly(cli, tmp_path_factory, items, link):
    tmp = tmp_path_factory.mktemp("azure")
    page = {"Items": items, "NextPageLink": link}
    result, _, _ = _azure_refresh(cli, tmp, lambda path: _json(page))
    _clean(result)
