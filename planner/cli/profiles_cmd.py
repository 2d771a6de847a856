"""`planner profiles import`: benchmark result files -> the profiles CSV `--profiles` reads."""

from __future__ import annotations

from pathlib import Path

import typer

from planner.cli.options import KvDtype, RunsAccelerator, RunsModel, RunsTp, WeightsDtype
from planner.cli.output import choices, force_option, guard_output, metavar, show
from planner.cli.params import PlannerCommand, number
from planner.perf.dtypes import Dtype

SummaryFormat = choices("ProfilesImported")
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
    model: RunsModel = None,
    accelerator: RunsAccelerator = None,
    tp: RunsTp = None,
    tpot_ms: float = number(
        float, None, "--tpot-ms", help="SLO: keep the best rate whose mean TPOT met this."
    ),
    ttft_ms: float = number(
        float, None, "--ttft-ms", help="SLO: keep the best rate whose p95 TTFT met this."
    ),
    weights_dtype: WeightsDtype = Dtype.bf16,
    kv_dtype: KvDtype = Dtype.bf16,
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
    fmt: SummaryFormat = typer.Option(
        SummaryFormat.text,
        "--format",
        metavar=metavar(SummaryFormat),
        help="stdout's summary (text: one line).",
    ),
) -> None:
    """Read benchmark result files into profile rows; a sweep over request rates or
    concurrencies becomes the max requests/s at the SLO given (without one, each run is a row
    at its own measured latencies). Exit 2 naming the file and field of a bad result file."""
    from planner.app.profiles import SageMakerJobs, import_profiles

    guard_output(output, force)
    jobs = SageMakerJobs(sagemaker_jobs or [], region, input_tokens, output_tokens, endpoint_url)
    found = import_profiles(
        files or [], output, model=model, accelerator=accelerator, tp=tp, tpot_ms=tpot_ms,
        ttft_ms=ttft_ms, weights_dtype=weights_dtype.value, kv_dtype=kv_dtype.value,
        concurrency=concurrency, sagemaker=jobs, force=force,
    )  # fmt: skip
    for note in (*found.skipped, *found.notes):
        typer.echo(f"note: {note}", err=True)
    show(found, fmt, None, "")


def register(app: typer.Typer) -> None:
    app.add_typer(profiles_app, name="profiles")
