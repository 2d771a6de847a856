"""`planner estimate` (one replica's fit, latency and capacity) and `planner queue` (M/M/c)."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from planner.cli.output import choices, show, writes_output
from planner.perf.dtypes import Dtype

EstimateFormat = choices("Estimate")
QueueFormat = choices("QueueFigures")


class Engine(enum.StrEnum):
    """Serving engines the performance model knows."""

    vllm = "vllm"
    sglang = "sglang"
    trt_llm = "trt-llm"


def estimate(
    model: str = typer.Option(..., "--model", help="Model name or Hugging Face id."),
    accelerator: str = typer.Option(..., "--accelerator", help="Accelerator name or alias."),
    count: int = typer.Option(1, "--count", min=1, help="Accelerators per instance."),
    tp: int | None = typer.Option(
        None, "--tp", min=1, help="Tensor-parallel degree (default: the smallest that fits)."
    ),
    input_tokens: int = typer.Option(..., "--input-tokens", min=1, help="Prompt tokens."),
    output_tokens: int = typer.Option(..., "--output-tokens", min=1, help="Generated tokens."),
    tpot_ms: float | None = typer.Option(None, "--tpot-ms", help="Mean TPOT objective (ms)."),
    ttft_ms: float | None = typer.Option(None, "--ttft-ms", help="TTFT objective (ms)."),
    weights_dtype: Dtype = typer.Option(Dtype.bf16, "--weights-dtype", help="Weights format."),
    kv_dtype: Dtype = typer.Option(Dtype.bf16, "--kv-dtype", help="KV-cache format."),
    profiles: Path | None = typer.Option(
        None, "--profiles", help="Measured profiles CSV that overrides the roofline."
    ),
    engine: Engine = typer.Option(
        Engine.vllm, "--engine", help="Serving engine (its admission rules and factor)."
    ),
    concurrency: float | None = typer.Option(
        None, "--concurrency", help="Also: TTFT/TPOT percentiles with N requests kept in flight."
    ),
    rate: float | None = typer.Option(
        None, "--rate", help="Also: TTFT/TPOT percentiles with R requests/s arriving at random."
    ),
    max_num_seqs: int | None = typer.Option(
        None, "--max-num-seqs", min=1, help="Engine cap on running requests (default: engine's)."
    ),
    max_num_batched_tokens: int | None = typer.Option(
        None, "--max-num-batched-tokens", min=1, help="Engine tokens per step (default: engine's)."
    ),
    prefix_hit_rate: float = typer.Option(
        0.0, "--prefix-hit-rate", help="Share of prompt tokens the prefix cache holds (0-1)."
    ),
    fit: Path | None = typer.Option(None, "--fit", help="Efficiency fit from `planner calibrate`."),
    fmt: EstimateFormat = typer.Option(EstimateFormat.table, "--format", help="Output format."),
) -> None:
    """Memory fit, TTFT, TPOT, tokens/s and the max requests/s one replica sustains at the SLO;
    with --concurrency or --rate, the latency percentiles at that load and whether it queues."""
    from planner.app.replica import estimate as figures

    found = figures(
        model, accelerator, input_tokens, output_tokens, count=count, tp=tp, tpot_ms=tpot_ms,
        ttft_ms=ttft_ms, weights_dtype=weights_dtype, kv_dtype=kv_dtype, profiles=profiles,
        engine=engine.value, concurrency=concurrency, rate=rate, max_num_seqs=max_num_seqs,
        max_num_batched_tokens=max_num_batched_tokens, prefix_hit_rate=prefix_hit_rate, fit=fit,
    )  # fmt: skip
    show(found, fmt, None, "")


def queue(
    arrival_rate: float = typer.Option(..., "--arrival-rate", help="Requests per second."),
    service_rate: float = typer.Option(..., "--service-rate", help="Requests/s per server."),
    servers: int = typer.Option(1, "--servers", min=1, help="Number of servers (c)."),
    wait_ms: float | None = typer.Option(
        None, "--wait-ms", min=0, help="Also report P(wait > this many ms)."
    ),
    fmt: QueueFormat = typer.Option(QueueFormat.table, "--format", help="Output format."),
) -> None:
    """M/M/c figures: utilization, probability of waiting, mean wait and time in system."""
    from planner.app.replica import queue as figures

    show(figures(arrival_rate, service_rate, servers, wait_ms), fmt, None, "")


def register(app: typer.Typer) -> None:
    """Add the `estimate` and `queue` verbs to the CLI."""
    app.command("estimate")(writes_output("the estimate")(estimate))
    app.command("queue")(writes_output("the queue figures")(queue))
