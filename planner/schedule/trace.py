"""Read a request trace CSV: arrival_s, input_tokens, output_tokens[, workload][, priority].

Lines starting with `#` and blank lines are skipped; extra columns are allowed. A bad file is
an InputError (exit 2) naming the file, line and column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planner.errors import InputError

REQUIRED = ("arrival_s", "input_tokens", "output_tokens")


@dataclass(frozen=True)
class Trace:
    """Requests in arrival order. `workload` is empty strings when the file has no such column."""

    source: str
    arrival_s: np.ndarray
    input_tokens: np.ndarray
    output_tokens: np.ndarray
    workload: tuple[str, ...]
    priority: np.ndarray


def read_trace(path: str | Path) -> Trace:
    """Load and check a trace file; requests are sorted by arrival (stable)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"Cannot read trace {path}: {err.strerror or err}") from None
    return parse_trace(text, str(path))


def parse_trace(text: str, source: str = "<trace>") -> Trace:
    """Parse trace text (see the module docstring)."""
    numbered = [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise InputError(f"{source}: the trace is empty; expected a header {','.join(REQUIRED)}")
    rows = csv.reader(line for _, line in numbered)
    header = [h.strip() for h in next(rows)]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"{source}:{numbered[0][0]}: missing column(s) {', '.join(missing)}; the header "
            f"needs {', '.join(REQUIRED)} (optional: workload, priority)"
        )
    at = {
        name: header.index(name) for name in (*REQUIRED, "workload", "priority") if name in header
    }
    arrival, inputs, outputs, workloads, priorities = [], [], [], [], []
    for (line_no, _), row in zip(numbered[1:], rows, strict=False):

        def cell(name: str, row=row, line_no=line_no) -> str:
            if at[name] >= len(row):
                raise InputError(f"{source}:{line_no}: column {name} is missing on this line")
            return row[at[name]].strip()

        arrival.append(_number(cell("arrival_s"), source, line_no, "arrival_s", float, 0))
        inputs.append(_number(cell("input_tokens"), source, line_no, "input_tokens", int, 1))
        outputs.append(_number(cell("output_tokens"), source, line_no, "output_tokens", int, 1))
        workloads.append(cell("workload") if "workload" in at else "")
        priorities.append(
            _number(cell("priority"), source, line_no, "priority", int, None)
            if "priority" in at
            else 0
        )
    if not arrival:
        raise InputError(f"{source}: the trace has a header but no requests")
    order = np.argsort(np.array(arrival), kind="stable")
    return Trace(
        source=source,
        arrival_s=np.array(arrival, dtype=float)[order],
        input_tokens=np.array(inputs, dtype=np.int64)[order],
        output_tokens=np.array(outputs, dtype=np.int64)[order],
        workload=tuple(workloads[i] for i in order),
        priority=np.array(priorities, dtype=np.int64)[order],
    )


def _number(text: str, source: str, line: int, column: str, kind: type, least: float | None):
    try:
        value = kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise InputError(f"{source}:{line}: {column}: expected {what}, got {text!r}") from None
    if least is not None and not value >= least:
        raise InputError(f"{source}:{line}: {column}: must be at least {least}, got {text!r}")
    if kind is float and not np.isfinite(value):
        raise InputError(f"{source}:{line}: {column}: must be finite, got {text!r}")
    return value
