"""Load measured profiles from CSV; every problem is reported with its file, line and column."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from planner._readfile import csv_line, read_input
from planner.bounds import MAX_LATENCY_MS, MAX_RATE, MAX_TOKENS, MAX_TP, check_range
from planner.errors import InputError, listing
from planner.facts.accelerators import accelerators, find_accelerator
from planner.facts.llms import LLM, find_llm, llms
from planner.perf.dtypes import Dtype, as_dtype, as_kv_dtype
from planner.perf.parallel import tp_problem
from planner.perf.profiles import ProfilePoint, Profiles
from planner.perf.slo import SLO

REQUIRED_COLUMNS = (
    "model",
    "accelerator",
    "tp",
    "input_tokens",
    "output_tokens",
    "max_rps",
    "tpot_ms",
    "ttft_ms",
)
OPTIONAL_COLUMNS = ("weights_dtype", "kv_dtype")


class _Row:
    """One data line of the file, turning bad cells into InputErrors that say where."""

    def __init__(self, path: Path, line: int, cells: dict[str, str]) -> None:
        self.path, self.line, self.cells = path, line, cells

    def fail(self, column: str, problem: str) -> InputError:
        value = self.cells.get(column, "")
        return InputError(
            f"{self.path}: line {self.line}, column '{column}': {problem} (got {value!r})"
        )

    def text(self, column: str) -> str:
        return self.cells.get(column, "").strip()

    def positive_int(self, column: str, most: int) -> int:
        what = f"expected a whole number from 1 to {most:,}"
        text = self.text(column)
        try:
            value = int(text) if len(text) <= 20 else 0
        except ValueError:
            raise self.fail(column, what) from None
        if not 1 <= value <= most:
            raise self.fail(column, what)
        return value

    def rate(self, column: str) -> float:
        what = f"expected a number from 0 to {MAX_RATE:g}"
        value = self._float(column, what)
        if check_range(value, 0, MAX_RATE):
            raise self.fail(column, what)
        return value

    def latency(self, column: str) -> float | None:
        if not self.text(column):
            return None
        what = f"expected a number above 0 and at most {MAX_LATENCY_MS:g}, or an empty cell"
        value = self._float(column, what)
        if check_range(value, 0, MAX_LATENCY_MS, low_open=True):
            raise self.fail(column, what)
        return value

    def _float(self, column: str, what: str) -> float:
        try:
            value = float(self.text(column))
        except ValueError:
            raise self.fail(column, what) from None
        if not math.isfinite(value):
            raise self.fail(column, what)
        return value


def _names(items: Iterable[object]) -> str:
    return listing([getattr(item, "name", str(item)) for item in items], limit=40)


def _point(row: _Row, extra_models: tuple[LLM, ...]) -> ProfilePoint:
    model = find_llm(row.text("model"), extra_models)
    if model is None:
        raise row.fail("model", f"unknown model; known: {_names((*extra_models, *llms()))}")
    accelerator = find_accelerator(row.text("accelerator"))
    if accelerator is None:
        raise row.fail("accelerator", f"unknown accelerator; known: {_names(accelerators())}")
    tp = row.positive_int("tp", MAX_TP)
    problem = tp_problem(model, tp, accelerator=accelerator)
    if problem:
        raise row.fail("tp", problem)
    dtypes: dict[str, Dtype] = {}
    for column, parse in (("weights_dtype", as_dtype), ("kv_dtype", as_kv_dtype)):
        try:
            dtypes[column] = parse(row.text(column) or Dtype.bf16)
        except ValueError as err:
            raise row.fail(column, str(err)) from None
    return ProfilePoint(
        model=model.name,
        accelerator=accelerator.name,
        tp=tp,
        input_tokens=row.positive_int("input_tokens", MAX_TOKENS),
        output_tokens=row.positive_int("output_tokens", MAX_TOKENS),
        max_rps=row.rate("max_rps"),
        slo=SLO(tpot_ms=row.latency("tpot_ms"), ttft_ms=row.latency("ttft_ms")),
        weights_dtype=dtypes["weights_dtype"],
        kv_dtype=dtypes["kv_dtype"],
        where=f"{row.path}:{row.line}",
    )


def load_profiles(path: str | Path, extra_models: Iterable[LLM] = ()) -> Profiles:
    """Read a profiles CSV ('#' comment and blank lines allowed anywhere).

    Model and accelerator names are resolved like everywhere else (aliases, any case); models
    in `extra_models` (e.g. from a spec) are known too. Raises InputError on any bad cell.
    """
    path = Path(path)
    text = read_input(path, "profiles file")
    extra = tuple(extra_models)
    header: list[str] | None = None
    header_line = 0
    points: list[ProfilePoint] = []
    seen: dict[tuple[object, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = csv_line(line, str(path), number)
        if header is None:
            header, header_line = [c.strip() for c in cells], number
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise InputError(
                    f"{path}: line {number}: missing column(s) {', '.join(missing)}; "
                    f"required: {', '.join(REQUIRED_COLUMNS)}; "
                    f"optional: {', '.join(OPTIONAL_COLUMNS)}"
                )
            continue
        if len(cells) != len(header):
            raise InputError(
                f"{path}: line {number}: {len(cells)} cells but the header on line "
                f"{header_line} has {len(header)}"
            )
        point = _point(_Row(path, number, dict(zip(header, cells, strict=True))), extra)
        key = (point.model, point.accelerator, point.tp, point.weights_dtype, point.kv_dtype)
        key += (point.bucket, point.slo)
        if key in seen:
            raise InputError(
                f"{path}: line {number}: repeats the measurement on line {seen[key]} "
                "(same model, accelerator, tp, dtypes, bucket and SLO)"
            )
        seen[key] = number
        points.append(point)
    if header is None:
        raise InputError(f"{path}: no header line; required: {', '.join(REQUIRED_COLUMNS)}")
    return Profiles(tuple(points))
