"""The sane range of every kind of number the planner reads, in one place.

Every number in an input file (spec, jobs, scenarios, quotas, catalog, profiles, trace) is
finite, of the right type (a boolean is never a number, a whole number is written as one) and
inside the range below: a value outside it is a typo or a hostile file, never a real workload,
and letting it through would crash or mislead the solver. docs/spec.md's 'Limits' section lists
them. Pydantic fields use the annotated types; the CSV readers call `check_range`.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field

MAX_RATE = 1e6
"""Requests per second of one workload."""
MAX_TOKENS = 10_000_000
"""Tokens of one request (prompt or output)."""
MAX_TOTAL_TOKENS = 1e16
"""Tokens of a whole batch or training job."""
MAX_REQUESTS = 10**12
"""Requests of one batch job."""
MAX_REPLICAS = 100_000
"""Replicas, instances, nodes or devices of one kind."""
MAX_ACCELERATORS = 10_000_000
"""Accelerators in one quota or pool."""
MAX_HOURS = 87_600.0
"""Ten years: the longest deadline or job."""
MAX_GPU_HOURS = 1e9
"""Accelerator-hours of one job."""
MAX_DOLLARS_PER_HOUR = 1e8
"""A budget or commitment per hour."""
MAX_PRICE_PER_HOUR = 10_000.0
"""The price of one instance-hour (the largest cloud instances cost about $100)."""
MAX_LATENCY_MS = 3_600_000.0
"""One hour, the longest latency target or round trip."""
MAX_PRIORITY = 1_000_000
"""Priorities run from -MAX_PRIORITY to MAX_PRIORITY."""
MAX_MODEL_DIMENSION = 10_000_000
"""Layers, heads, hidden size or vocabulary of a model."""
MAX_PARAMS_B = 100_000.0
"""Parameters of a model, billions."""
MAX_CONTEXT = 100_000_000
"""A model's context window, tokens."""
MAX_MEMORY_GB = 1_000_000.0
"""Memory of one accelerator, instance or device (GB)."""
MAX_THROUGHPUT = 1e9
"""A bandwidth (GB/s), TFLOPS or vCPU count."""
MAX_TP = 1024
"""Tensor-parallel degree or accelerators of one instance."""
MAX_MULTIPLIER = 1_000.0
"""A scenario's multiplier (traffic, price, quota)."""
MAX_SECONDS = 10 * 365 * 24 * 3600.0
"""A trace's arrival times, seconds from its start."""
MAX_SOLVE_S = 7 * 86_400.0
"""A week: the longest time limit of a solve or a schedule."""
MAX_CONCURRENCY = 10_000_000
"""Requests in flight on one replica (an estimate's load)."""
MAX_SIMULATED_REQUESTS = 5_000_000
"""Requests one simulation holds in memory (about 100 bytes each: 5 million is about 0.5 GB)."""
BASE_SLICES = 1_000_000
SLICES_PER_ITEM = 10
"""Round robin may cut the work into at most BASE_SLICES + SLICES_PER_ITEM x (requests or jobs)
time slices: each slice is an event to simulate, so a tiny quantum would make the work
unbounded (a 1e-9 s quantum cuts one second of service into a billion events)."""


def _float(low: float, high: float, *, low_open: bool = False, **extra) -> object:
    bound = {"gt": low} if low_open else {"ge": low}
    return Field(strict=True, allow_inf_nan=False, le=high, **bound, **extra)


def _int(low: int, high: int) -> object:
    return Field(strict=True, ge=low, le=high)


# Floats (an int is accepted; a boolean, a string, nan and inf are not).
Rate = Annotated[float, _float(0, MAX_RATE, low_open=True)]
Fraction = Annotated[float, _float(0, 1, low_open=True)]
Share = Annotated[float, _float(0, 1)]
Hours = Annotated[float, _float(0, MAX_HOURS, low_open=True)]
HoursFromStart = Annotated[float, _float(0, MAX_HOURS)]
GpuHours = Annotated[float, _float(0, MAX_GPU_HOURS, low_open=True)]
TotalTokens = Annotated[float, _float(0, MAX_TOTAL_TOKENS, low_open=True)]
DollarsPerHour = Annotated[float, _float(0, MAX_DOLLARS_PER_HOUR)]
Budget = Annotated[float, _float(0, MAX_DOLLARS_PER_HOUR, low_open=True)]
UnitPrice = Annotated[float, _float(0, MAX_PRICE_PER_HOUR)]
Millis = Annotated[float, _float(0, MAX_LATENCY_MS, low_open=True)]
RoundTripMs = Annotated[float, _float(0, MAX_LATENCY_MS)]
ParamsB = Annotated[float, _float(0, MAX_PARAMS_B, low_open=True)]
MemoryGB = Annotated[float, _float(0, MAX_MEMORY_GB, low_open=True)]
Throughput = Annotated[float, _float(0, MAX_THROUGHPUT, low_open=True)]
Multiplier = Annotated[float, _float(0, MAX_MULTIPLIER)]

# Whole numbers (a float such as 2.0, a boolean and a string are not).
Tokens = Annotated[int, _int(1, MAX_TOKENS)]
Requests = Annotated[int, _int(1, MAX_REQUESTS)]
Replicas = Annotated[int, _int(0, MAX_REPLICAS)]
AtLeastOneReplica = Annotated[int, _int(1, MAX_REPLICAS)]
AcceleratorCount = Annotated[int, _int(0, MAX_ACCELERATORS)]
GangSize = Annotated[int, _int(1, MAX_TP)]
Priority = Annotated[int, _int(-MAX_PRIORITY, MAX_PRIORITY)]
ModelDimension = Annotated[int, _int(1, MAX_MODEL_DIMENSION)]
Vocabulary = Annotated[int, _int(0, MAX_MODEL_DIMENSION)]
ContextTokens = Annotated[int, _int(0, MAX_CONTEXT)]
Regions = Annotated[int, _int(1, 1_000)]


def check_range(value: float, low: float, high: float, *, low_open: bool = False) -> str | None:
    """Why `value` is not a finite number in [low, high] (or (low, high]), or None."""
    if not math.isfinite(value):
        return "must be a finite number"
    if value < low or (low_open and value == low):
        return f"must be {'above' if low_open else 'at least'} {low:g}"
    if value > high:
        return f"must be at most {high:g}"
    return None


def check_slices(work: float, quantum: float, items: int, option: str, unit: str) -> None:
    """InputError when round robin with `quantum` would cut `work` (the sum of the items' run
    times, in `unit`) into more slices than BASE_SLICES + SLICES_PER_ITEM x `items`; the
    message names `option` and the smallest quantum that is accepted."""
    from planner.errors import InputError

    most = BASE_SLICES + SLICES_PER_ITEM * items
    if not (math.isfinite(quantum) and quantum > 0):
        raise InputError(f"{option} {quantum!r}: must be a positive number of {unit}")
    slices = work / quantum
    if slices > most:
        least = work / most
        raise InputError(
            f"{option} {quantum:g} {unit}: round robin would cut {work:,.6g} {unit} of work into "
            f"about {slices:,.3g} time slices, more than the {most:,} simulated for {items:,} "
            f"item(s); give {option} of at least {least:.3g} {unit}"
        )
