"""Published measurements of serving engines (bundled, sourced): what the performance model is
fitted to and checked against."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from planner._csvdata import read_commented_csv

MEASUREMENTS_FILE = Path(__file__).parent / "data" / "engine_measurements.csv"
COMPARISONS_FILE = Path(__file__).parent / "data" / "engine_comparisons.csv"

FIGURES = ("max_throughput", "output_tok_s", "tpot_ms", "ttft_ms", "latency_s")


@dataclass(frozen=True)
class Measurement:
    """One published figure and the conditions it was measured under."""

    source: str
    engine: str
    engine_version: str
    accelerator: str
    weights_dtype: str
    kv_dtype: str
    tp: int
    model: str
    input_tokens: int
    output_tokens: int
    concurrency: int | None
    """Requests in flight; None for a run fed at an infinite request rate."""
    figure: str
    value: float
    max_num_seqs: int | None = None
    """The engine's cap on running requests where the source set one (None: its default)."""

    @property
    def config(self) -> tuple[object, ...]:
        """Everything but the figure: the rows of one benchmark run share it."""
        return (self.source, self.engine, self.accelerator, self.weights_dtype, self.tp,
                self.model, self.input_tokens, self.output_tokens, self.concurrency)  # fmt: skip


@dataclass(frozen=True)
class EngineComparison:
    """Two engines measured like for like (same model, GPU, precision and request stream)."""

    source: str
    model: str
    accelerator: str
    tp: int
    workload: str
    engine: str
    reference_engine: str
    value: float
    reference_value: float

    @property
    def ratio(self) -> float:
        """How much faster `engine` was than `reference_engine`."""
        return self.value / self.reference_value


@cache
def engine_measurements() -> tuple[Measurement, ...]:
    """Every bundled measurement, in file order."""
    return tuple(
        Measurement(
            source=row["source"],
            engine=row["engine"],
            engine_version=row["engine_version"],
            accelerator=row["accelerator"],
            weights_dtype=row["weights_dtype"],
            kv_dtype=row["kv_dtype"],
            tp=int(row["tp"]),
            model=row["model"],
            input_tokens=int(row["input_tokens"]),
            output_tokens=int(row["output_tokens"]),
            concurrency=int(row["concurrency"]) if row["concurrency"] else None,
            figure=row["figure"],
            value=float(row["value"]),
            max_num_seqs=int(row["max_num_seqs"]) if row.get("max_num_seqs") else None,
        )
        for row in read_commented_csv(MEASUREMENTS_FILE)
    )


@cache
def engine_comparisons() -> tuple[EngineComparison, ...]:
    """Every bundled like-for-like engine comparison, in file order."""
    return tuple(
        EngineComparison(
            source=row["source"],
            model=row["model"],
            accelerator=row["accelerator"],
            tp=int(row["tp"]),
            workload=row["workload"],
            engine=row["engine"],
            reference_engine=row["reference_engine"],
            value=float(row["value"]),
            reference_value=float(row["reference_value"]),
        )
        for row in read_commented_csv(COMPARISONS_FILE)
    )
