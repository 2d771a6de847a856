"""Shared refresh machinery: backoff, HTTP retries, paging, merging with the base, the CSV."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from planner.catalog import Offering, load_catalog
from planner.errors import InputError
from providers.refresh_common import (
    NULL_PROGRESS,
    Http,
    HttpError,
    RefreshContext,
    RefreshResult,
    RetriesExhausted,
    RetryPolicy,
    catalog_csv,
    check_writable,
    format_number,
    merge_with_base,
    pages,
    retry,
    write_text_atomically,
)
from tests.fakes.server import FakeServer, Faults, Reply

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _offering(region="us-east-1", itype="g5.xlarge", price=1.0, spot=None, provider="aws",
              service="ec2", source="old", accelerator="A10G") -> Offering:  # fmt: skip
    return Offering(
        provider=provider, region=region, service=service, instance_type=itype,
        accelerator=accelerator, accelerator_count=1, accelerator_memory_gb=24.0, vcpus=4.0,
        memory_gib=16.0, price_on_demand=price, price_spot=spot, source=source,
        as_of="2026-01-01",
    )  # fmt: skip


class Throttled(Exception):
    pass


def test_backoff_is_full_jitter_exponential_and_seeded():
    policy = RetryPolicy(attempts=6, base_s=1.0, cap_s=5.0, seed=7)
    delays = policy.delays()
    assert delays == RetryPolicy(attempts=6, base_s=1.0, cap_s=5.0, seed=7).delays()
    assert len(delays) == 5
    for n, delay in enumerate(delays):
        assert 0 <= delay <= min(5.0, 2**n)
    assert delays != RetryPolicy(attempts=6, base_s=1.0, cap_s=5.0, seed=8).delays()


def test_retry_waits_the_policys_delays_then_succeeds():
    answers = iter([Throttled(), Throttled(), "ok"])
    slept: list[float] = []

    def call():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    policy = RetryPolicy(attempts=4, seed=3)
    got = retry(call, retryable=lambda e: isinstance(e, Throttled), policy=policy,
                sleep=slept.append, what="thing")  # fmt: skip
    assert got == "ok"
    assert slept == policy.delays()[:2]


def test_retry_gives_up_after_the_attempts_and_passes_other_errors_at_once():
    slept: list[float] = []
    calls = []

    def throttled():
        calls.append(1)
        raise Throttled("slow down")

    with pytest.raises(RetriesExhausted, match=r"thing: still failing after 3 attempts"):
        retry(throttled, retryable=lambda e: isinstance(e, Throttled),
              policy=RetryPolicy(attempts=3), sleep=slept.append, what="thing")  # fmt: skip
    assert len(calls) == 3 and len(slept) == 2

    def broken():
        calls.append(1)
        raise ValueError("bad")

    calls.clear()
    with pytest.raises(ValueError):
        retry(broken, retryable=lambda e: isinstance(e, Throttled), policy=RetryPolicy(),
              sleep=slept.append, what="thing")  # fmt: skip
    assert len(calls) == 1


def test_http_retries_429_and_503_but_not_a_hard_error_and_never_shows_credentials():
    faults = Faults(throttle={"/a": 1, "/b": 1}, fail={"/hard"})

    def route(request):
        fault = faults.check(request.path)
        if fault == "throttle":
            return Reply(429 if request.path == "/a" else 503, {"error": {"message": "slow"}})
        if fault == "fail":
            return Reply(403, {"error": {"message": "denied"}})
        return Reply(200, {"path": request.path, "q": request.query})

    slept: list[float] = []
    with FakeServer(route) as server:
        http = Http(headers={"X-Goog-Api-Key": "SECRET-KEY"}, sleep=slept.append)
        assert http.get_json(f"{server.url}/a", {"x": "1 2"}) == {"path": "/a", "q": {"x": "1 2"}}
        assert http.get_json(f"{server.url}/b")["path"] == "/b"
        with pytest.raises(HttpError) as err:
            http.get_json(f"{server.url}/hard", {"key": "SECRET-KEY"})
        requests = server.requests
    assert len(slept) == 2
    assert err.value.status == 403
    assert "denied" in str(err.value) and "SECRET-KEY" not in str(err.value)
    assert [r.path for r in requests].count("/hard") == 1
    assert requests[0].headers["x-goog-api-key"] == "SECRET-KEY"


def test_pages_yield_what_came_before_a_failing_page():
    def fetch(token):
        if token == "2":
            raise HttpError(500, "http://x", "boom")
        return ([f"item{token or 0}"], {None: "1", "1": "2"}[token])

    got = []
    with pytest.raises(HttpError):
        for item in pages(fetch, NULL_PROGRESS, "things"):
            got.append(item)
    assert got == ["item0", "item1"]


def _result(**kwargs) -> RefreshResult:
    fields = dict(provider="aws", offerings=(), refreshed=frozenset(), covers=re.compile("."))
    return RefreshResult(**{**fields, **kwargs})


def test_merge_replaces_refreshed_scopes_and_keeps_the_rest():
    base = [
        _offering("us-east-1", "g5.xlarge", 1.0, 0.4),
        _offering("us-east-1", "p5.48xlarge", 55.0, 30.0, accelerator="H100"),
        _offering("us-east-1", "g4dn.xlarge", 0.5),  # no longer offered: dropped
        _offering("eu-west-1", "g5.xlarge", 1.2),  # region not refreshed: kept
        _offering("us-east-1", "ml.g5.xlarge", 1.4, service="sagemaker"),  # other service
        _offering(
            "us-central1", "g2-standard-4", 0.7, provider="gcp", service="gce", accelerator="L4"
        ),
    ]
    fresh = (_offering("us-east-1", "g5.xlarge", 1.006, None, source="new"),)
    result = _result(
        offerings=fresh,
        refreshed=frozenset({("aws", "us-east-1", "ec2")}),
        kept=frozenset({("aws", "us-east-1", "ec2", "p5.48xlarge")}),
        spot_kept=frozenset({("aws", "us-east-1", "ec2", "g5.xlarge")}),
    )
    merged = merge_with_base(base, result)
    rows = {(o.region, o.instance_type): o for o in merged.offerings}
    assert ("us-east-1", "g4dn.xlarge") not in rows
    assert rows[("us-east-1", "g5.xlarge")].price_on_demand == 1.006
    assert rows[("us-east-1", "g5.xlarge")].price_spot == 0.4
    assert rows[("us-east-1", "g5.xlarge")].source == "new+spot-from-base"
    assert rows[("us-east-1", "p5.48xlarge")].source == "old"
    assert rows[("eu-west-1", "g5.xlarge")].source == "old"
    assert ("us-east-1", "ml.g5.xlarge") in rows and ("us-central1", "g2-standard-4") in rows
    assert (merged.fresh, merged.kept_after_failure, merged.spot_from_base, merged.dropped) == (
        1, 1, 1, 1,
    )  # fmt: skip


def test_merge_leaves_rows_the_refresh_does_not_cover():
    base = [_offering("us-central1", "ct5lp-hightpu-1t", 1.2, provider="gcp", service="gce",
                      accelerator="TPU-v5e")]  # fmt: skip
    result = _result(provider="gcp", refreshed=frozenset({("gcp", "us-central1", "gce")}),
                     covers=re.compile(r"^(a2|a3|g2)-"))  # fmt: skip
    assert merge_with_base(base, result).offerings == tuple(base)


def test_catalog_csv_round_trips_through_load_catalog(tmp_path):
    rows = [
        replace(
            _offering("us-east-1", "g5.xlarge", 1.006, 0.00001, source="aws-pricing-api"),
            price_kind="refreshed",
            spot_price_kind="refreshed",
        ),
        replace(
            _offering("us-east-1", "p5.48xlarge", 55.04, None, accelerator="H100"),
            price_kind="derived",
        ),
    ]
    path = tmp_path / "cat.csv"
    write_text_atomically(path, catalog_csv(rows, ["refreshed on 2026-11-25", "", "x"]), False)
    text = path.read_text()
    assert text.startswith("# refreshed on 2026-11-25\n#\n# x\nprovider,region,zone,")
    assert "0.00001" in text and ",55.04," in text
    assert load_catalog([path]).offerings == tuple(sorted(rows, key=lambda o: o.key))


def test_existing_output_is_never_overwritten_without_force(tmp_path):
    path = tmp_path / "cat.csv"
    path.write_text("precious")
    with pytest.raises(InputError, match="already exists; pass --force"):
        write_text_atomically(path, "new", force=False)
    assert path.read_text() == "precious"
    write_text_atomically(path, "new", force=True)
    assert path.read_text() == "new"
    with pytest.raises(InputError, match="does not exist"):
        check_writable(tmp_path / "no" / "dir.csv", force=False)


def test_numbers_are_written_plainly():
    assert [format_number(v) for v in (None, 8, 8.0, 1.0060000001, 0.00001, 2.5)] == [
        "", "8", "8", "1.006", "0.00001", "2.5",
    ]  # fmt: skip


def test_context_calls_retry_with_its_policy_and_sleep():
    slept: list[float] = []
    ctx = RefreshContext(now=NOW, as_of="2026-11-25", policy=RetryPolicy(attempts=2),
                         sleep=slept.append)  # fmt: skip
    with pytest.raises(RetriesExhausted):
        ctx.call(lambda: (_ for _ in ()).throw(Throttled()), lambda e: True, "x")
    assert len(slept) == 1


def test_progress_is_shown_only_on_a_terminal(monkeypatch, capsys):
    import sys

    from providers.refresh_common import progress_bar

    with progress_bar("Refreshing aws", enabled=True) as progress:
        assert progress is NULL_PROGRESS  # pytest's stderr is not a terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with progress_bar("Refreshing aws", enabled=False) as progress:
        assert progress is NULL_PROGRESS
    with progress_bar("Refreshing aws", enabled=True) as progress:
        assert progress is not NULL_PROGRESS
        for n in range(3):
            progress.page(f"SKUs (page {n + 1})")
    assert capsys.readouterr().out == ""


def test_cli_options_are_checked_before_anything_is_fetched(cli, tmp_path):
    out = tmp_path / "x.csv"
    cases = [
        (["--provider", "ibm"], "--provider 'ibm' is not allowed; use one of aws, azure, gcp"),
        (["--provider", "aws", "--endpoint-url", "compute=http://127.0.0.1:1"],
         "aws has no service 'compute'; use one of ec2, pricing, service-quotas"),
        (["--provider", "azure", "--regions", " , "], "--region is empty"),
        (["--provider", "azure", "--as-of", "25/11/2026"], "is not a date"),
    ]  # fmt: skip
    for args, message in cases:
        result = cli("catalog", "refresh", "-o", out, *args)
        assert result.exit_code == 2 and message in result.stderr, (args, result.stderr)
    assert not out.exists()
    quotas = cli("quotas", "refresh", "--provider", "azure", "-o", tmp_path / "q.yaml")
    assert quotas.exit_code == 2
    assert "Azure (azure) has no quota refresh" in quotas.stderr
    assert "clouds with it: aws, gcp" in quotas.stderr
