"""`planner report`: the HTML page and Markdown, byte-stable, self-contained, with or without
matplotlib; quotas only with a spec; frontier and schedule only when the plan has them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest

from planner.plans.annotations import (
    FrontierPoint,
    PlanAnnotations,
    WorkloadSchedule,
    annotations_of,
)
from planner.report import render_html, render_markdown
from planner.report.future import frontier_points, schedule_series
from planner.report.quota import quota_usage
from tests.conftest import ROOT
from tests.test_report_plans import mixed_plan, mixed_spec, write_plan, write_spec

EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:https?:)?//)|@import""",
    re.I,
)


def figures(html: str) -> list[str]:
    return re.findall(r'<figure id="figure-([a-z-]+)"', html)


def with_future_parts(plan):
    """The plan with a frontier (its own point at its makespan) and an hourly schedule of its
    serving workload (3 replicas at peak, 2 for 12 hours a day)."""
    per_replica = next(w for w in plan.workloads if w.name == "eu-bot").cost_per_hour / 3
    return plan.model_copy(
        update={
            "makespan_hours": 8.0,
            "annotations": PlanAnnotations(
                baselines=annotations_of(plan).baselines,
                frontier=[
                    FrontierPoint(
                        completion_hours=8.0,
                        objective_value=600.0,
                        cost_per_hour=0.0,
                        job_cost=600.0,
                    ),
                    FrontierPoint(
                        completion_hours=20.0,
                        objective_value=450.0,
                        cost_per_hour=0.0,
                        job_cost=450.0,
                    ),
                ],
                schedule=[
                    WorkloadSchedule(
                        workload="eu-bot",
                        replicas=[2] * 8 + [3] * 12 + [2] * 4,
                        slo_replicas=[2] * 8 + [3] * 12 + [2] * 4,
                        static_replicas=3,
                        static_cost_per_day=3 * 24 * per_replica,
                        dynamic_cost_per_day=(2 * 12 + 3 * 12) * per_replica,
                        saving_per_day=12 * per_replica,
                        min_replicas=2,
                        max_replicas=3,
                        target_rps_per_replica=4.0,
                    )
                ],
            ),
        }
    )


def test_html_report_has_summary_tables_and_charts_and_is_byte_stable():
    pytest.importorskip("matplotlib")
    plan = mixed_plan()
    uses = quota_usage(plan, mixed_spec().constraints.quotas)
    html = render_html(plan, uses)
    assert html == render_html(plan, uses)
    assert figures(html) == ["cost-hourly", "cost-jobs", "quotas", "slo"]
    assert html.count("<svg") == 4
    assert f"${plan.cost_per_hour:,.2f}/h" in html and f"${plan.job_cost:,.2f}" in html
    for w in plan.workloads:
        assert f'id="workload-{w.name}"' in html
    assert annotations_of(plan).baselines
    for b in annotations_of(plan).baselines:
        assert b.name in html
    assert "aws us-east-1 H100" in html and "Quotas" in html
    assert not EXTERNAL.search(html)
    assert "<script" not in html


def test_svg_ids_are_unique_across_the_page():
    pytest.importorskip("matplotlib")
    html = render_html(with_future_parts(mixed_plan()))
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    for ref in set(re.findall(r'href="#([^"]+)"', html)):
        assert ref in ids


def test_without_a_spec_there_is_no_quota_section():
    pytest.importorskip("matplotlib")
    html = render_html(mixed_plan())
    assert "quotas" not in figures(html) and 'id="quotas"' not in html


def test_frontier_and_schedule_render_only_when_present():
    pytest.importorskip("matplotlib")
    plan = with_future_parts(mixed_plan())
    assert [p.chosen for p in frontier_points(plan)] == [True, False]
    assert schedule_series(plan) == {"eu-bot": [2.0] * 8 + [3.0] * 12 + [2.0] * 4}
    html = render_html(plan)
    assert figures(html)[-2:] == ["frontier", "schedule"]
    assert 'id="frontier"' in html and 'id="schedule"' in html and "this plan" in html


def test_schedule_shapes_are_read_by_duck_typing():
    plan = mixed_plan()
    rows = [
        {"workload": "a", "hour": 0, "replicas": 1},
        {"workload": "a", "hour": 0, "count": 2},
        {"workload": "a", "hour": 2, "replicas": 4},
        {"workload": "b", "replicas": [1, 2]},
        {"hour": 1, "replicas": 9},
    ]
    assert schedule_series(SimpleNamespace(annotations=SimpleNamespace(schedule=rows))) == {
        "a": [3.0, 0.0, 4.0],
        "b": [1.0, 2.0],
    }
    assert schedule_series(plan) == {} and frontier_points(plan) == []


def test_without_matplotlib_tables_render_and_the_page_says_how_to_get_plots(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    html = render_html(mixed_plan())
    assert "<svg" not in html and figures(html) == []
    assert "pip install &#39;llm-placement-planner[plots]&#39;" in html
    assert 'id="workload-eu-bot"' in html


def test_markdown_report_names_totals_workloads_and_quotas():
    plan = mixed_plan()
    md = render_markdown(plan, quota_usage(plan, mixed_spec().constraints.quotas))
    assert md.startswith(f"### Placement plan {plan.plan_id}")
    assert f"${plan.cost_per_hour:,.2f}/h" in md
    for a in plan.allocations:
        assert f"| {a.workload} | {a.provider} | {a.region}" in md
    assert "| aws us-east-1 H100 | 16 |" in md


def test_cli_report_writes_html_and_md_and_refuses_to_overwrite(cli, tmp_path):
    plan_file = write_plan(tmp_path, "plan.json", mixed_plan())
    out = tmp_path / "report.html"
    result = cli("report", plan_file, "--spec", write_spec(tmp_path), "-o", out)
    assert result.exit_code == 0, result.stderr
    first = out.read_bytes()
    assert b"<!DOCTYPE html>" in first and b"Quotas" in first
    again = cli("report", plan_file, "-o", out)
    assert again.exit_code == 2 and "--force" in again.stderr
    assert (
        cli("report", plan_file, "--spec", write_spec(tmp_path), "-o", out, "--force").exit_code
        == 0
    )
    assert out.read_bytes() == first
    md = cli("report", plan_file, "--format", "md")
    assert md.exit_code == 0 and md.stdout.startswith("### Placement plan")


def test_cli_report_bad_plan_is_an_input_error(cli, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"plan_id": "x"}')
    result = cli("report", bad)
    assert result.exit_code == 2 and "Invalid plan" in result.stderr
    assert cli("report", tmp_path / "missing.json").exit_code == 2


def test_report_is_byte_identical_across_processes(tmp_path):
    """Separate interpreters with different hash seeds and a SOURCE_DATE_EPOCH write one file."""
    pytest.importorskip("matplotlib")
    plan_file = write_plan(tmp_path, "plan.json", mixed_plan())
    code = "import sys; from planner.cli.app import run; run(sys.argv[1:])"
    outputs = []
    for seed, extra in (("1", {}), ("2", {"SOURCE_DATE_EPOCH": "86400"})):
        out = tmp_path / f"report-{seed}.html"
        env = {**os.environ, "PYTHONHASHSEED": seed, **extra}
        subprocess.run(
            [sys.executable, "-c", code, "report", str(plan_file), "-o", str(out)],
            check=True, capture_output=True, env=env, cwd=ROOT,
        )  # fmt: skip
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0] == render_html(mixed_plan()).encode()
