"""`planner calibrate`: refit the performance model's efficiencies to the user's own benchmark
runs and write a fit file that `--fit` (or `fit = "FILE"` in planner.toml) applies."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from planner.cli.options import KvDtype, RunsAccelerator, RunsModel, RunsTp, WeightsDtype
from planner.cli.output import choices, force_option, guard_output, metavar, show
from planner.cli.params import PlannerCommand
from planner.perf.dtypes import Dtype

SummaryFormat = choices("Calibrated")


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
    model: RunsModel = None,
    accelerator: RunsAccelerator = None,
    tp: RunsTp = None,
    weights_dtype: WeightsDtype = Dtype.bf16,
    kv_dtype: KvDtype = Dtype.bf16,
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
    fmt: SummaryFormat = typer.Option(
        SummaryFormat.text, "--format", metavar=metavar(SummaryFormat), help="stdout's summary."
    ),
) -> None:
    """Refit the model's efficiencies to your benchmark runs; report the error before and
    after on them. Plans made with --fit FILE use the fit and name it."""
    from planner.app.calibrate import calibrate as refit

    guard_output(output, force)
    found = refit(
        files, output, model=model, accelerator=accelerator, tp=tp,
        weights_dtype=weights_dtype.value, kv_dtype=kv_dtype.value, engine=engine.value,
        by=by.value, force=force,
    )  # fmt: skip
    show(found, fmt, None, "")


def register(app: typer.Typer) -> None:
    """Add the `calibrate` verb to the CLI."""
    app.command("calibrate", cls=PlannerCommand)(calibrate)
