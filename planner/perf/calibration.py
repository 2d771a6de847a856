"""Fit the model's efficiencies per accelerator family to published measurements, and predict
those measurements.

    python -m planner.perf.calibration [--check]

writes planner/facts/data/perf_fit.csv (with --check: exits 1 if the bundled file differs from a
fresh fit). Deterministic: a fixed split (is_held_out), a fixed start and a Nelder-Mead search.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache

from planner.facts.accelerators import find_accelerator
from planner.facts.llms import find_llm
from planner.facts.measurements import Measurement, engine_measurements
from planner.perf.capacity import at_concurrency, roofline_capacity
from planner.perf.efficiency import FIT_FILE, PARAMETERS, Efficiency
from planner.perf.roofline import step_seconds
from planner.perf.settings import PerfSettings
from planner.perf.slo import NO_SLO, SLO

HELD_OUT_SHARE = 0.3
LATENCY_FAMILY = "hopper"
# What only latency measurements pin down: the fixed costs, and the weight-read bandwidth share
# (single-stream decode; at the large batches of throughput tables the weight GEMMs are
# compute-bound). Fitted on LATENCY_FAMILY, the family with latency data, and shared.
LATENCY_PARAMETERS = ("mbu", "step_overhead_ms", "sequence_overhead_us", "allreduce_latency_us")
FIT_DATE = "2026-12-07"
FIT_COMMAND = "python -m planner.perf.calibration"
START = Efficiency(mfu=0.5, mbu=0.7, kv_mbu=0.6, step_overhead_ms=2.0, sequence_overhead_us=5.0,
                   allreduce_latency_us=10.0, link_utilization=0.5)  # fmt: skip
# The ranges the search stays in, as priors: a fit at a bound says the data do not pin that
# parameter down, not that it is extreme. The fixed costs are weakly identified by throughput
# tables (the loss changes by under 1% between a 2 ms and an 8 ms step overhead), so they are
# kept to the magnitudes of single-stream latency: NIM's 18.6 ms TPOT for Llama 3.3 70B FP8 at
# TP 2 on H100 leaves under 8 ms over the 10.7 ms weight read at full bandwidth.
_BOUNDS = {
    "mfu": (0.1, 0.8),
    "mbu": (0.3, 0.9),
    "kv_mbu": (0.2, 0.9),
    "step_overhead_ms": (0.5, 2.0),
    "sequence_overhead_us": (0.0, 50.0),
    "allreduce_latency_us": (2.0, 20.0),
    "link_utilization": (0.2, 0.9),
}
Bounds = dict[str, tuple[float, float]]
# Families fitted on their own single-request latency, fixed costs included, within wider
# ranges: Neuron's single-request TPOT is 1.4-2x its weight read at full bandwidth (AWS's
# Inf2/Trn1 tables), fixed costs far above the NVIDIA ones (a NeuronCore collective or a step
# of a static-batch library costs more than an NVLink all-reduce or a CUDA-graph step). Ampere's
# single-request points (LLMPerf's A10G sweep, TP 1) stay with LATENCY_FAMILY's fixed costs:
# fitting its own moved its held-out TPOT median from 0.96 to 0.84. CDNA 3 has its own batch-of-one
# latency (AMD's vLLM latency tables, 128 in / 2,048 out on 8x MI300X): with Hopper's fixed costs
# its 2024 static batches (OCI's 405B runs) were predicted 1.43x fast, with its own 0.93.
OWN_LATENCY_FAMILIES = frozenset({"cdna3", "neuron"})
LATENCY_BOUNDS: Bounds = {**_BOUNDS, "step_overhead_ms": (0.5, 10.0),
                          "allreduce_latency_us": (2.0, 200.0)}  # fmt: skip

ENGINE_SETTINGS = {
    # trtllm-bench as the TensorRT-LLM performance overview ran it: "Max Runtime Batch Size: 4096",
    # "Max Runtime Tokens: 8192", "--kv_cache_free_gpu_mem_fraction 0.95".
    "trt-llm": PerfSettings(
        engine="trt-llm", max_num_seqs=4096, max_batched_tokens=8192, memory_utilization=0.95
    ),
    "vllm": PerfSettings(engine="vllm"),
    "sglang": PerfSettings(engine="sglang", max_num_seqs=None),
    # The Neuron library under vLLM's Neuron backend when these runs were published; its runs
    # are static batches (never at an admission limit), predicted with vLLM's settings.
    "transformers-neuronx": PerfSettings(engine="vllm"),
}

STATIC_BATCH_ENGINES = frozenset({"transformers-neuronx"})
"""Engines whose published runs are static batches: the batch's prompts are encoded together,
in one step, before the first token of any (AWS's Inf2/Trn1 tables: at batch 8 with 2,048-4,096
-token prompts TTFT is 8-10x the batch of one's), so TTFT is the batch of one's plus what that
step takes beyond one prompt's."""


def is_held_out(m: Measurement) -> bool:
    """True for the measurements kept out of the fit: a fixed 30% by a hash of the run's
    conditions, so all figures of one run fall on the same side."""
    key = "|".join(str(part) for part in m.config).encode()
    return int(hashlib.sha256(key).hexdigest()[:8], 16) % 1000 < HELD_OUT_SHARE * 1000


def settings_for(m: Measurement, eff: Efficiency | None = None) -> PerfSettings:
    """The settings the measurement's engine ran with, with `eff` set explicitly if given."""
    base = replace(ENGINE_SETTINGS[m.engine], engine_version=m.engine_version)
    if m.max_num_seqs is not None:
        base = replace(base, max_num_seqs=m.max_num_seqs)
    if eff is None:
        return base
    return replace(base, **{name: getattr(eff, name) for name in PARAMETERS})


@cache
def _run_figures() -> dict[tuple[object, ...], dict[str, float]]:
    """The published figures of each run (one concurrency level of one sweep), by config."""
    runs: dict[tuple[object, ...], dict[str, float]] = defaultdict(dict)
    for m in engine_measurements():
        if m.concurrency is not None:
            runs[m.config][m.figure] = m.value
    return dict(runs)


def in_flight(m: Measurement) -> float | None:
    """Requests in flight on average during the run `m` comes from (None: not a concurrency
    run), by Little's law from the run's own figures: requests/s (output tokens/s over output
    tokens) times the mean latency (TTFT + (output tokens - 1) x TPOT), at most the nominal
    concurrency. A closed-loop client keeps its nominal concurrency only while it has requests
    left to send; a run of a fixed number of requests averages fewer in flight (LLMPerf's A10G
    runs: about 19 at a nominal 32 and 20 at 64; NIM's AIPerf runs: the nominal figure within
    0.3%). The model's concurrency is requests in flight, so this is the figure to predict at.
    """
    if m.concurrency is None:
        return None
    run = _run_figures().get(m.config, {})
    if not {"output_tok_s", "tpot_ms", "ttft_ms"} <= run.keys():
        return float(m.concurrency)
    rate = run["output_tok_s"] / m.output_tokens
    latency_s = (run["ttft_ms"] + (m.output_tokens - 1) * run["tpot_ms"]) / 1000
    return min(float(m.concurrency), rate * latency_s)


def _encode(m: Measurement, prompts: int, settings: PerfSettings) -> float:
    """Seconds of one step that encodes `prompts` prompts of the run at once."""
    model, acc = find_llm(m.model), find_accelerator(m.accelerator)
    tokens = prompts * m.input_tokens
    return step_seconds(model, acc, m.tp, 0.0, 0.0, tokens, m.input_tokens, m.weights_dtype,
                        m.kv_dtype, settings)  # fmt: skip


def _batch_first_token_ms(m: Measurement, settings: PerfSettings) -> float | None:
    """TTFT of a static batch of `m.concurrency` prompts: the batch of one's plus what encoding
    them all in one step takes beyond one prompt (None: the configuration does not fit)."""
    alone = at_concurrency(find_llm(m.model), find_accelerator(m.accelerator), m.tp,
                           m.input_tokens, m.output_tokens, 1, settings, m.weights_dtype,
                           m.kv_dtype)  # fmt: skip
    if alone is None:
        return None
    return alone.ttft_ms + 1000 * (_encode(m, m.concurrency, settings) - _encode(m, 1, settings))


def predict(m: Measurement, eff: Efficiency | None = None, tpot_slo_ms: float | None = None,
            most_in_flight: float | None = None) -> float | None:  # fmt: skip
    """The model's figure for measurement `m` (or, with tpot_slo_ms, its max requests/s within
    that TPOT, with at most `most_in_flight` requests in flight when given: what a sweep that
    reached no more can show); None when the model says the configuration does not fit."""
    model, acc = find_llm(m.model), find_accelerator(m.accelerator)
    settings = settings_for(m, eff)
    args = (model, acc, m.tp, m.input_tokens, m.output_tokens)
    dtypes = (m.weights_dtype, m.kv_dtype)
    if tpot_slo_ms is not None:
        cap = roofline_capacity(*args, SLO(tpot_ms=tpot_slo_ms), settings, *dtypes)
        if not cap.fits:
            return None
        if most_in_flight is not None and cap.batch > most_in_flight:
            load = at_concurrency(*args, most_in_flight, settings, *dtypes)
            return None if load is None else load.tokens_per_s / m.output_tokens
        return cap.max_rps
    if m.concurrency is None:
        cap = roofline_capacity(*args, NO_SLO, settings, *dtypes)
        return cap.tokens_per_s if cap.fits else None
    if m.figure == "ttft_ms" and m.engine in STATIC_BATCH_ENGINES and m.concurrency > 1:
        return _batch_first_token_ms(m, settings)
    load = at_concurrency(*args, in_flight(m), settings, *dtypes)
    if load is None:
        return None
    if m.figure == "latency_s":
        # a static batch (vLLM's benchmark_latency): its prompts encoded together, then every
        # output token at the batch's step time
        first_ms = _batch_first_token_ms(m, settings) if m.concurrency > 1 else load.ttft_ms
        if first_ms is None:
            return None
        return (first_ms + (m.output_tokens - 1) * load.tpot_ms) / 1000
    return {"output_tok_s": load.tokens_per_s, "tpot_ms": load.tpot_ms,
            "ttft_ms": load.ttft_ms, "max_throughput": load.tokens_per_s}[m.figure]  # fmt: skip


def _to_efficiency(x: Sequence[float], bounds: Bounds = _BOUNDS) -> Efficiency:
    values = {}
    for name, v in zip(PARAMETERS, x, strict=True):
        low, high = bounds[name]
        values[name] = low + (high - low) / (1 + math.exp(-v))
    return Efficiency(**values)


def _from_efficiency(eff: Efficiency, bounds: Bounds = _BOUNDS) -> list[float]:
    out = []
    for name in PARAMETERS:
        low, high = bounds[name]
        share = (getattr(eff, name) - low) / (high - low)
        share = min(max(share, 1e-6), 1 - 1e-6)
        out.append(math.log(share / (1 - share)))
    return out


def _loss(points: Sequence[Measurement], fixed: dict[str, float] | None = None,
          bounds: Bounds = _BOUNDS) -> Callable[[Sequence[float]], float]:  # fmt: skip
    """Mean squared log error of the free parameters `x` (those not in `fixed`)."""
    fixed = fixed or {}
    free = [name for name in PARAMETERS if name not in fixed]

    def loss(x: Sequence[float]) -> float:
        eff = _to_efficiency(_full(x, free, fixed, bounds), bounds)
        errors: dict[str, list[float]] = defaultdict(list)
        for m in points:
            value = predict(m, eff)
            if value:
                errors[m.figure].append(math.log(value / m.value) ** 2)
        values = [v for e in errors.values() for v in e]
        return sum(values) / max(1, len(values))

    return loss


def _full(x: Sequence[float], free: list[str], fixed: dict[str, float],
          bounds: Bounds = _BOUNDS) -> list[float]:  # fmt: skip
    """The full transformed parameter vector from the free ones and the fixed values."""
    given = dict(zip(free, x, strict=True))
    out = []
    for name in PARAMETERS:
        if name in given:
            out.append(given[name])
        else:
            out.append(_from_efficiency(replace(START, **{name: fixed[name]}), bounds)[
                PARAMETERS.index(name)])  # fmt: skip
    return out


def nelder_mead(f: Callable[[Sequence[float]], float], start: Sequence[float],
                step: float = 0.5, iterations: int = 400) -> list[float]:  # fmt: skip
    """Minimise f from `start` (deterministic; a plain Nelder-Mead simplex search)."""
    n = len(start)
    simplex = [list(start)] + [
        [s + (step if i == j else 0.0) for j, s in enumerate(start)] for i in range(n)
    ]
    values = [f(p) for p in simplex]
    for _ in range(iterations):
        order = sorted(range(n + 1), key=lambda i: values[i])
        simplex, values = [simplex[i] for i in order], [values[i] for i in order]
        centroid = [sum(p[j] for p in simplex[:-1]) / n for j in range(n)]
        worst = simplex[-1]

        def point(t: float, w: list[float] = worst, c: list[float] = centroid) -> list[float]:
            return [c[j] + t * (w[j] - c[j]) for j in range(n)]

        reflected = point(-1.0)
        fr = f(reflected)
        if fr < values[0]:
            expanded = point(-2.0)
            fe = f(expanded)
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
        else:
            contracted = point(0.5)
            fc = f(contracted)
            if fc < values[-1]:
                simplex[-1], values[-1] = contracted, fc
            else:
                best = simplex[0]
                simplex = [best] + [[best[j] + 0.5 * (p[j] - best[j]) for j in range(n)]
                                    for p in simplex[1:]]  # fmt: skip
                values = [values[0]] + [f(p) for p in simplex[1:]]
        if max(values) - min(values) < 1e-9:
            break
    return simplex[min(range(n + 1), key=lambda i: values[i])]


def _fit_family(points: Sequence[Measurement], fixed: dict[str, float],
                bounds: Bounds = _BOUNDS) -> Efficiency:  # fmt: skip
    """The efficiency minimising the squared log error on `points`, `fixed` held."""
    free = [name for name in PARAMETERS if name not in fixed]
    start = [_from_efficiency(START, bounds)[PARAMETERS.index(name)] for name in free]
    found = nelder_mead(_loss(points, fixed, bounds), start)
    return _to_efficiency(_full(found, free, fixed, bounds), bounds)


def _single_stream(points: Sequence[Measurement]) -> list[Measurement]:
    """The single-request TPOT (or, from a batch of one, its decode-bound latency) points among
    `points`: a weight read plus the fixed costs."""
    return [m for m in points if m.concurrency == 1 and m.figure in ("tpot_ms", "latency_s")]


def _fit_with_latency(points: Sequence[Measurement], bounds: Bounds = _BOUNDS) -> Efficiency:
    """Every parameter fitted on `points`, which hold single-stream latency: all at once, then
    the weight-read share on the single-request TPOT given the fixed costs, then the rest again
    with that share held."""
    eff = _fit_family(points, {}, bounds)
    single = _single_stream(points)
    if not single:
        return eff
    pinned = {n: getattr(eff, n) for n in LATENCY_PARAMETERS if n != "mbu"}
    weights_only = {n: getattr(eff, n) for n in PARAMETERS if n != "mbu"}
    mbu = _fit_family(single, weights_only, bounds).mbu
    return _fit_family(points, {**pinned, "mbu": mbu}, bounds)


def fit() -> dict[str, tuple[Efficiency, int, float]]:
    """Fitted efficiency, number of training points and RMS log error per family, plus the
    `default` row (the median of the fitted families, for families without data)."""
    by_family: dict[str, list[Measurement]] = defaultdict(list)
    for m in engine_measurements():
        if not is_held_out(m):
            by_family[find_accelerator(m.accelerator).family].append(m)
    result: dict[str, tuple[Efficiency, int, float]] = {}
    latency = _fit_with_latency(by_family[LATENCY_FAMILY])
    fixed = {name: getattr(latency, name) for name in LATENCY_PARAMETERS}
    # A family with single-request latency of its own (own_latency) fits every parameter on
    # it, its fixed costs in the wider LATENCY_BOUNDS; the others take LATENCY_PARAMETERS from
    # LATENCY_FAMILY and fit the rest (MFU, KV-read bandwidth share, link utilisation).
    for family in sorted(by_family):
        points = by_family[family]
        held: dict[str, float] = {} if family == LATENCY_FAMILY else fixed
        bounds = _BOUNDS
        if family == LATENCY_FAMILY:
            eff = latency
        elif family in OWN_LATENCY_FAMILIES and _single_stream(points):
            eff, held, bounds = _fit_with_latency(points, LATENCY_BOUNDS), {}, LATENCY_BOUNDS
        else:
            eff = _fit_family(points, fixed)
        free = [name for name in PARAMETERS if name not in held]
        x = [_from_efficiency(eff, bounds)[PARAMETERS.index(name)] for name in free]
        rms = math.sqrt(_loss(points, held, bounds)(x))
        result[family] = (eff, len(points), rms)
    result = dict(sorted(result.items()))
    default = Efficiency(**{
        name: statistics.median(getattr(e, name) for e, _, _ in result.values())
        for name in PARAMETERS
    })  # fmt: skip
    result["default"] = (default, 0, 0.0)
    return result


def render(result: dict[str, tuple[Efficiency, int, float]]) -> str:
    """The perf_fit.csv text for a fit."""
    lines = [
        "# Efficiencies of the performance model per accelerator family, fitted to the published",
        "# measurements in engine_measurements.csv not held out (planner.perf.calibration).",
        f"# Fitted: {FIT_DATE}, by `{FIT_COMMAND}` (deterministic; tests/test_perf_calibration.py",
        "# checks this file is what the command writes). Do not edit by hand.",
        "#   mfu, mbu: shares of peak FLOP/s and memory bandwidth; step_overhead_ms: fixed",
        "#   time per engine step; allreduce_latency_us: fixed time per TP all-reduce;",
        "#   link_utilization: share of the one-way interconnect bandwidth; points: training",
        "#   points; rms_log_error on them.",
        "#   default: the median of the fitted families, for families without measurements.",
        "family," + ",".join(PARAMETERS) + ",points,rms_log_error",
    ]
    for family, (eff, n, rms) in result.items():
        values = ",".join(f"{getattr(eff, name):.4g}" for name in PARAMETERS)
        lines.append(f"{family},{values},{n},{rms:.4f}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Fail if the bundled fit is stale.")
    args = parser.parse_args(argv)
    text = render(fit())
    if args.check:
        same = FIT_FILE.read_text(encoding="utf-8") == text
        print("perf_fit.csv is up to date" if same else "perf_fit.csv differs from a fresh fit")
        return 0 if same else 1
    FIT_FILE.write_text(text, encoding="utf-8")
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
