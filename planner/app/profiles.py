"""The `import_profiles` use case: benchmark result files (and SageMaker Inference Recommender
jobs) -> the measured-profiles CSV that `profiles=` (the CLI's --profiles) reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from planner.app.arguments import checked
from planner.app.inputs import PathLike
from planner.bounds import MAX_ACCELERATORS, MAX_CONCURRENCY, MAX_LATENCY_MS
from planner.errors import InputError


@dataclass(frozen=True)
class ProfilesImported:
    """A profiles CSV written from benchmark runs."""

    file: str
    rows: int
    runs: int
    files: tuple[str, ...]
    sagemaker_jobs: tuple[str, ...]
    notes: tuple[str, ...]
    """What the reader noticed (a run without a rate at the SLO...)."""
    skipped: tuple[str, ...] = ()
    """Files left out: an LLMPerf summary given beside its individual_responses file."""

    @property
    def summary(self) -> str:
        return f"Wrote {self.rows} profile row(s) from {self.runs} run(s) to {self.file}"


@dataclass(frozen=True)
class SageMakerJobs:
    """Completed SageMaker Inference Recommender jobs to read (boto3's credentials), and the
    request sizes of their sample payloads (a recommendation counts requests only)."""

    names: Sequence[str]
    region: str | None
    input_tokens: float | None
    output_tokens: float | None
    endpoint_url: str | None = None


@checked(
    tp=(1, MAX_ACCELERATORS),
    tpot_ms=(0, MAX_LATENCY_MS),
    ttft_ms=(0, MAX_LATENCY_MS),
    concurrency=(1, MAX_CONCURRENCY),
)
def import_profiles(
    files: Sequence[PathLike],
    output: PathLike,
    *,
    model: str | None = None,
    accelerator: str | None = None,
    tp: int | None = None,
    tpot_ms: float | None = None,
    ttft_ms: float | None = None,
    weights_dtype: str = "bf16",
    kv_dtype: str = "bf16",
    concurrency: float | None = None,
    sagemaker: SageMakerJobs | None = None,
    force: bool = False,
) -> ProfilesImported:
    """Read benchmark result files into profile rows and write them to `output`: a sweep over
    request rates or concurrencies becomes the max requests/s at the SLO given (without one,
    each run is a row at its own measured latencies)."""
    from planner._writefile import refuse_overwrite, write_output
    from planner.perf.bench_import import profile_points, profiles_csv, read_bench_file
    from planner.perf.dtypes import as_dtype, as_kv_dtype
    from planner.perf.slo import SLO

    output = Path(output)
    refuse_overwrite(output, force)
    try:
        slo = SLO(tpot_ms=tpot_ms, ttft_ms=ttft_ms)
        weights = as_dtype(weights_dtype)
        kv = as_kv_dtype(kv_dtype)
    except ValueError as err:
        raise InputError(str(err)) from None
    paths = [Path(f) for f in files]
    kept, skipped = _without_twins(paths)
    runs = [read_bench_file(path, concurrency=concurrency) for path in kept]
    if sagemaker is not None and sagemaker.names:
        runs += _sagemaker_runs(sagemaker, model, tp)
    if not runs:
        raise InputError("give result files or --sagemaker-job NAME")
    points, notes = profile_points(
        runs,
        model=model,
        accelerator=accelerator,
        tp=tp,
        slo=slo,
        weights_dtype=weights,
        kv_dtype=kv,
    )
    if not points:
        said = "".join(f"\nnote: {note}" for note in notes)
        raise InputError(f"no profile rows: no run met the SLO{said}")
    write_output(output, profiles_csv(points))
    return ProfilesImported(
        file=str(output),
        rows=len(points),
        runs=len(runs),
        files=tuple(str(f) for f in files),
        sagemaker_jobs=tuple(sagemaker.names) if sagemaker is not None else (),
        notes=tuple(notes),
        skipped=tuple(skipped),
    )


def _without_twins(files: list[Path]) -> tuple[list[Path], list[str]]:
    """The files, less each LLMPerf summary whose individual_responses file is also given (the
    same run twice; the per-request file has the true percentiles), and a note per one left."""
    from planner.perf.bench_import import summary_beside

    twins = {summary_beside(p) for p in files} - {None}
    kept = [p for p in files if p not in twins]
    said = [f"{p}: the same run as its individual_responses file; read that"
            for p in files if p in twins]  # fmt: skip
    return kept, said


def _sagemaker_runs(jobs: SageMakerJobs, model, tp):
    """Runs from SageMaker Inference Recommender jobs (boto3 only in providers.aws)."""
    from planner.catalog import load_catalog
    from providers.aws.inference_recommender import (
        describe_job,
        recommendation_runs,
        sagemaker_client,
    )

    if not jobs.region:
        raise InputError("--sagemaker-job needs --region (or AWS_REGION)")
    if jobs.input_tokens is None or jobs.output_tokens is None:
        raise InputError(
            "--sagemaker-job needs --input-tokens and --output-tokens: a recommendation "
            "counts requests, and the sizes of the job's sample payloads are not in its result"
        )
    instances = {
        o.instance_type: (o.accelerator, o.accelerator_count)
        for o in load_catalog().offerings
        if o.service == "sagemaker" and o.accelerator_count > 0
    }
    if jobs.endpoint_url is not None:
        from planner._http import check_url

        check_url(jobs.endpoint_url, "--endpoint-url")
    client = sagemaker_client(jobs.region, jobs.endpoint_url)
    runs = []
    for job in jobs.names:
        runs += recommendation_runs(
            describe_job(client, job),
            instances=instances,
            input_tokens=jobs.input_tokens,
            output_tokens=jobs.output_tokens,
            model=model,
            tp=tp,
        )
    return runs
