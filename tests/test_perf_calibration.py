"""The fitted efficiencies are reproducible from the bundled measurements; the split is fixed."""

from __future__ import annotations

from planner.facts.accelerators import find_accelerator
from planner.facts.llms import find_llm
from planner.facts.measurements import engine_comparisons, engine_measurements
from planner.perf.calibration import is_held_out, main
from planner.perf.engines import engine_factor


def test_the_bundled_fit_is_what_the_fit_command_writes():
    assert main(["--check"]) == 0


def test_every_measurement_names_a_known_model_and_accelerator():
    for m in engine_measurements():
        assert find_llm(m.model) is not None, m
        assert find_accelerator(m.accelerator) is not None, m
        assert m.value > 0


def test_the_held_out_share_is_stable_and_keeps_a_run_together():
    rows = engine_measurements()
    held = [m for m in rows if is_held_out(m)]
    assert 0.2 < len(held) / len(rows) < 0.4
    by_run = {}
    for m in rows:
        by_run.setdefault(m.config, set()).add(is_held_out(m))
    assert all(len(sides) == 1 for sides in by_run.values())


def test_engine_factors_come_from_the_published_comparisons():
    assert engine_factor("vllm") == 1.0
    for engine in ("sglang", "trt-llm"):
        ratios = [c.ratio for c in engine_comparisons() if c.engine == engine]
        assert ratios and min(ratios) <= engine_factor(engine) <= max(ratios)
