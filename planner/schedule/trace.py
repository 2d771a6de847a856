"""Read a request trace CSV: arrival_s, input_tokens, output_tokens[, workload][, priority].

Lines starting with `#` and blank lines are skipped; extra columns are allowed. A bad file is
an InputError (exit 2) naming the file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planner._readfile import csv_line, read_input
from planner.bounds import (
    MAX_PRIORITY,
    MAX_SECONDS,
    MAX_SIMULATED_REQUESTS,
    MAX_TOKENS,
    check_range,
)
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
    return parse_trace(read_input(path, "trace"), str(path))


def parse_trace(text: str, source: str = "<trace>") -> Trace:
    """Parse trace text (see the module docstring)."""
    numbered = [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise InputError(f"{source}: the trace is empty; expected a header {','.join(REQUIRED)}")
    rows = (csv_line(line, source, n) for n, line in numbered)
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
    if len(numbered) - 1 > MAX_SIMULATED_REQUESTS:
        raise InputError(
            f"{source}: {len(numbered) - 1:,} requests, more than the {MAX_SIMULATED_REQUESTS:,} "
            "a simulation holds; cut the trace to a window"
        )
    for (line_no, _), row in zip(numbered[1:], rows, strict=False):

        def cell(name: str, row=row, line_no=line_no) -> str:
            if at[name] >= len(row):
                raise InputError(f"{source}:{line_no}: column {name} is missing on this line")
            return row[at[name]].strip()

        where = (source, line_no)
        arrival.append(_number(cell("arrival_s"), *where, "arrival_s", float, 0, MAX_SECONDS))
        inputs.append(_number(cell("input_tokens"), *where, "input_tokens", int, 1, MAX_TOKENS))
        outputs.append(_number(cell("output_tokens"), *where, "output_tokens", int, 1, MAX_TOKENS))
        workloads.append(cell("workload") if "workload" in at else "")
        priorities.append(
            _number(cell("priority"), *where, "priority", int, -MAX_PRIORITY, MAX_PRIORITY)
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


def _number(text: str, source: str, line: int, column: str, kind: type, least: float, most: float):
    """A cell as `kind`, finite and in [least, most] (see README, 'Limits')."""
    try:
        value = kind(text) if len(text) <= 40 else kind("not a number")
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise InputError(f"{source}:{line}: {column}: expected {what}, got {text[:40]!r}") from None
    why = check_range(value, least, most)
    if why:
        raise InputError(f"{source}:{line}: {column}: {why}, got {text!r}")
    return value
