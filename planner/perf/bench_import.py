"""Result files of the benchmark tools users run against their own deployments, read into
profile points (the rows `planner plan --profiles` uses).

Formats, as their projects document them:
- vLLM `vllm bench serve` / `benchmarks/benchmark_serving.py --save-result` JSON:
  request_throughput, mean_tpot_ms, mean_ttft_ms / p95_ttft_ms / p99_ttft_ms,
  total_input_tokens, total_output_tokens, completed, model_id, max_concurrency (and any
  --metadata key=value pairs at the top level).
- NVIDIA GenAI-Perf / AIPerf exports: profile_export_genai_perf.json (or
  profile_export_aiperf.json), one object per metric with its unit and statistics (avg, p50,
  p90, p95, p99, ...) plus input_config; and profile_export_genai_perf.csv, a statistics table
  followed by a metric/value table.
- LLMPerf (ray-project/llmperf) `*_summary.json`: results_ttft_s_*,
  results_inter_token_latency_s_*, results_num_completed_requests_per_min,
  results_number_input/output_tokens_mean, num_concurrent_requests.
- LLMPerf `*_individual_responses.json`: a list with one object per request (error_code,
  error_msg, ttft_s, inter_token_latency_s, end_to_end_latency_s, number_input_tokens,
  number_output_tokens, ...). It records no times of day, so the rate is the measured
  results_num_completed_requests_per_min of the `*_summary.json` written beside it; without
  one, Little's law for LLMPerf's closed loop of N concurrent users: N / mean end-to-end
  latency, N from --concurrency. (Little's law with the nominal N overstates the rate when the
  client kept fewer in flight: LLMPerf's published A10G runs averaged about 19 at a nominal 32.)
  Requests with an error_code are left out; TTFT is their p95.

Latency SLOs are read conservatively: TPOT is the mean, TTFT the p95 (p99, then p90, where a file
has no p95; the mean only where a file has no percentile at all).
Every problem is an InputError naming the file and the field.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner._readfile import load_json, read_input
from planner.errors import InputError
from planner.facts.accelerators import Accelerator, find_accelerator
from planner.facts.llms import LLM, find_llm
from planner.markup import csv_text
from planner.perf.dtypes import Dtype
from planner.perf.parallel import tp_problem
from planner.perf.profile_csv import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from planner.perf.profiles import ProfilePoint
from planner.perf.slo import NO_SLO, SLO

MAX_FILE_BYTES = 64 * 2**20
MAX_FIGURE = 1e9
"""Largest token count, rate (requests/s) or latency (ms) a benchmark run may give."""


@dataclass(frozen=True)
class BenchRun:
    """One benchmark run: the rate a deployment sustained and the latencies it had."""

    path: str
    tool: str
    model: str | None
    input_tokens: float
    output_tokens: float
    requests_per_s: float
    tpot_ms: float
    ttft_ms: float
    concurrency: float | None = None
    accelerator: str | None = None
    tp: int | None = None

    def __post_init__(self) -> None:
        """Every figure finite, positive and at most MAX_FIGURE, whatever read it (a result
        file, a cloud's recommender job): one check for every source."""
        for name in ("input_tokens", "output_tokens", "requests_per_s", "tpot_ms", "ttft_ms",
                     "concurrency"):  # fmt: skip
            value = getattr(self, name)
            if value is None and name == "concurrency":
                continue
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not math.isfinite(value) or not 0 < value <= MAX_FIGURE):  # fmt: skip
                raise InputError(f"{self.path}: field '{name}': expected a positive number up "
                                 f"to {MAX_FIGURE:g} (got {value!r})")  # fmt: skip


def _fail(path: Path, field: str, problem: str, value: object = None) -> InputError:
    got = "" if value is None else f" (got {value!r})"
    return InputError(f"{path}: field '{field}': {problem}{got}")


def _number(path: Path, data: dict[str, Any], field: str, *, positive: bool = True) -> float:
    if field not in data:
        raise _fail(path, field, "missing")
    value = data[field]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _fail(path, field, "expected a number", value)
    try:
        number = float(value)
    except ValueError:
        raise _fail(path, field, "expected a number", value) from None
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        raise _fail(
            path,
            field,
            "expected a positive number" if positive else "expected a non-negative number",
            value,
        )
    return number


def _optional_number(path: Path, data: dict[str, Any], field: str) -> float | None:
    if data.get(field) in (None, "", "inf"):
        return None
    return _number(path, data, field)


def _text(data: dict[str, Any], *fields: str) -> str | None:
    for field in fields:
        value = data.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _tp(path: Path, data: dict[str, Any]) -> int | None:
    for field in ("tp", "tensor_parallel_size"):
        if data.get(field) not in (None, ""):
            value = _number(path, data, field)
            if value != int(value):
                raise _fail(path, field, "expected a whole number", data[field])
            return int(value)
    return None


