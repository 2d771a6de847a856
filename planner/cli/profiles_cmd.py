"""`planner profiles import`: benchmark result files -> the profiles CSV `--profiles` reads."""

from __future__ import annotations

from pathlib import Path

import typer

from planner.cli.output import TextFormat, force_option, guard_output, print_summary, write_text
from planner.cli.params import PlannerCommand, number
from planner.errors import InputError
from planner.perf.dtypes import Dtype

profiles_app = typer.Typer(
    help="Measured profiles: turn your benchmark results into capacity figures.",
    no_args_is_help=True,
)


@profiles_app.command("import", cls=PlannerCommand)
def import_results(
    files: list[Path] = typer.Argument(
        None,
        help="Result files: vllm bench serve JSON, GenAI-Perf/AIPerf JSON or CSV, LLMPerf "
        "*_summary.json or individual_responses.json.",
    ),
    output: Path = typer.Option(
        ..., "-o", "--output", metavar="FILE", help="Profiles CSV to write."
    ),
    force: bool = force_option(),
    model: str = typer.Option(
        None, "--model", metavar="TEXT", help="Model, when the files name none we know."
    ),
    accelerator: str = typer.Option(
        None, "--accelerator", metavar="TEXT", help="Accelerator the runs used (files rarely say)."
    ),
    tp: int = number(int, None, "--tp", min=1, help="Tensor-parallel degree of the replica."),
    tpot_ms: float = number(
        float, None, "--tpot-ms", help="SLO: keep the best rate whose mean TPOT met this."
    ),
    ttft_ms: float = number(
        float, None, "--ttft-ms", help="SLO: keep the best rate whose p95 TTFT met this."
    ),
    weights_dtype: Dtype = typer.Option(
        Dtype.bf16, "--weights-dtype", metavar="bf16|fp16|fp8|int8|int4|fp4", help="Weights format."
    ),
    kv_dtype: Dtype = typer.Option(
        Dtype.bf16, "--kv-dtype", metavar="bf16|fp16|fp8|int8|int4|fp4", help="KV-cache format."
    ),
    concurrency: float = number(
        float,
        None,
        "--concurrency",
        min=1,
        help="Concurrent requests of an LLMPerf individual_responses file whose _summary.json "
        "is not beside it.",
    ),
    sagemaker_jobs: list[str] = typer.Option(
        None,
        "--sagemaker-job",
        metavar="NAME",
        help="A completed SageMaker Inference Recommender job to read (repeatable; boto3's "
        "credentials).",
    ),
    region: str = typer.Option(
        None, "--region", metavar="TEXT", envvar="AWS_REGION", help="AWS region of --sagemaker-job."
    ),
    endpoint_url: str = typer.Option(
        None, "--endpoint-url", metavar="URL", help="SageMaker API URL (e.g. a local test server)."
    ),
    input_tokens: float = number(
        float, None, "--input-tokens", min=1, help="--sagemaker-job: prompt tokens of its payloads."
    ),
    output_tokens: float = number(
        float,
        None,
        "--output-tokens",
        min=1,
        help="--sagemaker-job: output tokens of its payloads.",
    ),
    fmt: TextFormat = typer.Option(
        TextFormat.text,
        "--format",
        metavar="text|json",
        help="stdout's summary: text (one line) or json.",
    ),
) -> None:
    """Read benchmark result files into profile rows; a sweep over request rates or
    concurrencies becomes the max requests/s at the SLO given (without one, each run is a row
    at its own measured latencies). Exit 2 naming the file and field of a bad result file."""
    from planner.perf.bench_import import profile_points, profiles_csv, read_bench_file
    from planner.perf.dtypes import as_kv_dtype
    from planner.perf.slo import SLO

    guard_output(output, force)
    try:
        slo = SLO(tpot_ms=tpot_ms, ttft_ms=ttft_ms)
        kv = as_kv_dtype(kv_dtype)
    except ValueError as err:
        raise InputError(str(err)) from None
    runs = [read_bench_file(path, concurrency=concurrency) for path in _without_twins(files or [])]
    if sagemaker_jobs:
        runs += _sagemaker_runs(
            sagemaker_jobs, region, endpoint_url, input_tokens, output_tokens, model, tp
        )
    if not runs:
        raise InputError("give result files or --sagemaker-job NAME")
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
    write_text(output, profiles_csv(points))
    line = f"Wrote {len(points)} profile row(s) from {len(runs)} run(s) to {output}"
    data = {"file": str(output), "rows": len(points), "runs": len(runs),
            "files": [str(f) for f in files or []], "sagemaker_jobs": list(sagemaker_jobs or []),
            "notes": list(notes)}  # fmt: skip
    print_summary(fmt, line, data)


def _without_twins(files: list[Path]) -> list[Path]:
    """The files, less each LLMPerf summary whose individual_responses file is also given (the
    same run twice; the per-request file has the true percentiles)."""
    from planner.perf.bench_import import summary_beside

    twins = {summary_beside(p) for p in files} - {None}
    kept = [p for p in files if p not in twins]
    for p in files:
        if p in twins:
            typer.echo(f"note: {p}: the same run as its individual_responses file; read that",
                       err=True)  # fmt: skip
    return kept


def _sagemaker_runs(jobs, region, endpoint_url, input_tokens, output_tokens, model, tp):
    """Runs from SageMaker Inference Recommender jobs (boto3 only in providers.aws)."""
    from planner.catalog import load_catalog
    from providers.aws.inference_recommender import (
        describe_job,
        recommendation_runs,
        sagemaker_client,
    )

    if not region:
        raise InputError("--sagemaker-job needs --region (or AWS_REGION)")
    if input_tokens is None or output_tokens is None:
        raise InputError(
            "--sagemaker-job needs --input-tokens and --output-tokens: a recommendation "
            "counts requests, and the sizes of the job's sample payloads are not in its result"
        )
    instances = {
        o.instance_type: (o.accelerator, o.accelerator_count)
        for o in load_catalog().offerings
        if o.service == "sagemaker" and o.accelerator_count > 0
    }
    client = sagemaker_client(region, endpoint_url)
    runs = []
    for job in jobs:
        runs += recommendation_runs(
            describe_job(client, job),
            instances=instances,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            model=model,
            tp=tp,
        )
    return runs


def register(app: typer.Typer) -> None:
    app.add_typer(profiles_app, name="profiles")
