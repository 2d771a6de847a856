"""`planner calibrate`: refit the performance model's efficiencies to the user's own benchmark
runs and write a fit file that `--fit` (or `fit = "FILE"` in planner.toml) applies."""

from __future__ import annotations

import enum
import json
from pathlib import Path

import typer

from planner.cli.output import TextFormat, force_option, guard_output, print_summary, write_text
from planner.cli.params import PlannerCommand, number
from planner.errors import InputError
from planner.perf.dtypes import Dtype


class FitScope(enum.StrEnum):
    """What one row of the fit covers."""

    family = "family"
    accelerator = "accelerator"


class ServingEngine(enum.StrEnum):
    """The engine the runs were measured on."""

    vllm = "vllm"
    sglang = "sglang"
    trt_llm = "trt-llm"


def calibrate(
    files: list[Path] = typer.Argument(
        ...,
        help="Result files: vllm bench serve JSON, GenAI-Perf/AIPerf JSON or CSV, LLMPerf "
        "*_summary.json or individual_responses.json (what `profiles import` reads).",
    ),
    output: Path = typer.Option(
        ..., "-o", "--output", metavar="FILE", help="Fit file (CSV) to write."
    ),
    force: bool = force_option(),
    model: str = typer.Option(
        None, "--model", metavar="TEXT", help="Model, when the files name none we know."
    ),
    accelerator: str = typer.Option(
        None, "--accelerator", metavar="TEXT", help="Accelerator the runs used (files rarely say)."
    ),
    tp: int = number(int, None, "--tp", min=1, help="Tensor-parallel degree of the replica."),
    weights_dtype: Dtype = typer.Option(
        Dtype.bf16, "--weights-dtype", metavar="bf16|fp16|fp8|int8|int4|fp4", help="Weights format."
    ),
    kv_dtype: Dtype = typer.Option(
        Dtype.bf16, "--kv-dtype", metavar="bf16|fp16|fp8|int8|int4|fp4", help="KV-cache format."
    ),
    engine: ServingEngine = typer.Option(
        ServingEngine.vllm,
        "--engine",
        metavar="vllm|sglang|trt-llm",
        help="Serving engine the runs were measured on.",
    ),
    by: FitScope = typer.Option(
        FitScope.family,
        "--by",
        metavar="family|accelerator",
        help="One row per accelerator family or per accelerator type.",
    ),
    fmt: TextFormat = typer.Option(
        TextFormat.text, "--format", metavar="text|json", help="stdout's summary: text or json."
    ),
) -> None:
    """Refit the model's efficiencies to your benchmark runs; report the error before and
    after on them. Plans made with --fit FILE use the fit and name it."""
    from planner import clock
    from planner.facts import find_accelerator, find_llm
    from planner.perf.bench_import import read_bench_file
    from planner.perf.dtypes import as_kv_dtype
    from planner.perf.refit import RunPoint, refit, render_fit
    from planner.perf.settings import DEFAULT_SETTINGS

    guard_output(output, force)
    try:
        kv = as_kv_dtype(kv_dtype)
    except ValueError as err:
        raise InputError(str(err)) from None
    points = []
    for path in files:
        run = read_bench_file(path)
        name = model or run.model
        llm = find_llm(name) if name else None
        if llm is None:
            raise InputError(f"{path}: field 'model': unknown or missing ({name!r}); pass --model")
        chip_name = accelerator or run.accelerator
        chip = find_accelerator(chip_name) if chip_name else None
        if chip is None:
            raise InputError(f"{path}: field 'accelerator': unknown or missing ({chip_name!r}); "
                             "pass --accelerator")  # fmt: skip
        degree = tp or run.tp or 1
        latency_s = (run.ttft_ms + (run.output_tokens - 1) * run.tpot_ms) / 1000
        in_flight = run.requests_per_s * latency_s
        if run.concurrency is not None:
            in_flight = min(in_flight, run.concurrency)
        points.append(
            RunPoint(
                source=str(path), model=llm, accelerator=chip, tp=degree,
                input_tokens=max(1, round(run.input_tokens)),
                output_tokens=max(1, round(run.output_tokens)),
                weights_dtype=weights_dtype.value, kv_dtype=kv.value,
                tokens_per_s=run.requests_per_s * run.output_tokens, tpot_ms=run.tpot_ms,
                in_flight=max(1.0, in_flight),
            )
        )  # fmt: skip
    try:
        rows = refit(points, by.value, DEFAULT_SETTINGS.for_engine(engine.value))
    except ValueError as err:
        raise InputError(str(err)) from None
    sources = [json.dumps(str(p), ensure_ascii=True) for p in files]
    write_text(output, render_fit(rows, sources, clock.today().isoformat()))
    described = "; ".join(
        f"{r.scope} {r.name}: {r.points} run(s), RMS log error {r.rms_before:.3f} -> "
        f"{r.rms_after:.3f}"
        for r in rows
    )
    line = f"Wrote a fit of {len(rows)} row(s) from {len(points)} run(s) to {output} ({described})"
    data = {
        "file": str(output),
        "runs": len(points),
        "rows": [
            {"scope": r.scope, "name": r.name, "points": r.points,
             "rms_log_error_before": round(r.rms_before, 6),
             "rms_log_error_after": round(r.rms_after, 6)}
            for r in rows
        ],
    }  # fmt: skip
    print_summary(fmt, line, data)


def register(app: typer.Typer) -> None:
    """Add the `calibrate` verb to the CLI."""
    app.command("calibrate", cls=PlannerCommand)(calibrate)