def _vllm(path: Path, data: dict[str, Any]) -> BenchRun:
    completed = _number(path, data, "completed")
    ttft_field = next(
        (f for f in ("p95_ttft_ms", "p99_ttft_ms", "mean_ttft_ms") if f in data), "mean_ttft_ms"
    )
    return BenchRun(
        path=str(path),
        tool="vllm bench serve",
        model=_text(data, "model_id", "model"),
        input_tokens=_number(path, data, "total_input_tokens") / completed,
        output_tokens=_number(path, data, "total_output_tokens") / completed,
        requests_per_s=_number(path, data, "request_throughput"),
        tpot_ms=_number(path, data, "mean_tpot_ms"),
        ttft_ms=_number(path, data, ttft_field),
        concurrency=_optional_number(path, data, "max_concurrency"),
        accelerator=_text(data, "accelerator", "gpu"),
        tp=_tp(path, data),
    )


def _stat(path: Path, data: dict[str, Any], metric: str, stats: tuple[str, ...]) -> float:
    block = data.get(metric)
    if not isinstance(block, dict):
        raise _fail(path, metric, "missing (expected an object with avg and percentiles)", block)
    for stat in stats:
        if stat in block:
            return _number(path, block, stat)
    raise _fail(path, f"{metric}.{stats[0]}", "missing")


def _genai_perf_config(data: dict[str, Any]) -> tuple[str | None, float | None]:
    config = data.get("input_config")
    if not isinstance(config, dict):
        return None, None
    model = config.get("model")
    if isinstance(model, list):
        model = model[0] if model else None
    models = config.get("models")
    if model is None and isinstance(models, dict) and models.get("items"):
        model = models["items"][0].get("name")
    loadgen = config.get("loadgen") if isinstance(config.get("loadgen"), dict) else config
    concurrency = loadgen.get("concurrency")
    if isinstance(concurrency, int | float) and not isinstance(concurrency, bool):
        return (model if isinstance(model, str) else None), float(concurrency)
    return (model if isinstance(model, str) else None), None


def _genai_perf_json(path: Path, data: dict[str, Any]) -> BenchRun:
    model, concurrency = _genai_perf_config(data)
    return BenchRun(
        path=str(path),
        tool="genai-perf",
        model=model,
        input_tokens=_stat(path, data, "input_sequence_length", ("avg", "mean")),
        output_tokens=_stat(path, data, "output_sequence_length", ("avg", "mean")),
        requests_per_s=_stat(path, data, "request_throughput", ("avg", "value")),
        tpot_ms=_stat(path, data, "inter_token_latency", ("avg", "mean")),
        ttft_ms=_stat(path, data, "time_to_first_token", ("p95", "p99", "p90", "avg")),
        concurrency=concurrency,
    )


_CSV_ROWS = {
    "time to first token": "time_to_first_token",
    "inter token latency": "inter_token_latency",
    "input sequence length": "input_sequence_length",
    "output sequence length": "output_sequence_length",
    "request throughput": "request_throughput",
}


def _genai_perf_csv(path: Path, text: str) -> BenchRun:
    """The CSV export: rows 'Metric,avg,min,max,p99,...' then 'Metric,Value' rows."""
    data: dict[str, dict[str, Any]] = {}
    header: list[str] | None = None
    for cells in csv.reader(io.StringIO(text)):
        if not cells or not any(c.strip() for c in cells):
            header = None
            continue
        if cells[0].strip().lower() == "metric":
            header = [c.strip().lower() for c in cells]
            continue
        if header is None:
            continue
        label = cells[0].strip().lower()
        for prefix, metric in _CSV_ROWS.items():
            if label.startswith(prefix):
                row = dict(
                    zip(header[1:], (c.strip().replace(",", "") for c in cells[1:]), strict=False)
                )
                if "value" in row:
                    row["avg"] = row["value"]
                data[metric] = row
    if not data:
        raise _fail(path, "Metric", "no GenAI-Perf metric rows (Time To First Token, ...)")
    return _genai_perf_json(path, data)


def _llmperf(path: Path, data: dict[str, Any]) -> BenchRun:
    ttft_field = next(
        (
            f
            for f in (
                "results_ttft_s_quantiles_p95",
                "results_ttft_s_quantiles_p99",
                "results_ttft_s_mean",
            )
            if f in data
        ),
        "results_ttft_s_mean",
    )
    input_field = (
        "results_number_input_tokens_mean"
        if "results_number_input_tokens_mean" in data
        else "mean_input_tokens"
    )
    output_field = (
        "results_number_output_tokens_mean"
        if "results_number_output_tokens_mean" in data
        else "mean_output_tokens"
    )
    return BenchRun(
        path=str(path),
        tool="llmperf",
        model=_text(data, "model"),
        input_tokens=_number(path, data, input_field),
        output_tokens=_number(path, data, output_field),
        requests_per_s=_number(path, data, "results_num_completed_requests_per_min") / 60,
        tpot_ms=_number(path, data, "results_inter_token_latency_s_mean") * 1e3,
        ttft_ms=_number(path, data, ttft_field) * 1e3,
        concurrency=_optional_number(path, data, "num_concurrent_requests"),
    )


