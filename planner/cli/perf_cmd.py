"""`planner estimate` (one replica's fit, latency and capacity) and `planner queue` (M/M/c)."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from planner.cli.options import KvDtype, WeightsDtype
from planner.cli.output import (
    choices,
    chosen,
    file_option,
    force_option,
    format_option,
    guard_output,
    show,
)
from planner.cli.params import PlannerCommand, number
from planner.perf.dtypes import Dtype

EstimateFormat = choices("Estimate")
QueueFormat = choices("QueueFigures")


class Engine(enum.StrEnum):
    """Serving engines the performance model knows."""

    vllm = "vllm"
    sglang = "sglang"
    trt_llm = "trt-llm"


def estimate(
    model: str = typer.Option(
        ..., "--model", metavar="TEXT", help="Model name or Hugging Face id."
    ),
    accelerator: str = typer.Option(
        ..., "--accelerator", metavar="TEXT", help="Accelerator name or alias."
    ),
    count: int = number(int, 1, "--count", min=1, help="Accelerators per instance."),
    tp: int | None = number(
        int, None, "--tp", min=1, help="Tensor-parallel degree (default: the smallest that fits)."
    ),
    input_tokens: int = number(int, ..., "--input-tokens", min=1, help="Prompt tokens."),
    output_tokens: int = number(int, ..., "--output-tokens", min=1, help="Generated tokens."),
    tpot_ms: float | None = number(float, None, "--tpot-ms", help="Mean TPOT objective (ms)."),
    ttft_ms: float | None = number(float, None, "--ttft-ms", help="TTFT objective (ms)."),
    weights_dtype: WeightsDtype = Dtype.bf16,
    kv_dtype: KvDtype = Dtype.bf16,
    profiles: Path | None = typer.Option(
        None,
        "--profiles",
        metavar="FILE",
        help="Measured profiles CSV that overrides the roofline.",
    ),
    engine: Engine = typer.Option(
        Engine.vllm,
        "--engine",
        metavar="vllm|sglang|trt-llm",
        help="Serving engine (its admission rules and factor).",
    ),
    concurrency: float | None = number(
        float,
        None,
        "--concurrency",
        help="Also: TTFT/TPOT percentiles with N requests kept in flight.",
    ),
    rate: float | None = number(
        float,
        None,
        "--rate",
        help="Also: TTFT/TPOT percentiles with R requests/s arriving at random.",
    ),
    max_num_seqs: int | None = number(
        int,
        None,
        "--max-num-seqs",
        min=1,
        help="Engine cap on running requests (default: engine's).",
    ),
    max_num_batched_tokens: int | None = number(
        int,
        None,
        "--max-num-batched-tokens",
        min=1,
        help="Engine tokens per step (default: engine's).",
    ),
    prefix_hit_rate: float = number(
        float, 0.0, "--prefix-hit-rate", help="Share of prompt tokens the prefix cache holds (0-1)."
    ),
    fit: Path | None = typer.Option(
        None, "--fit", metavar="FILE", help="Efficiency fit from `planner calibrate`."
    ),
    fmt: EstimateFormat = format_option(EstimateFormat, "table", "Output format."),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """Memory fit, TTFT, TPOT, tokens/s and the max requests/s one replica sustains at the SLO;
    with --concurrency or --rate, the latency percentiles at that load and whether it queues."""
    fmt = chosen(fmt, output, EstimateFormat, "table")
    guard_output(output, force)
    from planner.app.replica import estimate as figures

    found = figures(
        model, accelerator, input_tokens, output_tokens, count=count, tp=tp, tpot_ms=tpot_ms,
        ttft_ms=ttft_ms, weights_dtype=weights_dtype, kv_dtype=kv_dtype, profiles=profiles,
        engine=engine.value, concurrency=concurrency, rate=rate, max_num_seqs=max_num_seqs,
        max_num_batched_tokens=max_num_batched_tokens, prefix_hit_rate=prefix_hit_rate, fit=fit,
    )  # fmt: skip
    show(found, fmt, output, f"the estimate ({fmt})")


def queue(
    arrival_rate: float = number(float, ..., "--arrival-rate", help="Requests per second."),
    service_rate: float = number(float, ..., "--service-rate", help="Requests/s per server."),
    servers: int = number(int, 1, "--servers", min=1, help="Number of servers (c)."),
    wait_ms: float | None = number(
        float, None, "--wait-ms", min=0, help="Also report P(wait > this many ms)."
    ),
    fmt: QueueFormat = format_option(QueueFormat, "table", "Output format."),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """M/M/c figures: utilization, probability of waiting, mean wait and time in system."""
    fmt = chosen(fmt, output, QueueFormat, "table")
    guard_output(output, force)
    from planner.app.replica import queue as figures

    show(
        figures(arrival_rate, service_rate, servers, wait_ms),
        fmt,
        output,
        f"the queue figures ({fmt})",
    )


def register(app: typer.Typer) -> None:
    """Add the `estimate` and `queue` verbs to the CLI."""
    app.command("estimate", cls=PlannerCommand)(estimate)
    app.command("queue", cls=PlannerCommand)(queue)
