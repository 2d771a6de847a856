"""The `calibrate` use case: refit the performance model's efficiencies to the user's own
benchmark runs and write a fit file that `fit=` (the CLI's --fit) applies."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from planner.app.arguments import checked
from planner.app.inputs import PathLike
from planner.bounds import MAX_ACCELERATORS
from planner.errors import InputError


@dataclass(frozen=True)
class FitRow:
    """One row of a fit: its scope and name, the runs it rests on and its error before/after."""

    scope: str
    name: str
    points: int
    rms_log_error_before: float
    rms_log_error_after: float


@dataclass(frozen=True)
class Calibrated:
    """A fit file written from benchmark runs."""

    file: str
    runs: int
    rows: tuple[FitRow, ...]

    @property
    def summary(self) -> str:
        described = "; ".join(
            f"{r.scope} {r.name}: {r.points} run(s), RMS log error "
            f"{r.rms_log_error_before:.3f} -> {r.rms_log_error_after:.3f}"
            for r in self.rows
        )
        return (
            f"Wrote a fit of {len(self.rows)} row(s) from {self.runs} run(s) to {self.file} "
            f"({described})"
        )


@checked(tp=(1, MAX_ACCELERATORS))
def calibrate(
    files: Sequence[PathLike],
    output: PathLike,
    *,
    model: str | None = None,
    accelerator: str | None = None,
    tp: int | None = None,
    weights_dtype: str = "bf16",
    kv_dtype: str = "bf16",
    engine: str = "vllm",
    by: str = "family",
    force: bool = False,
) -> Calibrated:
    """Read benchmark result files (vllm bench serve, GenAI-Perf/AIPerf, LLMPerf), refit the
    efficiencies per accelerator family (`by="family"`) or type, and write the fit to `output`
    (never over a file without `force`)."""
    from planner import clock
    from planner._writefile import refuse_overwrite, write_output
    from planner.facts import find_accelerator, find_llm
    from planner.perf.bench_import import read_bench_file
    from planner.perf.dtypes import as_kv_dtype
    from planner.perf.refit import RunPoint, refit, render_fit
    from planner.perf.settings import DEFAULT_SETTINGS

    output = Path(output)
    refuse_overwrite(output, force)
    try:
        kv = as_kv_dtype(kv_dtype)
    except ValueError as err:
        raise InputError(str(err)) from None
    points = []
    for path in files:
        run = read_bench_file(Path(path))
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
                weights_dtype=str(weights_dtype), kv_dtype=kv.value,
                tokens_per_s=run.requests_per_s * run.output_tokens, tpot_ms=run.tpot_ms,
                in_flight=max(1.0, in_flight),
            )
        )  # fmt: skip
    try:
        rows = refit(points, by, DEFAULT_SETTINGS.for_engine(engine))
    except ValueError as err:
        raise InputError(str(err)) from None
    sources = [json.dumps(str(p), ensure_ascii=True) for p in files]
    write_output(output, render_fit(rows, sources, clock.today().isoformat()))
    return Calibrated(
        file=str(output),
        runs=len(points),
        rows=tuple(
            FitRow(r.scope, r.name, r.points, round(r.rms_before, 6), round(r.rms_after, 6))
            for r in rows
        ),
    )
