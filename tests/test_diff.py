"""`planner diff`: every changed allocation named and classified, cost deltas that add up,
SLO changes, the three output formats, and the --fail-on-increase gate."""

from __future__ import annotations

import json

import pytest

from planner.report import diff_plans
from planner.report.diff import allocation_key, increase_breaches
from planner.report.diff_render import MARKER, diff_markdown
from planner.report.family import instance_family
from tests.test_report_plans import alloc, mixed_plan, moved_plan, plan_of, write_plan


def test_two_catalogs_diff_names_every_changed_allocation_and_the_cost_delta():
    old, new = mixed_plan(), moved_plan()
    d = diff_plans(old, new)
    identical = [a for a in old.allocations if a in new.allocations]
    assert {id(c.old) for c in d.changes if c.old} == {
        id(a) for a in old.allocations if a not in identical
    }
    assert {id(c.new) for c in d.changes if c.new} == {
        id(b) for b in new.allocations if b not in identical
    }
    assert d.unchanged == len(identical) and d.changes
    hourly = d.total("serving $/h")
    assert hourly.delta == pytest.approx(new.cost_per_hour - old.cost_per_hour, abs=1e-6)
    assert sum(c.hourly_delta for c in d.changes) == pytest.approx(hourly.delta, abs=1e-3)
    jobs = d.total("jobs $")
    assert jobs.delta == pytest.approx(new.job_cost - old.job_cost, abs=1e-6)
    assert sum(c.job_delta for c in d.changes) == pytest.approx(jobs.delta, abs=1e-3)
    per_workload = {w.name: w.hourly_delta for w in d.workloads}
    assert sum(per_workload.values()) == pytest.approx(hourly.delta, abs=1e-3)
    # the catalog lost the picked offerings, so those allocations moved (same workload)
    assert {c.change for c in d.changes} <= {"moved", "resized", "changed", "added", "removed"}
    assert any(c.change == "moved" and c.workload == "summaries" for c in d.changes)


def test_identical_plans_have_no_changes():
    d = diff_plans(mixed_plan(), mixed_plan())
    assert not d.has_changes and d.changes == () and d.unchanged == len(mixed_plan().allocations)
    assert "No changes" in diff_markdown(d)


def test_each_kind_of_change_is_classified_with_exact_deltas():
    old = plan_of(
        [
            alloc("chat", count=2),
            alloc("chat", region="us-west-2"),
            alloc(
                "chat",
                provider="gcp",
                region="us-central1",
                service="gce",
                instance_type="a2-highgpu-1g",
                accelerator="A100",
                price_per_hour=3.67,
            ),
            alloc("rag", instance_type="g5.xlarge", accelerator="A10G", price_per_hour=1.006),
            alloc("gone", instance_type="g6.xlarge", accelerator="L4", price_per_hour=0.805),
            alloc(
                "job",
                kind="batch",
                pricing="spot",
                instance_type="g5.xlarge",
                accelerator="A10G",
                price_per_hour=0.45,
                count=4,
                hours=5.0,
            ),
        ],
        "old",
    )
    new = plan_of(
        [
            alloc("chat", count=3),  # resized
            alloc("chat", region="eu-west-1"),  # moved within the p5 family
            alloc(
                "chat",
                provider="gcp",
                region="us-central1",
                service="gce",
                instance_type="a2-highgpu-1g",
                accelerator="A100",
                price_per_hour=3.9,
            ),
            alloc("rag", instance_type="g6e.xlarge", accelerator="L40S", price_per_hour=1.861),
            alloc("fresh", instance_type="g6.xlarge", accelerator="L4", price_per_hour=0.805),
            alloc(
                "job",
                kind="batch",
                pricing="spot",
                instance_type="g5.xlarge",
                accelerator="A10G",
                price_per_hour=0.45,
                count=4,
                hours=6.0,
            ),  # longer job
        ],
        "new",
    )
    d = diff_plans(old, new)
    kinds = {
        (c.change, c.workload, (c.old or c.new).region, (c.old or c.new).instance_type)
        for c in d.changes
    }
    assert kinds == {
        ("resized", "chat", "us-east-1", "p5.4xlarge"),
        ("moved", "chat", "us-west-2", "p5.4xlarge"),
        ("changed", "chat", "us-central1", "a2-highgpu-1g"),
        ("moved", "rag", "us-east-1", "g5.xlarge"),
        ("removed", "gone", "us-east-1", "g6.xlarge"),
        ("added", "fresh", "us-east-1", "g6.xlarge"),
        ("changed", "job", "us-east-1", "g5.xlarge"),
    }
    by = {(c.change, c.workload): c for c in d.changes}
    assert by["resized", "chat"].hourly_delta == pytest.approx(6.88)
    assert by["resized", "chat"].details[0] == "count 2 -> 3"
    assert by["moved", "chat"].new.region == "eu-west-1" and by["moved", "chat"].hourly_delta == 0
    assert by["changed", "chat"].hourly_delta == pytest.approx(0.23)
    assert "price $3.6700/h -> $3.9000/h" in by["changed", "chat"].details
    assert by["moved", "rag"].hourly_delta == pytest.approx(1.861 - 1.006)
    assert by["removed", "gone"].hourly_delta == pytest.approx(-0.805)
    assert by["changed", "job"].job_delta == pytest.approx(1.8 * 6 - 1.8 * 5)
    assert by["changed", "job"].hourly_delta == 0
    assert d.total("serving $/h").delta == pytest.approx(6.88 + 0.23 + 0.855)
    statuses = {w.name: w.status for w in d.workloads}
    assert statuses == {
        "chat": "changed",
        "rag": "changed",
        "fresh": "added",
        "job": "changed",
        "gone": "removed",
    }
    text = diff_markdown(d)
    assert text.startswith(MARKER)
    assert text.count("\n| resized |") == 1 and text.count("\n| moved |") == 2


