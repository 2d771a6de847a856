"""`planner profiles import`: benchmark result files -> the profiles CSV `--profiles` reads."""

from __future__ import annotations

from pathlib import Path

import typer

from planner.errors import InputError
from planner.perf.dtypes import Dtype

profiles_app = typer.Typer(
    help="Measured profiles: turn your benchmark results into capacity figures.",
    no_args_is_help=True,
)


@profiles_app.command("import")
def import_results(
    files: list[Path] = typer.Argument(
        ...,
        help="Result files: vllm bench serve JSON, GenAI-Perf/AIPerf JSON or CSV, LLMPerf "
        "*_summary.json.",
    ),
    output: Path = typer.Option(..., "-o", "--output", help="Profiles CSV to write."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --output file."),
    model: str = typer.Option(None, "--model", help="Model, when the files name none we know."),
    accelerator: str = typer.Option(
        None, "--accelerator", help="Accelerator the runs used (files rarely say)."
    ),
    tp: int = typer.Option(None, "--tp", min=1, help="Tensor-parallel degree of the replica."),
    tpot_ms: float = typer.Option(
        None, "--tpot-ms", help="SLO: keep the best rate whose mean TPOT met this."
    ),
    ttft_ms: float = typer.Option(
        None, "--ttft-ms", help="SLO: keep the best rate whose p95 TTFT met this."
    ),
    weights_dtype: Dtype = typer.Option(Dtype.bf16, "--weights-dtype", help="Weights format."),
    kv_dtype: Dtype = typer.Option(Dtype.bf16, "--kv-dtype", help="KV-cache format."),
) -> None:
    """Read benchmark result files into profile rows; a sweep over request rates or
    concurrencies becomes the max requests/s at the SLO given (without one, each run is a row
    at its own measured latencies). Exit 2 naming the file and field of a bad result file."""
    from planner.perf.bench_import import profile_points, profiles_csv, read_bench_file
    from planner.perf.dtypes import as_kv_dtype
    from planner.perf.slo import SLO

    if output.exists() and not force:
        raise InputError(f"{output} exists; pass --force to overwrite it")
    try:
        slo = SLO(tpot_ms=tpot_ms, ttft_ms=ttft_ms)
        kv = as_kv_dtype(kv_dtype)
    except ValueError as err:
        raise InputError(str(err)) from None
    runs = [read_bench_file(path) for path in files]
    points, notes = profile_points(
        runs,
        model=model,
        accelerator=accelerator,
        tp=tp,
        slo=slo,
        weights_dtype=weights_dtype,
        kv_dtype=kv,
    )
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    if not points:
        raise InputError("no profile rows: no run met the SLO")
    output.write_text(profiles_csv(points), encoding="utf-8")
    typer.echo(f"wrote {len(points)} profile row(s) from {len(runs)} file(s) to {output}")


def register(app: typer.Typer) -> None:
    app.add_typer(profiles_app, name="profiles")
