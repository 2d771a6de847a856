"""Time-windowed capacity: Capacity Blocks and DWS offerings for jobs with deadlines."""

from __future__ import annotations

import textwrap

import pytest

from planner.errors import InputError
from planner.plans.consistency import inconsistencies
from planner.solve import solve
from planner.spec import SpecError, parse_spec
from planner.verify import verify
from tests.conftest import PLAN_DATE

BLOCK = """\
    capacity:
      - {kind: capacity_block, name: cb, provider: aws, region: us-east-1,
         instance_type: p5.48xlarge, count: 1, start_hours: 12, duration_hours: 120,
         price_per_hour: 31.46}
    """


def training(deadline: float, window: str = BLOCK) -> str:
    return textwrap.dedent(f"""\
        workloads:
          - name: finetune
            kind: training
            gpu_hours: 800
            reference_accelerator: H100
            gang_size: 8
            deadline_hours: {deadline}
            placement: {{providers: [aws], regions: [us-east-1], accelerators: [H100]}}
        """) + textwrap.dedent(window)


def test_a_capacity_block_is_chosen_for_a_job_whose_deadline_it_fits():
    """100 h of work on one p5.48xlarge: the block opens at 12 h and lasts 120 h, so it
    finishes at 112 h, inside a 168 h deadline, for 120 h x $31.46 (on demand: 100 h x $55)."""
    spec = parse_spec(training(168))
    plan = solve(spec, as_of=PLAN_DATE)
    (a,) = plan.allocations
    assert a.capacity_pool == "cb" and a.starts_at_hours == 12
    assert a.billed_hours == 120 and a.job_cost == pytest.approx(120 * 31.46)
    assert plan.makespan_hours == pytest.approx(12 + a.hours)
    assert not verify(plan, spec, _catalog()) and not inconsistencies(plan)


def test_a_capacity_block_is_not_chosen_when_the_job_would_end_past_the_deadline():
    plan = solve(parse_spec(training(100)), as_of=PLAN_DATE)
    (a,) = plan.allocations
    assert a.capacity_pool is None and a.pricing == "on_demand"
    assert a.starts_at_hours is None and a.hours <= 100


def test_a_block_too_short_for_the_job_is_not_chosen():
    short = BLOCK.replace("duration_hours: 120", "duration_hours: 48")
    plan = solve(parse_spec(training(168, short)), as_of=PLAN_DATE)
    assert all(a.capacity_pool is None for a in plan.allocations)


def test_dws_flex_start_bills_the_hours_a_batch_job_uses():
    spec = parse_spec(textwrap.dedent("""\
        workloads:
          - name: nightly
            kind: batch
            model: llama-3.1-8b
            volume: {input_tokens: 1000, output_tokens: 200, requests: 200000}
            deadline_hours: 24
            placement: {providers: [gcp], regions: [us-central1], accelerators: [L4]}
        capacity:
          - {kind: dws_flex_start, name: flex, provider: gcp, region: us-central1,
             instance_type: g2-standard-4, count: 4, start_hours: 2, duration_hours: 168,
             price_per_hour: 0.01}
        """))  # fmt: skip
    plan = solve(spec, as_of=PLAN_DATE)
    windowed = [a for a in plan.allocations if a.capacity_pool == "flex"]
    assert windowed, "the window is far cheaper, so the job runs in it"
    for a in windowed:
        assert a.billed_hours is None and a.starts_at_hours == 2
        assert a.job_cost == pytest.approx(a.count * a.hours * 0.01, abs=1e-6)  # 6 decimals
        assert a.hours <= 22 + 1e-6  # opens at 2 h, deadline 24 h
    assert not verify(plan, spec, _catalog())


def test_a_window_for_an_unknown_instance_type_is_refused():
    text = training(168, BLOCK.replace("p5.48xlarge", "p9.huge"))
    with pytest.raises(InputError, match=r"p9\.huge is not in the catalog"):
        solve(parse_spec(text), as_of=PLAN_DATE)
    with pytest.raises(SpecError, match="duration_hours"):
        parse_spec(training(168, BLOCK.replace("duration_hours: 120", "duration_hours: 0")))


def _catalog():
    from planner.catalog import load_catalog

    return load_catalog()