INDIVIDUAL_SUFFIX = "_individual_responses.json"
SUMMARY_SUFFIX = "_summary.json"


def summary_beside(path: Path) -> Path | None:
    """The LLMPerf summary written next to an individual_responses file, if it is named so."""
    if not path.name.endswith(INDIVIDUAL_SUFFIX):
        return None
    return path.with_name(path.name[: -len(INDIVIDUAL_SUFFIX)] + SUMMARY_SUFFIX)


def _percentile(values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation between order statistics (numpy's default)."""
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _summary_concurrency(summary: Path) -> tuple[float | None, str | None, float | None]:
    """num_concurrent_requests, model and completed requests/s of an LLMPerf summary; Nones
    if unreadable."""
    try:
        data = load_json(read_input(summary, "summary", limit=MAX_FILE_BYTES), str(summary))
    except InputError:
        return None, None, None
    if not isinstance(data, dict):
        return None, None, None
    per_min = _optional_number(summary, data, "results_num_completed_requests_per_min")
    return (_optional_number(summary, data, "num_concurrent_requests"), _text(data, "model"),
            None if not per_min else per_min / 60)  # fmt: skip


def _llmperf_individual(path: Path, data: list[Any], concurrency: float | None) -> BenchRun:
    ok: list[tuple[int, dict[str, Any]]] = []
    for i, record in enumerate(data):
        if not isinstance(record, dict):
            raise _fail(
                path,
                f"[{i}]",
                "expected an object per request (LLMPerf individual_responses)",
                record,
            )
        if record.get("error_code") not in (None, "", 0) or record.get("error_msg"):
            continue
        ok.append((i, record))
    if not ok:
        raise _fail(path, "error_code", "no request without an error; no latency to read")

    def values(field: str, scale: float = 1.0) -> list[float]:
        out = []
        for i, record in ok:
            if field not in record:
                raise _fail(path, f"[{i}].{field}", "missing")
            try:
                out.append(_number(path, record, field, positive=False) * scale)
            except InputError:
                raise _fail(path, f"[{i}].{field}", "expected a non-negative number",
                            record[field]) from None  # fmt: skip
        return out

    e2e = values("end_to_end_latency_s")
    ttft = values("ttft_s", 1e3)
    itl = values("inter_token_latency_s", 1e3)
    inputs = values("number_input_tokens")
    outputs = values("number_output_tokens")
    model = rate = None
    summary = summary_beside(path)
    if summary is not None and summary.is_file():
        found, model, rate = _summary_concurrency(summary)
        concurrency = concurrency or found
    if not concurrency and rate is None:
        raise _fail(
            path,
            "num_concurrent_requests",
            "unknown: the file records no times, so its rate needs the run's concurrent "
            f"requests; keep the run's {SUMMARY_SUFFIX} beside it or pass --concurrency",
        )
    mean_e2e = sum(e2e) / len(e2e)
    if mean_e2e <= 0:
        raise _fail(path, "end_to_end_latency_s", "expected a positive mean")
    return BenchRun(
        path=str(path),
        tool="llmperf individual responses",
        model=model,
        input_tokens=max(1.0, sum(inputs) / len(inputs)),
        output_tokens=max(1.0, sum(outputs) / len(outputs)),
        requests_per_s=rate if rate is not None else float(concurrency or 0) / mean_e2e,
        tpot_ms=sum(itl) / len(itl),
        ttft_ms=_percentile(ttft, 0.95),
        concurrency=concurrency,
    )


def read_bench_file(path: str | Path, *, concurrency: float | None = None) -> BenchRun:
    """The run recorded in one result file (format detected from its fields). `concurrency`:
    the concurrent requests of an LLMPerf individual_responses file with no summary beside it.
    """
    path = Path(path)
    text = read_input(path, "result file", limit=MAX_FILE_BYTES)
    if path.suffix.lower() == ".csv":
        return _genai_perf_csv(path, text)
    data = load_json(text, str(path))
    if isinstance(data, list):
        return _llmperf_individual(path, data, concurrency)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object")
    if "results_ttft_s_mean" in data or "results_inter_token_latency_s_mean" in data:
        return _llmperf(path, data)
    if isinstance(data.get("time_to_first_token"), dict):
        return _genai_perf_json(path, data)
    if "mean_ttft_ms" in data or "request_throughput" in data:
        return _vllm(path, data)
    raise InputError(
        f"{path}: not a result file of vllm bench serve, GenAI-Perf/AIPerf or LLMPerf "
        "(no mean_ttft_ms, time_to_first_token or results_ttft_s_mean field)"
    )


def _resolve(
    run: BenchRun,
    model: str | None,
    accelerator: str | None,
    tp: int | None,
    extra_models: tuple[LLM, ...],
) -> tuple[LLM, Accelerator, int]:
    name = model or run.model
    if not name:
        raise _fail(Path(run.path), "model", "missing; pass --model")
    found = find_llm(name, extra_models)
    if found is None:
        raise _fail(
            Path(run.path), "model", "unknown model; pass --model with a bundled name", name
        )
    chip_name = accelerator or run.accelerator
    if not chip_name:
        raise _fail(Path(run.path), "accelerator", "missing; pass --accelerator")
    chip = find_accelerator(chip_name)
    if chip is None:
        raise _fail(Path(run.path), "accelerator", "unknown accelerator", chip_name)
    degree = tp or run.tp
    if degree is None:
        raise _fail(Path(run.path), "tp", "missing; pass --tp")
    problem = tp_problem(found, degree, accelerator=chip)
    if problem:
        raise _fail(Path(run.path), "tp", problem, degree)
    return found, chip, degree


def profile_points(
    runs: Sequence[BenchRun],
    *,
    model: str | None = None,
    accelerator: str | None = None,
    tp: int | None = None,
    slo: SLO = NO_SLO,
    weights_dtype: Dtype = Dtype.bf16,
    kv_dtype: Dtype = Dtype.bf16,
    extra_models: Sequence[LLM] = (),
) -> tuple[list[ProfilePoint], list[str]]:
    """Profile points from runs, and notes on buckets no run could give.

    With an SLO, the runs of one configuration and request size (a sweep over request rates or
    concurrencies) become one point: the highest rate among the runs that met it. Without one,
    every run is a point at its own measured latencies (it sustained that rate within them).
    """
    groups: dict[tuple[object, ...], list[BenchRun]] = {}
    for run in runs:
        llm, chip, degree = _resolve(run, model, accelerator, tp, tuple(extra_models))
        bucket = (max(1, round(run.input_tokens)), max(1, round(run.output_tokens)))
        groups.setdefault((llm.name, chip.name, degree, bucket), []).append(run)
    points: list[ProfilePoint] = []
    notes: list[str] = []
    for (llm_name, chip_name, degree, bucket), members in groups.items():
        base = dict(
            model=llm_name,
            accelerator=chip_name,
            tp=degree,
            input_tokens=bucket[0],
            output_tokens=bucket[1],
            weights_dtype=weights_dtype,
            kv_dtype=kv_dtype,
        )
        if not slo.is_set:
            seen: set[tuple[float, float]] = set()
            for run in members:
                key = (round(run.tpot_ms, 3), round(run.ttft_ms, 3))
                if key in seen:
                    continue
                seen.add(key)
                points.append(
                    ProfilePoint(
                        **base,
                        max_rps=run.requests_per_s,
                        slo=SLO(tpot_ms=key[0], ttft_ms=key[1]),
                        where=f"{run.path} ({run.tool})",
                    )
                )
            continue
        meeting = [
            r
            for r in members
            if (slo.tpot_ms is None or r.tpot_ms <= slo.tpot_ms)
            and (slo.ttft_ms is None or r.ttft_ms <= slo.ttft_ms)
        ]
        if not meeting:
            best = min(members, key=lambda r: (r.tpot_ms, r.ttft_ms))
            notes.append(
                f"{llm_name} on {degree} x {chip_name}, {bucket[0]}/{bucket[1]} tokens: none of "
                f"{len(members)} run(s) met the SLO (lowest TPOT {best.tpot_ms:.1f} ms, TTFT "
                f"{best.ttft_ms:.1f} ms in {best.path})"
            )
            continue
        best = max(meeting, key=lambda r: r.requests_per_s)
        points.append(
            ProfilePoint(
                **base,
                max_rps=best.requests_per_s,
                slo=slo,
                where=f"{best.path} ({best.tool}, best of {len(members)})",
            )
        )
    return points, notes


def profiles_csv(points: Sequence[ProfilePoint]) -> str:
    """The points as a profiles CSV (`planner plan --profiles`), with a `source` column."""
    rows = (
        [
            p.model,
            p.accelerator,
            p.tp,
            p.input_tokens,
            p.output_tokens,
            f"{p.max_rps:.6g}",
            "" if p.slo.tpot_ms is None else f"{p.slo.tpot_ms:g}",
            "" if p.slo.ttft_ms is None else f"{p.slo.ttft_ms:g}",
            p.weights_dtype.value,
            p.kv_dtype.value,
            p.where,
        ]
        for p in points
    )
    return "# Imported by planner profiles import\n" + csv_text(
        [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, "source"], rows
    )
