"""`planner check`: the CI gate passes and fails on the right side of each threshold."""

from __future__ import annotations

import pytest

from planner.report import CheckLimits, check_plan
from tests.test_report_plans import alloc, mixed_plan, plan_of, write_plan


def hourly_plan(**overrides):
    """$20/h serving (2 x $10), $30 of jobs (a $3/h job for 10 h)."""
    return plan_of(
        [
            alloc("chat", count=2, price_per_hour=10.0),
            alloc("job", kind="batch", price_per_hour=3.0, hours=10.0),
        ],
        **overrides,
    )


@pytest.mark.parametrize(
    ("limits", "ok"),
    [
        (CheckLimits(max_cost_per_hour=20.0), True),
        (CheckLimits(max_cost_per_hour=19.99), False),
        (CheckLimits(max_cost_per_month=14600.0), True),
        (CheckLimits(max_cost_per_month=14599.0), False),
        (CheckLimits(max_job_cost=30.0), True),
        (CheckLimits(max_job_cost=29.0), False),
        (CheckLimits(max_gap=0.0), True),
        (CheckLimits(require_slo=True), True),
        (
            CheckLimits(max_cost_per_hour=100, max_job_cost=100, require_slo=True, max_gap=0.01),
            True,
        ),
    ],
)
def test_thresholds(limits, ok):
    result = check_plan(hourly_plan(), limits)
    assert result.ok is ok
    assert result.line.startswith("OK plan p1: " if ok else "FAIL plan p1: ")
    assert "\n" not in result.line


def test_gap_and_slo_failures_name_the_reason():
    plan = hourly_plan(gap=0.05, missed={"chat"})
    assert check_plan(plan, CheckLimits(max_gap=0.05)).ok
    gap = check_plan(plan, CheckLimits(max_gap=0.01))
    assert not gap.ok and "gap 5.00% is over the limit 1.00%" in gap.line
    slo = check_plan(plan, CheckLimits(require_slo=True))
    assert (
        not slo.ok
        and "chat misses its SLO (p5.4xlarge in us-east-1: predicted TPOT 60 ms above 50 ms)"
        in slo.line
    )
    both = check_plan(plan, CheckLimits(max_cost_per_hour=1, require_slo=True))
    assert both.line.count(";") == 1 and "$20.00/h is over the limit $1.00/h" in both.line


def test_cli_check_passes_and_fails(cli, tmp_path):
    plan = mixed_plan()
    path = write_plan(tmp_path, "plan.json", plan)
    ok = cli(
        "check",
        path,
        "--max-cost-per-hour",
        plan.cost_per_hour + 0.01,
        "--require-slo",
        "--max-gap",
        "0.01",
        "--max-job-cost",
        plan.job_cost + 1,
    )
    assert ok.exit_code == 0 and ok.stdout.startswith("OK plan ") and ok.stdout.count("\n") == 1
    fail = cli("check", path, "--max-cost-per-hour", plan.cost_per_hour - 0.01)
    assert fail.exit_code == 1 and fail.stdout == ""
    assert fail.stderr.startswith("FAIL plan ") and fail.stderr.count("\n") == 1
    jobs = cli("check", path, "--max-job-cost", plan.job_cost / 2)
    assert jobs.exit_code == 1 and "jobs $" in jobs.stderr


def test_cli_check_needs_a_limit_and_sane_values(cli, tmp_path):
    path = write_plan(tmp_path, "plan.json", hourly_plan())
    assert cli("check", path).exit_code == 2
    assert cli("check", path, "--max-gap", "5").exit_code == 2
    assert cli("check", path, "--max-cost-per-hour", "-1").exit_code == 2
    assert cli("check", tmp_path / "nope.json", "--require-slo").exit_code == 2
