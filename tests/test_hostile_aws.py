"""AWS is a server like any other: against a hostile AWS endpoint on 127.0.0.1 (through
--endpoint-url), every verb that calls AWS (quotas refresh, catalog refresh, observe --source
cloudwatch, profiles import --sagemaker-job, launch) exits cleanly (0-3, no traceback) in
bounded time and memory, with a message naming the endpoint and the field; no retry storm, no
credential shown. moto's server is the normal path (tests/fakes/moto_server.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.hostile import Answer, HostileServer, forever

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "tests" / "golden" / "plans" / "sagemaker-endpoint.json"
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JSON_TYPE = {"Content-Type": "application/x-amz-json-1.1"}


@pytest.fixture(autouse=True)
def aws_env(monkeypatch, tmp_path):
    """Fake credentials (shaped like real ones, so a leak would show); nothing of the machine's
    AWS configuration read; no waiting between the refresh's retries."""
    for key, value in {"AWS_ACCESS_KEY_ID": AWS_KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET,
                       "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_CONFIG_FILE": str(tmp_path / "none"),
                       "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    import planner.cli.refresh_cmd as refresh_cmd

    monkeypatch.setattr(refresh_cmd, "SLEEP", lambda s: None)


def _clean(result) -> None:
    assert result.exit_code in (0, 1, 2, 3), (result.exit_code, result.stderr[-2000:])
    assert "Traceback" not in result.stderr + result.stdout
    assert AWS_KEY_ID not in result.stderr + result.stdout
    assert SECRET not in result.stderr + result.stdout


def _json(body, status: int = 200) -> Answer:
    return Answer(status, json.dumps(body).encode(), JSON_TYPE)


def _quotas(cli, tmp_path, url: str):
    return cli("quotas", "refresh", "--provider", "aws", "--regions", "us-east-1",
               "--endpoint-url", f"service-quotas={url}", "-o", tmp_path / "q.yaml",
               "-q")  # fmt: skip


def _quota(value) -> dict:
    return {"Quota": {"ServiceCode": "ec2", "QuotaCode": "L-DB2E81BA", "Value": value}}


# --- quotas refresh (JSON protocol) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (json.dumps(_quota(1.0)).replace("1.0", "NaN"), "Quota.Value"),
        (json.dumps(_quota(1e308)), "Quota.Value"),
        (json.dumps(_quota(-64)), "Quota.Value"),
        (json.dumps(_quota("abc")), "Quota.Value"),
        (json.dumps({"Quota": [1, 2]}), ""),
        (json.dumps({"Quota": {"Value": {"a": 1}}}), "Quota.Value"),
    ],
)
def test_a_quota_answer_of_the_wrong_shape_exits_2_naming_the_endpoint_and_field(
    cli, tmp_path, body, field
):
    with HostileServer(lambda path: Answer(200, body.encode(), JSON_TYPE)) as server:
        result = _quotas(cli, tmp_path, server.url)
    _clean(result)
    assert result.exit_code == 2, result.stderr
    assert server.url in result.stderr
    assert f"field '{field}'" in result.stderr if field else "AWS API sends" in result.stderr
    assert not (tmp_path / "q.yaml").exists()


def test_an_endless_aws_answer_is_cut_at_the_size_cap(cli, tmp_path, monkeypatch):
    import providers.aws.sdk as sdk

    monkeypatch.setattr(sdk, "MAX_RESPONSE_BYTES", 1024 * 1024)
    answer = Answer(200, forever(b"x" * 65536), JSON_TYPE, length=False)
    with HostileServer(lambda path: answer) as server:
        result = _quotas(cli, tmp_path, server.url)
    _clean(result)
    assert result.exit_code == 2 and "larger than 1,048,576 bytes" in result.stderr


def test_a_slow_drip_from_aws_stops_at_the_total_deadline(cli, tmp_path, monkeypatch):
    import providers.aws.sdk as sdk

    monkeypatch.setattr(sdk, "DEADLINE_S", 1.0)
    answer = Answer(200, forever(b" "), JSON_TYPE, pause_s=0.05, length=False)
    with HostileServer(lambda path: answer) as server:
        started = time.monotonic()
        result = _quotas(cli, tmp_path, server.url)
    _clean(result)
    assert result.exit_code == 2 and "still arriving after the deadline" in result.stderr
    assert time.monotonic() - started < 30  # botocore's per-read timeout alone never stops


def test_a_failing_aws_endpoint_gets_a_bounded_number_of_tries(cli, tmp_path):
    error = {"__type": "ServiceUnavailableException", "message": "try later"}
    with HostileServer(lambda path: _json(error, 503)) as server:
        result = cli("profiles", "import", "--sagemaker-job", "job", "--region", "us-east-1",
                     "--endpoint-url", server.url, "--input-tokens", "500", "--output-tokens",
                     "200", "-o", tmp_path / "p.csv")  # fmt: skip
    _clean(result)
    assert result.exit_code != 0
    assert 1 <= len(server.seen) <= 3  # botocore's default legacy mode tried 5 times