def test_moves_pair_within_a_family_first_then_the_closest_cost():
    old = plan_of(
        [
            alloc("w", region="us-west-2"),
            alloc("w", instance_type="g5.xlarge", accelerator="A10G", price_per_hour=1.0),
        ]
    )
    new = plan_of(
        [
            alloc("w", instance_type="g6.xlarge", accelerator="L4", price_per_hour=0.8),
            alloc("w", region="eu-west-1", instance_type="p5.48xlarge", count=1),
        ]
    )
    pairs = {(c.old.instance_type, c.new.instance_type) for c in diff_plans(old, new).changes}
    assert pairs == {("p5.4xlarge", "p5.48xlarge"), ("g5.xlarge", "g6.xlarge")}


def test_slo_changes_are_reported():
    old = plan_of([alloc("chat", tpot_ms=40.0, ttft_ms=100.0)])
    new = plan_of([alloc("chat", tpot_ms=55.0, ttft_ms=100.0)], "p2", missed={"chat"})
    (w,) = diff_plans(old, new).workloads
    assert w.meets_slo == (True, False)
    assert w.slo_changes == ("no longer meets its SLO", "TPOT 40 ms -> 55 ms (target 50 ms)")
    assert "**missed**" in diff_markdown(diff_plans(old, new))


@pytest.mark.parametrize(
    ("old_price", "new_price", "pct", "breach"),
    [
        (10.0, 10.5, 10, False),
        (10.0, 11.5, 10, True),
        (10.0, 11.0, 10, False),
        (10.0, 9.0, 0, False),
    ],
)
def test_increase_gate_thresholds(old_price, new_price, pct, breach):
    old = plan_of([alloc("chat", price_per_hour=old_price)])
    new = plan_of([alloc("chat", price_per_hour=new_price)], "p2")
    assert bool(increase_breaches(diff_plans(old, new), pct)) is breach


def test_a_job_cost_rise_from_zero_breaches_any_threshold():
    old = plan_of([alloc("chat")])
    new = plan_of([alloc("chat"), alloc("job", kind="batch", hours=2.0)], "p2")
    (line,) = increase_breaches(diff_plans(old, new), 50)
    assert line.startswith("jobs $ rose from zero")


def test_instance_families_follow_each_clouds_naming_rule():
    assert instance_family("aws", "p5.48xlarge") == instance_family("aws", "ml.p5.4xlarge") == "p5"
    assert instance_family("gcp", "a2-highgpu-1g") == instance_family("gcp", "a2-highgpu-8g")
    assert instance_family("gcp", "a2-highgpu-8g") == "a2-highgpu"
    assert instance_family("azure", "Standard_NC24ads_A100_v4") == "NCads_A100_v4"
    assert instance_family("azure", "Standard_NC48ads_A100_v4") == "NCads_A100_v4"
    assert instance_family("onprem", "weird") == "weird"


def test_cli_diff_formats_and_gate(cli, tmp_path):
    old_file = write_plan(tmp_path, "old.json", mixed_plan())
    new_file = write_plan(tmp_path, "new.json", moved_plan())
    table = cli("diff", old_file, new_file)
    assert table.exit_code == 0 and "moved" in table.stdout and "->" in table.stdout
    md = cli("diff", old_file, new_file, "--format", "md")
    assert md.exit_code == 0 and md.stdout.startswith(MARKER)
    data = json.loads(cli("diff", old_file, new_file, "--format", "json").stdout)
    assert data["has_changes"] and data["old_plan_id"] == mixed_plan().plan_id
    keys = {
        tuple(
            c["old"][k]
            for k in ("workload", "provider", "region", "service", "instance_type", "pricing")
        )
        for c in data["changes"]
        if c["old"]
    }
    assert keys <= {allocation_key(a) for a in mixed_plan().allocations}
    assert cli("diff", old_file, new_file, "--fail-on-increase", "-1").exit_code == 2


def test_cli_fail_on_increase_exits_1_with_one_line(cli, tmp_path):
    old_file = write_plan(tmp_path, "old.json", plan_of([alloc("chat", price_per_hour=10.0)]))
    new_file = write_plan(tmp_path, "new.json", plan_of([alloc("chat", price_per_hour=11.5)], "p2"))
    assert cli("diff", old_file, new_file, "--fail-on-increase", "15").exit_code == 0
    above = cli("diff", old_file, new_file, "--fail-on-increase", "10", "--format", "md")
    assert above.exit_code == 1 and above.stdout.startswith(MARKER)
    assert above.stderr == "FAIL cost increase over 10%: serving $/h rose +15.00% (10 -> 11.5)\n"
    assert cli("diff", new_file, old_file, "--fail-on-increase", "0").exit_code == 0
