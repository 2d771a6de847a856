"""The planner's results depend on the date it is given, never on the day the tests run.

Each test runs under two far-apart frozen clocks (time-machine) and checks the result is the
same for the same injected date, and follows the frozen clock only where the CLI reads "today"
or "now" at its edge (a plan made without --date, the FOCUS default period, observe windows).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine

from planner.report.focus import default_period_start
from planner.solve import solve
from planner.spec import load_spec
from tests.fakes.server import FakeServer, Reply

ROOT = Path(__file__).resolve().parent.parent
HYBRID = ROOT / "examples" / "hybrid-fleet.yaml"  # holds a reservation ending 2027-09-30
CLOCKS = [dt.datetime(2026, 11, 15, 9, 30, tzinfo=dt.UTC), dt.datetime(2031, 6, 30, 23, 59,
                                                                        tzinfo=dt.UTC)]  # fmt: skip
IDS = ["2026-11-15", "2031-06-30"]
IN_TERM, AFTER_TERM = dt.date(2027, 1, 10), dt.date(2028, 1, 10)


def _stable(plan) -> dict:
    data = plan.model_dump(mode="json")
    data.pop("solve_seconds")
    return data


@pytest.fixture(scope="module")
def hybrid_plans() -> dict:
    """The hybrid example planned for a date in its reservation's term and one after it,
    under each frozen clock."""
    spec = load_spec(HYBRID)
    out = {}
    for clock, name in zip(CLOCKS, IDS, strict=True):
        with time_machine.travel(clock, tick=False):
            for day in (IN_TERM, AFTER_TERM):
                out[(name, day)] = _stable(solve(spec, as_of=day, baselines=False))
    return out


def test_a_plan_depends_on_its_date_not_on_the_clock(hybrid_plans):
    for day in (IN_TERM, AFTER_TERM):
        assert hybrid_plans[(IDS[0], day)] == hybrid_plans[(IDS[1], day)]


def test_a_reservation_counts_only_within_its_term(hybrid_plans):
    during, after = hybrid_plans[(IDS[0], IN_TERM)], hybrid_plans[(IDS[0], AFTER_TERM)]
    reserved = [p for p in during["capacity"] if p["kind"] == "reservation"]
    assert reserved and reserved[0]["term_end"] == "2027-09-30"
    days = (dt.date(2027, 9, 30) - IN_TERM).days + 1
    assert reserved[0]["commitment_remaining"] == pytest.approx(
        reserved[0]["committed_per_hour"] * days * 24, abs=0.01
    )
    assert not [p for p in after["capacity"] if p["kind"] == "reservation"]
    assert during["plan_id"] != after["plan_id"]
    assert (during["plan_date"], after["plan_date"]) == (
        IN_TERM.isoformat(),
        AFTER_TERM.isoformat(),
    )


@pytest.mark.parametrize("clock", CLOCKS, ids=IDS)
def test_plan_without_a_date_is_made_for_today_and_with_one_for_that_date(cli, tmp_path, clock):
    spec = ROOT / "examples" / "eu-residency.yaml"
    with time_machine.travel(clock, tick=False):
        assert cli("plan", spec, "--format", "json", "-o", tmp_path / "a.json").exit_code == 0
        result = cli("plan", spec, "--date", "2027-01-10", "--format", "json",
                     "-o", tmp_path / "b.json")  # fmt: skip
        assert result.exit_code == 0, result.stderr
        assert cli("plan", spec, "--date", "10/01/2027").exit_code == 2
    today = json.loads((tmp_path / "a.json").read_text())
    fixed = json.loads((tmp_path / "b.json").read_text())
    assert today["plan_date"] == clock.date().isoformat()
    assert fixed["plan_date"] == "2027-01-10"
    assert fixed["plan_id"] != today["plan_id"] and fixed["allocations"] == today["allocations"]


@pytest.mark.parametrize("clock", CLOCKS, ids=IDS)
def test_the_focus_default_period_follows_the_clock_it_is_given(clock):
    with time_machine.travel(clock, tick=False):
        default = default_period_start()
        given = default_period_start(lambda: dt.datetime(2027, 2, 14, tzinfo=dt.UTC))
    month = clock.month % 12 + 1
    assert default == dt.datetime(clock.year + (clock.month == 12), month, 1, tzinfo=dt.UTC)
    assert given == dt.datetime(2027, 3, 1, tzinfo=dt.UTC)


def test_a_plans_own_date_decides_its_figures_whatever_the_clock(cli, tmp_path):
    """verify and report of a plan made for IN_TERM give the same answer on any day."""
    plan = tmp_path / "plan.json"
    with time_machine.travel(CLOCKS[0], tick=False):
        assert cli("plan", HYBRID, "--date", IN_TERM.isoformat(), "--format", "json",
                   "-o", plan).exit_code == 0  # fmt: skip
    reports = []
    for clock in CLOCKS:
        with time_machine.travel(clock, tick=False):
            assert cli("verify", plan, HYBRID).exit_code == 0
            result = cli("report", plan, "--format", "md")
        assert result.exit_code == 0, result.stderr
        reports.append(result.stdout)
    assert reports[0] == reports[1] and "l4-reserved" in reports[0]


@pytest.mark.parametrize("clock", CLOCKS, ids=IDS)
def test_the_observe_window_ends_at_the_clock_read_once(cli, tmp_path, clock):
    plan = tmp_path / "plan.json"
    spec = ROOT / "examples" / "eu-residency.yaml"
    assert cli("plan", spec, "--format", "json", "-o", plan).exit_code == 0
    empty = {"status": "success", "data": {"resultType": "matrix", "result": []}}
    with FakeServer(lambda request: Reply(200, empty)) as prometheus:
        with time_machine.travel(clock, tick=False):
            result = cli("observe", "--plan", plan, "--source", "prometheus",
                         "--url", prometheus.url, "--window", "1h", "--step", "5m")  # fmt: skip
        ranges = [r for r in prometheus.requests if r.path.endswith("query_range")]
    assert result.exit_code == 0, result.stderr
    assert ranges
    (end,) = {float(r.query["end"]) for r in ranges}
    (start,) = {float(r.query["start"]) for r in ranges}
    assert clock.timestamp() - 300 < end <= clock.timestamp()  # the last whole 5 min step
    assert end - start == 3600 - 300