# --- catalog refresh (EC2's XML protocol) ------------------------------------------------------

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


def _ec2(inner: str) -> Answer:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeRegionsResponse xmlns="{EC2_NS}">'
            f"<requestId>r</requestId>{inner}</DescribeRegionsResponse>")  # fmt: skip
    return Answer(200, body.encode(), {"Content-Type": "text/xml"})


def _refresh(cli, tmp_path, url: str, *regions: str):
    return cli("catalog", "refresh", "--provider", "aws", "--regions", *(regions or ("all",)),
               "--endpoint-url", url, "-o", tmp_path / "aws.csv", "-q")  # fmt: skip


@pytest.mark.parametrize(
    "answer",
    [
        _ec2("<regionInfo><item><regionName>us-east-1"),  # cut short
        Answer(200, b"<<<not xml>>>", {"Content-Type": "text/xml"}),
        Answer(200, b"\xff\xfe\x00garbage", {"Content-Type": "text/xml"}),
        _ec2("<regionInfo><item><regionName>" + "x" * 200 + "</regionName></item></regionInfo>"),
    ],
)
def test_a_malformed_ec2_answer_exits_2_and_writes_nothing(cli, tmp_path, answer):
    with HostileServer(lambda path: answer) as server:
        result = _refresh(cli, tmp_path, server.url)
    _clean(result)
    assert result.exit_code == 2, result.stderr
    assert server.url in result.stderr
    assert not (tmp_path / "aws.csv").exists()


def test_an_ec2_next_token_pointing_at_itself_stops(cli, tmp_path):
    def loop(path: str) -> Answer:
        body = (f'<DescribeInstanceTypesResponse xmlns="{EC2_NS}"><requestId>r</requestId>'
                "<instanceTypeSet/><nextToken>again</nextToken>"
                "</DescribeInstanceTypesResponse>")  # fmt: skip
        return Answer(200, body.encode(), {"Content-Type": "text/xml"})

    with HostileServer(loop) as server:
        started = time.monotonic()
        result = _refresh(cli, tmp_path, server.url, "us-east-1")
    _clean(result)
    assert result.exit_code == 2 and "already read" in result.stderr, result.stderr
    assert len(server.seen) < 10 and time.monotonic() - started < 60


@pytest.mark.parametrize(
    ("count", "field"), [("99999999999999999999", "Count"), ("-3", "Count"), ("abc", "")]
)
def test_an_ec2_gpu_count_out_of_range_exits_2(cli, tmp_path, count, field):
    def answer(path: str) -> Answer:
        body = (f'<DescribeInstanceTypesResponse xmlns="{EC2_NS}"><requestId>r</requestId>'
                "<instanceTypeSet><item><instanceType>g5.xlarge</instanceType><gpuInfo><gpus>"
                f"<item><name>A10G</name><count>{count}</count></item></gpus></gpuInfo></item>"
                "</instanceTypeSet></DescribeInstanceTypesResponse>")  # fmt: skip
        return Answer(200, body.encode(), {"Content-Type": "text/xml"})

    with HostileServer(answer) as server:
        result = _refresh(cli, tmp_path, server.url, "us-east-1")
    _clean(result)
    assert result.exit_code == 2, result.stderr
    assert server.url in result.stderr and field in result.stderr
    assert not (tmp_path / "aws.csv").exists()


# --- observe --source cloudwatch (JSON protocol) ---------------------------------------------


CLOUDWATCH_TYPE = {"Content-Type": "application/x-amz-json-1.0"}


def _metrics(values, token: str | None = None) -> Answer:
    result = {"Id": "v0_invocations", "Label": "Invocations", "StatusCode": "Complete",
              "Timestamps": [1_796_000_000 + 300 * i for i in range(len(values))],
              "Values": list(values)}  # fmt: skip
    body = {"MetricDataResults": [result], **({"NextToken": token} if token else {})}
    return Answer(200, json.dumps(body).encode(), CLOUDWATCH_TYPE)


def _observe(cli, url: str):
    return cli("observe", "--plan", PLAN, "--source", "cloudwatch", "--endpoint-url", url,
               "--window", "1h", "--step", "5m", "--format", "json")  # fmt: skip


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ([1.0, float("nan")], "Values[1]"),
        ([1e308], "Values[0]"),
        ([-17.67], "Values[0]"),
        ([float("inf")], "Values[0]"),
    ],
)
def test_cloudwatch_values_out_of_range_exit_2_naming_the_field(cli, values, words):
    with HostileServer(lambda path: _metrics(values)) as server:
        result = _observe(cli, server.url)
    _clean(result)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert words in result.stderr and server.url in result.stderr
    assert "observation" not in result.stdout  # no figure computed from what was refused


def test_a_cloudwatch_next_token_pointing_at_itself_stops(cli):
    with HostileServer(lambda path: _metrics([1.0], token="again")) as server:
        started = time.monotonic()
        result = _observe(cli, server.url)
    _clean(result)
    assert result.exit_code == 2 and "already read" in result.stderr, result.stderr
    assert len(server.seen) < 10 and time.monotonic() - started < 60


