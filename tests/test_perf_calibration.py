"""The fitted efficiencies are reproducible from the bundled measurements; the split is fixed."""

from __future__ import annotations

from planner.facts.accelerators import find_accelerator
from planner.facts.llms import find_llm
from planner.facts.measurements import engine_comparisons, engine_measurements
from planner.perf.calibration import ENGINE_SETTINGS, is_held_out, main, predict, settings_for
from planner.perf.efficiency import fitted_efficiencies
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


def test_every_family_with_measurements_has_points_held_out_of_its_fit():
    fitted, held = set(), set()
    for m in engine_measurements():
        family = find_accelerator(m.accelerator).family
        (held if is_held_out(m) else fitted).add(family)
    assert {"cdna3", "neuron"} <= fitted
    assert fitted <= held


def test_a_published_engine_cap_is_what_its_point_is_predicted_with():
    amd = [m for m in engine_measurements() if m.max_num_seqs is not None]
    assert amd and all(m.accelerator == "MI300X" for m in amd)
    for m in amd:
        assert settings_for(m).max_num_seqs == m.max_num_seqs
    nim = next(m for m in engine_measurements() if m.source == "nim-1.8.0")
    assert settings_for(nim).max_num_seqs == ENGINE_SETTINGS["trt-llm"].max_num_seqs


def test_a_static_batch_waits_for_all_its_prompts_before_its_first_token():
    # AWS's Inf2 table: Llama 3 8B, 4,096-token prompts, TTFT 209 ms alone and 1,993 ms in a
    # batch of 8 (transformers-neuronx encodes the batch's prompts together)
    runs = {m.concurrency: m for m in engine_measurements()
            if m.source == "neuron-2.18-inf2" and m.model == "llama-3.1-8b"
            and m.input_tokens == 4096 and m.figure == "ttft_ms"}  # fmt: skip
    alone, batch = predict(runs[1]), predict(runs[8])
    assert 5 * alone < batch < 8 * alone


def test_neuron_is_fitted_on_its_own_latency_and_predicts_its_held_out_tpot():
    fit = fitted_efficiencies()
    assert fit["neuron"].allreduce_latency_us > fit["hopper"].allreduce_latency_us
    held = [m for m in engine_measurements() if is_held_out(m) and m.figure == "tpot_ms"
            and find_accelerator(m.accelerator).family == "neuron"]  # fmt: skip
    assert held
    assert all(0.75 <= predict(m) / m.value <= 1.33 for m in held)


def test_cdna3_is_fitted_on_its_own_batch_latency_and_predicts_its_held_out_runs():
    # AMD's vLLM latency tables (a batch of one: 128 in, 2,048 out on 8x MI300X) pin CDNA 3's
    # fixed costs; with Hopper's, OCI's static batches of 405B were predicted 1.43x fast
    held = [m for m in engine_measurements() if is_held_out(m)
            and find_accelerator(m.accelerator).family == "cdna3"]  # fmt: skip
    assert {"latency_s", "output_tok_s", "max_throughput"} <= {m.figure for m in held}
    assert all(0.75 <= predict(m) / m.value <= 1.33 for m in held)


def test_a_static_batch_takes_longer_the_more_prompts_it_holds():
    runs = sorted((m for m in engine_measurements() if m.figure == "latency_s"
                   and m.source == "amd-vllm-0.10.2"), key=lambda m: m.concurrency)  # fmt: skip
    assert [m.concurrency for m in runs] == [1, 2, 4]
    predicted = [predict(m) for m in runs]
    assert predicted == sorted(predicted) and predicted[0] < predicted[-1]
