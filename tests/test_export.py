"""`planner export --format focus-csv`: FOCUS column names and values, billed cost that sums to
the plan's cost for the period, the default period from an injected clock; Plan.to_dataframe."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, datetime

import pytest

from planner.report import FOCUS_COLUMNS, focus_csv, focus_rows
from planner.report import focus as focus_module
from planner.report.focus import Period, default_period_start, list_prices, parse_start
from tests.test_report_plans import alloc, mixed_plan, plan_of, write_plan

# The FOCUS columns this export promises (names as in the FOCUS specification).
SPEC_COLUMNS = {
    "BillingAccountId",
    "BillingAccountName",
    "SubAccountId",
    "SubAccountName",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ListUnitPrice",
    "ContractedCost",
    "ContractedUnitPrice",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeFrequency",
    "ChargeDescription",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "InvoiceIssuerName",
    "RegionId",
    "RegionName",
    "AvailabilityZone",
    "ServiceName",
    "ServiceCategory",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "SkuId",
    "SkuPriceId",
    "Tags",
    "ConsumedQuantity",
    "ConsumedUnit",
}
SERVICE_CATEGORIES = {"AI and Machine Learning", "Compute"}
START = datetime(2027, 1, 1, tzinfo=UTC)


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_columns_are_focus_names_plus_x_prefixed_extras():
    assert set(FOCUS_COLUMNS) >= SPEC_COLUMNS
    assert all(c in SPEC_COLUMNS or c.startswith("x_") for c in FOCUS_COLUMNS)
    assert len(set(FOCUS_COLUMNS)) == len(FOCUS_COLUMNS)


@pytest.mark.parametrize(("period", "hours"), [("month", 744), ("day", 24), ("hour", 1)])
def test_billed_cost_sums_to_the_plans_cost_for_the_period(period, hours):
    plan = mixed_plan()
    rows = read(focus_csv(focus_rows(plan, START, Period(period))))
    assert len(rows) == len(plan.allocations)
    assert list(rows[0]) == list(FOCUS_COLUMNS)
    jobs_in_period = sum(
        (a.job_cost or 0) * min(1.0, hours / a.hours) for a in plan.allocations if a.hours
    )
    expected = plan.cost_per_hour * hours + jobs_in_period
    assert sum(float(r["BilledCost"]) for r in rows) == pytest.approx(expected, abs=1e-3)
    if period == "month":  # every job of the mixed plan ends within a month
        assert expected == pytest.approx(plan.cost_per_hour * 744 + plan.job_cost, abs=1e-3)
    for r in rows:
        assert r["BilledCost"] == r["EffectiveCost"] == r["ContractedCost"]
        assert r["ChargeCategory"] == "Usage" and r["ChargeFrequency"] == "Usage-Based"
        assert r["ChargeClass"] == "" and r["BillingCurrency"] == "USD"
        assert r["ServiceCategory"] in SERVICE_CATEGORIES
        assert r["PricingUnit"] == r["ConsumedUnit"] == "Hours"
        assert r["ChargePeriodStart"] == "2027-01-01T00:00:00Z"
        assert r["BillingPeriodStart"] == "2027-01-01T00:00:00Z"
        assert r["BillingPeriodEnd"] == "2027-02-01T00:00:00Z"
        tags = json.loads(r["Tags"])
        assert tags["plan_id"] == plan.plan_id and tags["workload"] == r["x_Workload"]
    assert len({r["ResourceId"] for r in rows}) == len(rows)
    end = {
        "month": "2027-02-01T00:00:00Z",
        "day": "2027-01-02T00:00:00Z",
        "hour": "2027-01-01T01:00:00Z",
    }[period]
    assert {r["ChargePeriodEnd"] for r in rows} == {end}


def test_row_values_for_serving_spot_jobs_and_managed_services():
    plan = plan_of(
        [
            alloc("chat", count=2, price_per_hour=10.0),
            alloc(
                "chat",
                provider="gcp",
                region="us-central1",
                service="vertex",
                instance_type="a2-highgpu-1g",
                accelerator="A100",
                price_per_hour=4.0,
            ),
            alloc("nightly", kind="batch", pricing="spot", price_per_hour=2.0, count=3, hours=30.0),
        ]
    )
    prices = {("aws", "us-east-1", "", "ec2", "p5.4xlarge"): 12.0}
    serving, vertex, batch = focus_rows(plan, START, Period.day, prices)
    assert serving["BilledCost"] == pytest.approx(2 * 10.0 * 24)
    assert serving["PricingQuantity"] == serving["ConsumedQuantity"] == 48
    assert serving["ListUnitPrice"] == 12.0 and serving["ListCost"] == pytest.approx(12.0 * 48)
    assert serving["ContractedUnitPrice"] == 10.0
    assert serving["PricingCategory"] == "Standard" and serving["ProviderName"] == "AWS"
    assert serving["ServiceName"] == "Amazon Elastic Compute Cloud"
    assert serving["ServiceCategory"] == "Compute" and serving["ResourceType"] == "Virtual Machine"
    assert serving["RegionName"] == "US East (N. Virginia)"
    assert vertex["ServiceCategory"] == "AI and Machine Learning"
    assert vertex["ProviderName"] == "Google Cloud" and vertex["ServiceName"] == "Vertex AI"
    assert vertex["ResourceType"] == "Vertex AI Endpoint" and vertex["RegionName"] == "Iowa"
    assert vertex["ListUnitPrice"] == 4.0  # no catalog price: the price paid
    # a 30-hour job: the first day holds 24 of its hours, 80% of its cost
    assert batch["PricingCategory"] == "Dynamic"
    assert batch["BilledCost"] == pytest.approx(3 * 2.0 * 30 * 0.8)
    assert batch["PricingQuantity"] == pytest.approx(72)
    (month,) = [r for r in focus_rows(plan, START) if r["x_Workload"] == "nightly"]
    assert month["BilledCost"] == pytest.approx(180.0)


def test_default_start_is_the_first_of_next_month_from_the_clock():
    assert default_period_start(lambda: datetime(2026, 11, 25, 17, 3, tzinfo=UTC)) == datetime(
        2026, 12, 1, tzinfo=UTC
    )
    assert default_period_start(lambda: datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == START


def test_start_parsing():
    assert parse_start("2027-01-01") == START
    assert parse_start("2027-01-01T00:00:00Z") == START
    assert parse_start("2027-01-01T01:00:00+01:00") == START
    with pytest.raises(Exception, match="ISO 8601"):
        parse_start("next tuesday")


def test_list_prices_come_from_the_catalog():
    from planner.catalog import load_catalog

    prices = list_prices(load_catalog())
    plan = mixed_plan()
    rows = focus_rows(plan, START, Period.hour, prices)
    assert any(a.pricing == "spot" for a in plan.allocations)
    for a, r in zip(plan.allocations, rows, strict=True):
        if a.pricing == "spot":  # list price: the on-demand price of the same offering
            assert r["ListUnitPrice"] > r["ContractedUnitPrice"] == a.price_per_hour
            assert r["ListCost"] > r["BilledCost"]
        else:  # planned on the bundled catalog, so the plan's price is the list price
            assert r["ListUnitPrice"] == pytest.approx(a.price_per_hour)


def test_cli_export_writes_csv_with_the_injected_clock_and_guards_output(
    cli, tmp_path, monkeypatch
):
    monkeypatch.setattr(focus_module, "utc_now", lambda: datetime(2026, 11, 25, tzinfo=UTC))
    path = write_plan(tmp_path, "plan.json", mixed_plan())
    out = tmp_path / "costs.csv"
    result = cli("export", path, "--format", "focus-csv", "-o", out)
    assert result.exit_code == 0, result.stderr
    rows = read(out.read_text())
    assert {r["ChargePeriodStart"] for r in rows} == {"2026-12-01T00:00:00Z"}
    assert {r["ChargePeriodEnd"] for r in rows} == {"2027-01-01T00:00:00Z"}
    assert "FOCUS row(s)" in result.stdout
    assert cli("export", path, "-o", out).exit_code == 2
    again = cli("export", path, "-o", out, "--force", "--period", "hour", "--start", "2027-03-01")
    assert again.exit_code == 0
    assert read(out.read_text())[0]["ChargePeriodEnd"] == "2027-03-01T01:00:00Z"
    stdout = cli("export", path, "--start", "2027-01-01")
    assert stdout.exit_code == 0 and stdout.stdout.startswith("BillingAccountId,")
    assert cli("export", path, "--start", "2027-01-31").exit_code == 2  # no 31 February
    assert cli("export", path, "--start", "soon").exit_code == 2


def test_plan_to_dataframe():
    pd = pytest.importorskip("pandas")
    plan = mixed_plan()
    frame = plan.to_dataframe()
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(plan.allocations)
    assert list(frame.columns[:3]) == ["plan_id", "workload", "kind"]
    assert set(frame["plan_id"]) == {plan.plan_id}
    serving = frame[frame["kind"] == "serving"]["cost_per_hour"].sum()
    assert serving == pytest.approx(plan.cost_per_hour, abs=1e-3)
    assert frame["job_cost"].fillna(0).sum() == pytest.approx(plan.job_cost, abs=1e-3)
    assert frame["hours"].dtype == "float64"


def test_to_dataframe_without_pandas_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"llm-placement-planner\[pandas\]"):
        mixed_plan().to_dataframe()


def _check_focus_rules(rows: list[dict[str, str]], header: list[str], version: str) -> list[str]:
    """Every broken rule of tests/focus_spec.py, in words (empty: the file conforms)."""
    from tests import focus_spec as spec

    problems = [
        f"missing mandatory column {c}" for c in sorted(spec.MANDATORY[version] - set(header))
    ]
    for name in header:
        if not (spec.FOCUS_NAME.match(name) or spec.CUSTOM_NAME.match(name)):
            problems.append(f"column {name!r} is neither PascalCase FOCUS nor x_ custom")
    for i, row in enumerate(rows, start=2):
        for column, value in row.items():
            where = f"line {i} {column}={value!r}"
            if value == "":
                if column in spec.NOT_NULL:
                    problems.append(f"{where}: must not be null")
                continue
            kind = spec.DATA_TYPES.get(column, "String")
            if kind == "Decimal" and not spec.NUMERIC.match(value):
                problems.append(f"{where}: not a FOCUS numeric value")
            if kind == "DateTime" and not spec.DATE_TIME.match(value):
                problems.append(f"{where}: not YYYY-MM-DDTHH:mm:ssZ")
            if kind == "JSON" and not isinstance(json.loads(value), dict):
                problems.append(f"{where}: tags must be a JSON object")
            if column in spec.ALLOWED_VALUES and value not in spec.ALLOWED_VALUES[column]:
                problems.append(f"{where}: not an allowed value")
        if not spec.CURRENCY.match(row["BillingCurrency"]):
            problems.append(f"line {i}: BillingCurrency is not an ISO 4217 code")
        if not row["BillingPeriodStart"] <= row["ChargePeriodStart"] < row["ChargePeriodEnd"]:
            problems.append(f"line {i}: charge period outside its billing period")
    return problems


@pytest.mark.parametrize("version", ["1.0", "1.1"])
@pytest.mark.parametrize("period", ["month", "day", "hour"])
def test_export_conforms_to_the_focus_column_rules(version, period):
    plan = mixed_plan()
    text = focus_csv(focus_rows(plan, START, Period(period), list_prices(load_bundled())))
    header = next(csv.reader(io.StringIO(text)))
    assert _check_focus_rules(read(text), header, version) == []


def test_the_focus_rule_check_catches_broken_rows():
    text = focus_csv(focus_rows(mixed_plan(), START))
    rows = read(text)
    header = list(rows[0])
    broken = [
        {**rows[0], "BillingAccountId": ""},
        {**rows[0], "BilledCost": "1.5e3"},
        {**rows[0], "ChargeCategory": "Fee"},
        {**rows[0], "ChargePeriodStart": "2027-01-01 00:00"},
        {**rows[0], "BillingCurrency": "usd"},
    ]
    problems = _check_focus_rules(broken, [h for h in header if h != "ServiceName"], "1.1")
    assert problems[0] == "missing mandatory column ServiceName"
    for expected in ("must not be null", "numeric", "allowed value", "YYYY", "ISO 4217"):
        assert any(expected in p for p in problems), expected


def test_billing_and_sub_accounts_default_and_come_from_the_cli(cli, tmp_path, monkeypatch):
    path = write_plan(tmp_path, "plan.json", mixed_plan())
    default = read(cli("export", path, "--start", "2027-01-01").stdout)
    assert {r["BillingAccountId"] for r in default} == {"planner-projection"}
    assert {r["SubAccountId"] for r in default} == {""}
    monkeypatch.setenv("PLANNER_SUB_ACCOUNT_NAME", "search-prod")
    given = cli("export", path, "--start", "2027-01-01", "--billing-account-id", "123456789012",
                "--billing-account-name", "Payer", "--sub-account-id", "210987654321")  # fmt: skip
    rows = read(given.stdout)
    assert {(r["BillingAccountId"], r["BillingAccountName"]) for r in rows} == {
        ("123456789012", "Payer")
    }
    assert {(r["SubAccountId"], r["SubAccountName"]) for r in rows} == {
        ("210987654321", "search-prod")
    }
    assert cli("export", path, "--billing-account-id", " ").exit_code == 2


def test_rows_carry_unit_costs_standby_and_price_provenance():
    plan = plan_of([alloc("api"), alloc("api", region="us-west-2", routed_rps=0.0)])
    rows = focus_rows(plan, START, Period.hour)
    assert rows[0]["x_UsdPerThousandRequests"] == pytest.approx(6.88 / (5 * 3600) * 1000)
    assert json.loads(rows[0]["Tags"])["usd_per_1k_requests"].startswith("0.38")
    assert rows[1]["x_StandbyRule"] and json.loads(rows[1]["Tags"])["standby"] == "true"
    mixed = focus_rows(mixed_plan(), START, Period.hour)
    assert all(r["x_PriceSource"] and r["x_PriceAsOf"] for r in mixed)
    assert {r["x_PriceKind"] for r in mixed} <= {"list", "derived", "estimate", "user", "refreshed"}
    serving = next(r for r in mixed if r["x_WorkloadKind"] == "serving")
    assert serving["x_UsdPerMillionTokens"] > 0


def load_bundled():
    from planner.catalog import load_catalog

    return load_catalog()