def test_a_cloudwatch_answer_that_is_not_json_exits_2(cli):
    garbage = b'{"MetricDataResults": [{"Id": "v0_invocations", "Values": [1, 2'
    with HostileServer(lambda path: Answer(200, garbage, CLOUDWATCH_TYPE)) as server:
        result = _observe(cli, server.url)
    _clean(result)
    assert result.exit_code == 2 and server.url in result.stderr, result.stderr


# --- profiles import --sagemaker-job and launch (JSON protocol) ------------------------------


def test_an_inference_recommender_answer_with_nan_exits_2(cli, tmp_path):
    body = {"JobName": "job", "Status": "COMPLETED", "InferenceRecommendations": [
        {"EndpointConfiguration": {"InstanceType": "ml.g5.xlarge"},
         "Metrics": {"MaxInvocations": 1, "ModelLatency": 1.5}}]}  # fmt: skip
    text = json.dumps(body).replace("1.5", "NaN").encode()
    with HostileServer(lambda path: Answer(200, text, JSON_TYPE)) as server:
        result = cli("profiles", "import", "--sagemaker-job", "job", "--region", "us-east-1",
                     "--endpoint-url", server.url, "--input-tokens", "500", "--output-tokens",
                     "200", "-o", tmp_path / "p.csv")  # fmt: skip
    _clean(result)
    assert result.exit_code == 2, result.stderr
    assert "ModelLatency" in result.stderr and server.url in result.stderr
    assert not (tmp_path / "p.csv").exists()


def test_launch_against_a_stalled_endpoint_stops_at_the_deadline(cli, monkeypatch):
    import providers.aws.sdk as sdk

    monkeypatch.setattr(sdk, "DEADLINE_S", 1.0)
    answer = Answer(200, forever(b" "), JSON_TYPE, pause_s=0.05, length=False)
    with HostileServer(lambda path: answer) as server:
        started = time.monotonic()
        result = cli("launch", PLAN, "--target", "sagemaker", "--apply", "--yes",
                     "--endpoint-url", server.url)  # fmt: skip
    _clean(result)
    assert result.exit_code != 0 and "deadline" in result.stderr, result.stderr
    assert time.monotonic() - started < 60


def test_a_session_token_with_a_newline_is_refused_without_showing_it(cli, tmp_path, monkeypatch):
    token = "FwoGZXIvYXdzEXAMPLETOKEN1234567890"
    monkeypatch.setenv("AWS_SESSION_TOKEN", token + "\nX-Evil: 1")
    with HostileServer(lambda path: _json(_quota(64.0))) as server:
        result = _quotas(cli, tmp_path, server.url)
    _clean(result)
    assert result.exit_code == 2 and "control character" in result.stderr, result.stderr
    assert token not in result.stderr + result.stdout and server.seen == []


# --- fuzz: any answer ------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=15, database=None, suppress_health_check=list(HealthCheck))
@given(body=st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"Quota": st.fixed_dictionaries({"Value": json_values})}).map(
        lambda v: json.dumps(v).encode()),
    st.binary(max_size=100),
))  # fmt: skip
def test_any_service_quotas_answer_exits_cleanly(cli, tmp_path_factory, body):
    tmp = tmp_path_factory.mktemp("quotas")
    with HostileServer(lambda path: Answer(200, body, JSON_TYPE)) as server:
        result = _quotas(cli, tmp, server.url)
    _clean(result)


@settings(max_examples=15, database=None, suppress_health_check=list(HealthCheck))
@given(values=st.lists(st.floats() | st.integers(-(2**63), 2**64 - 1), max_size=4),
       token=st.none() | st.text(max_size=8))  # fmt: skip
def test_any_cloudwatch_answer_exits_cleanly(cli, values, token):
    with HostileServer(lambda path: _metrics(values, token or None)) as server:
        result = _observe(cli, server.url)
    _clean(result)


@pytest.mark.parametrize(
    ("name", "value"),
    [("AWS_MAX_ATTEMPTS", "50"), ("AWS_RETRY_MODE", "legacy"),
     ("AWS_MAX_ATTEMPTS", "9" * 400), ("AWS_RETRY_MODE", "adaptive")],
)  # fmt: skip
def test_aws_retry_settings_in_the_environment_cannot_make_a_retry_storm(
    cli, tmp_path, monkeypatch, name, value
):
    monkeypatch.setenv(name, value)
    error = {"__type": "ServiceUnavailableException", "message": "try later"}
    with HostileServer(lambda path: _json(error, 503)) as server:
        result = cli("profiles", "import", "--sagemaker-job", "job", "--region", "us-east-1",
                     "--endpoint-url", server.url, "--input-tokens", "500", "--output-tokens",
                     "200", "-o", tmp_path / "p.csv")  # fmt: skip
    _clean(result)
    assert result.exit_code != 0 and len(server.seen) <= 3
