"""Calibration: observed TPOT/TTFT at observed load become measured-profile rows that
load_profiles reads, and the next plan's capacity figures follow them."""

from __future__ import annotations

import pytest

from planner.facts import find_accelerator, find_llm
from planner.observe.calibrate import (
    Shape,
    calibrate,
    calibrated_capacity,
    latency_at_load,
    profile_csv,
    profile_points,
)
from planner.observe.model import Observation, WorkloadObservation
from planner.perf import DEFAULT_SETTINGS, SLO, load_profiles, replica_capacity
from planner.plans.model import Plan
from planner.solve import solve
from planner.spec import parse_spec

SPEC = """\
workloads:
  - name: chat
    kind: serving
    model: llama-3.1-8b
    traffic: {requests_per_second: 12, input_tokens: 300, output_tokens: 120}
    slo: {ttft_p95_ms: 1500, tpot_ms: 60}
    placement: {providers: [aws], regions: [us-east-1], services: [vm], accelerators: [A10G]}
"""
SLOW_TPOT, SLOW_TTFT = 1.5, 1.2  # the replicas were this much slower than the roofline said


@pytest.fixture(scope="module")
def planned():
    spec = parse_spec(SPEC)
    return spec, solve(spec, baselines=False)


def _shape(plan: Plan) -> Shape:
    a = plan.allocations[0]
    return Shape(find_llm("llama-3.1-8b"), find_accelerator(a.accelerator), a.tp, 300, 120)


def _observed(plan: Plan) -> Observation:
    """Half the planned traffic, with latencies SLOW_* times the roofline's at that load."""
    replicas = plan.workloads[0].replicas
    at = latency_at_load(_shape(plan), 6.0 / replicas)
    chat = WorkloadObservation(
        workload="chat",
        status="ok",
        rps_mean=6.0,
        rps_p95=7.0,
        input_tokens=300.0,
        output_tokens=120.0,
        tpot_mean_ms=at.tpot_ms * SLOW_TPOT,
        ttft_mean_ms=at.ttft_ms * SLOW_TTFT,
        replicas=float(replicas),
    )
    return Observation(
        source="prometheus",
        url="http://127.0.0.1:9",
        plan_id=plan.plan_id,
        start=0,
        end=86400,
        step_s=3600,
        workloads=(chat,),
    )


def test_latency_at_load_inverts_the_capacity_at_an_slo(planned):
    shape = _shape(planned[1])
    first = shape.capacity(SLO(tpot_ms=1e-9)).tpot_ms
    full = shape.capacity().tpot_ms
    for tpot in (first + (full - first) * share for share in (0.25, 0.5, 0.75)):
        cap = shape.capacity(SLO(tpot_ms=tpot))
        assert latency_at_load(shape, cap.max_rps).tpot_ms == pytest.approx(tpot, rel=1e-3)
    alone = latency_at_load(shape, 1e-6)
    assert alone.batch == 1.0


def test_latency_at_load_has_the_capacity_models_ttft_under_load(planned):
    """TTFT at a load is the performance model's at that operating point (with the wait
    behind other prompts' prefills), not prefill + TPOT(1)."""
    shape = _shape(planned[1])
    first = shape.capacity(SLO(tpot_ms=1e-9)).tpot_ms
    full = shape.capacity().tpot_ms
    for tpot in (first + (full - first) * share for share in (0.25, 0.5, 0.75)):
        cap = shape.capacity(SLO(tpot_ms=tpot))
        at = latency_at_load(shape, cap.max_rps)
        assert at.ttft_ms == pytest.approx(cap.ttft_ms, rel=1e-3)
        assert at.batch == pytest.approx(cap.batch, rel=1e-3)
    batch_one = shape.capacity(SLO(tpot_ms=1e-9))  # misses, reporting batch-1 latencies
    alone = latency_at_load(shape, 1e-6)
    assert (alone.tpot_ms, alone.ttft_ms) == (batch_one.tpot_ms, batch_one.ttft_ms)
    loads = [shape.capacity().max_rps * share for share in (0.2, 0.5, 0.8, 0.95)]
    ttfts = [latency_at_load(shape, load).ttft_ms for load in loads]
    assert ttfts == sorted(ttfts) and ttfts[-1] > alone.ttft_ms


def test_no_error_means_the_roofline_itself(planned):
    shape = _shape(planned[1])
    slo = SLO(tpot_ms=60, ttft_ms=1500)
    rps, tpot, _ = calibrated_capacity(shape, slo, 1.0, 1.0, DEFAULT_SETTINGS)
    cap = shape.capacity(slo)
    assert rps == pytest.approx(cap.max_rps) and tpot == pytest.approx(cap.tpot_ms)


def test_the_error_is_reported_and_the_row_is_slower(planned):
    spec, plan = planned
    (found,), notes = calibrate(plan, _observed(plan), spec)
    assert not notes
    assert found.tpot_error == pytest.approx(SLOW_TPOT - 1, abs=1e-6)
    assert found.ttft_error == pytest.approx(SLOW_TTFT - 1, abs=1e-6)
    assert found.max_rps < found.roofline_max_rps
    assert found.row_tpot_ms <= 60 and found.row_ttft_ms <= 1500


def test_rows_load_and_change_the_next_plans_capacity(planned, tmp_path):
    spec, plan = planned
    calibrations, _ = calibrate(plan, _observed(plan), spec)
    path = tmp_path / "measured.csv"
    path.write_text(profile_csv(calibrations, "prometheus at http://127.0.0.1:9"))
    loaded = load_profiles(path)
    assert loaded.points[0].max_rps == profile_points(calibrations).points[0].max_rps
    shape = _shape(plan)
    slo = SLO(tpot_ms=60, ttft_ms=1500)
    measured = replica_capacity(
        shape.model, shape.accelerator, shape.tp, 300, 120, slo, profiles=loaded
    )
    assert measured.source == "profile"
    assert measured.max_rps == pytest.approx(calibrations[0].max_rps, rel=1e-5)
    assert measured.max_rps < shape.capacity(slo).max_rps
    again = solve(spec, profiles=loaded, baselines=False)
    assert again.allocations != plan.allocations
    assert again.cost_per_hour >= plan.cost_per_hour  # slower replicas cost no less


def test_mixed_shapes_are_not_calibrated(planned):
    spec, plan = planned
    other = plan.allocations[0].model_copy(update={"tp": plan.allocations[0].tp * 2})
    mixed = plan.model_copy(update={"allocations": [*plan.allocations, other]})
    found, notes = calibrate(mixed, _observed(plan), spec)
    assert not found and "several accelerator/TP shapes" in notes[0]
