"""Recurring batch jobs: every run counted in the plan's, the report's and FOCUS's month."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.report.focus import Period, focus_rows
from planner.solve import solve
from planner.spec import SpecError, parse_spec
from planner.spec.recurrence import parse_schedule
from tests.conftest import PLAN_DATE


def nightly(schedule: str | None) -> str:
    line = f"\n    schedule: {schedule!r}" if schedule else ""
    return (
        textwrap.dedent("""\
        workloads:
          - name: nightly
            kind: batch
            model: llama-3.1-8b
            volume: {input_tokens: 1000, output_tokens: 200, requests: 200000}
            deadline_hours: 6""")
        + line
        + "\n"
    )


@pytest.fixture(scope="module")
def plans():
    once = solve(parse_spec(nightly(None)), as_of=PLAN_DATE)
    daily = solve(parse_spec(nightly("daily")), as_of=PLAN_DATE)
    return once, daily


def test_a_daily_job_costs_every_run_of_the_month_in_the_plan(plans):
    once, daily = plans
    assert daily.job_cost == pytest.approx(once.job_cost)  # one run costs the same
    (w,) = daily.workloads
    assert w.schedule == "daily" and w.runs_per_month == pytest.approx(365 / 12)
    unit = daily.economics.workloads[0]
    assert unit.cost_per_month == pytest.approx(daily.job_cost * 365 / 12, abs=0.01)
    assert daily.economics.job_cost_per_month == pytest.approx(unit.cost_per_month)
    assert once.economics.job_cost_per_month == 0


def test_focus_bills_31_runs_in_january_and_28_in_february(plans):
    _, daily = plans
    for month, runs in ((1, 31), (2, 28), (4, 30)):
        start = dt.datetime(2027, month, 1, tzinfo=dt.UTC)
        rows = focus_rows(daily, start, Period.month)
        billed = sum(r["BilledCost"] for r in rows)
        assert billed == pytest.approx(daily.job_cost * runs)
        assert all(f"{runs} run(s)" in r["ChargeDescription"] for r in rows)


def test_a_run_that_crosses_midnight_is_split_between_days():
    # on L40S the run takes hours (on the cheapest, MI300X, it would end by 22:09)
    spec = parse_spec(nightly("0 22 * * *") + "    placement: {accelerators: [L40S]}\n")
    late = solve(spec, as_of=PLAN_DATE)
    hours = max(a.hours for a in late.allocations)
    assert hours > 2  # the run starting 22:00 ends after midnight
    day = dt.datetime(2027, 1, 2, tzinfo=dt.UTC)
    rows = focus_rows(late, day, Period.day)
    total = sum(r["BilledCost"] for r in rows)
    assert total == pytest.approx(late.job_cost)  # yesterday's tail + today's head: one run


def test_the_report_shows_the_monthly_cost_of_every_run(plans, cli, tmp_path):
    _, daily = plans
    path = tmp_path / "plan.json"
    path.write_text(daily.model_dump_json())
    result = cli("report", path, "--format", "md")
    assert result.exit_code == 0, result.stderr
    monthly = f"${daily.economics.job_cost_per_month:,.0f}"
    assert "Recurring jobs per month" in result.stdout and monthly in result.stdout


def test_a_schedule_that_does_not_parse_is_refused_with_its_line():
    with pytest.raises(SpecError, match=r":7: .*schedule"):
        parse_spec(nightly("every tuesday"))
    with pytest.raises(SpecError, match="never runs"):
        parse_spec(nightly("0 0 31 2 *"))


@given(st.integers(0, 23), st.integers(0, 59))
def test_a_daily_cron_runs_as_many_times_as_the_month_has_days(hour, minute):
    r = parse_schedule(f"{minute} {hour} * * *")
    for year, month, days in ((2027, 1, 31), (2027, 2, 28), (2028, 2, 29), (2027, 11, 30)):
        assert r.runs_in_month(year, month) == days


def test_weekday_and_month_day_combine_as_in_cron():
    both = parse_schedule("0 0 1 * 1")  # the 1st, and every Monday
    jan = both.runs_in_month(2027, 1)  # Jan 2027: Fri 1st; Mondays 4, 11, 18, 25
    assert jan == 5
    assert parse_schedule("*/15 * * * *").runs_in_month(2027, 1) == 31 * 24 * 4


def test_an_edited_run_count_is_caught(plans):
    from planner.plans.consistency import inconsistencies

    _, daily = plans
    data = daily.model_dump(mode="json")
    data["workloads"][0]["runs_per_month"] = 1
    edited = type(daily).model_validate(data)
    assert any("runs_per_month" in str(p) for p in inconsistencies(edited))
    assert not inconsistencies(daily)
