"""Refit the model's efficiencies to a few of the user's own benchmark runs (`planner
calibrate`): per accelerator family, or per accelerator type.

Each run is predicted at the requests it kept in flight (Little's law from its own rate and
latencies, as planner.perf.calibration does for the published sweeps), or at the engine's
saturation when it has no latencies. The search moves the shares of peak FLOP/s and bandwidth
and the step overhead from the bundled fit (the start, and a weak prior that keeps a handful
of points from pulling parameters the points cannot pin down); the fixed costs of all-reduce
and the link utilisation stay as fitted. The error reported is the RMS of ln(predicted /
measured) over throughput and TPOT, before and after.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from planner.facts.accelerators import Accelerator
from planner.facts.llms import LLM
from planner.markup import comment
from planner.perf.calibration import _BOUNDS, nelder_mead
from planner.perf.capacity import at_concurrency, roofline_capacity
from planner.perf.efficiency import FIT_COLUMNS, PARAMETERS, Efficiency, efficiency
from planner.perf.settings import DEFAULT_SETTINGS, PerfSettings
from planner.perf.slo import NO_SLO

FREE = ("mfu", "mbu", "kv_mbu", "step_overhead_ms")
"""What a few runs at a concurrency pin down: compute, weight and KV-read shares, step cost."""
PRIOR_WEIGHT = 0.02
"""Weight of the squared (logit) distance from the bundled fit in the loss."""


@dataclass(frozen=True)
class RunPoint:
    """One measured run of one replica."""

    source: str
    model: LLM
    accelerator: Accelerator
    tp: int
    input_tokens: int
    output_tokens: int
    weights_dtype: str
    kv_dtype: str
    tokens_per_s: float
    """Output tokens/s the replica delivered."""
    tpot_ms: float | None = None
    ttft_ms: float | None = None
    in_flight: float | None = None
    """Requests in flight on average; None: the engine's saturation (an infinite rate)."""


def predicted(point: RunPoint, settings: PerfSettings) -> dict[str, float] | None:
    """The model's throughput and TPOT for `point` (None: does not fit)."""
    args = (point.model, point.accelerator, point.tp, point.input_tokens, point.output_tokens)
    dtypes = (point.weights_dtype, point.kv_dtype)
    if point.in_flight is None:
        cap = roofline_capacity(*args, NO_SLO, settings, *dtypes)
        return (
            {"tokens_per_s": cap.tokens_per_s, "tpot_ms": cap.tpot_ms or 0.0} if cap.fits else None
        )
    load = at_concurrency(*args, point.in_flight, settings, *dtypes)
    if load is None:
        return None
    return {"tokens_per_s": load.tokens_per_s, "tpot_ms": load.tpot_ms}


def log_errors(points: Sequence[RunPoint], settings: PerfSettings) -> list[float]:
    """ln(predicted / measured) of every throughput and TPOT figure (a large error where the
    model says the run does not fit)."""
    out = []
    for p in points:
        figures = predicted(p, settings)
        measured = {"tokens_per_s": p.tokens_per_s, "tpot_ms": p.tpot_ms}
        for name, value in measured.items():
            if value is None or (name == "tpot_ms" and p.in_flight is None):
                continue
            guess = (figures or {}).get(name) or 0.0
            out.append(math.log(guess / value) if guess > 0 else 5.0)
    return out


def rms(errors: Sequence[float]) -> float:
    return math.sqrt(sum(e * e for e in errors) / len(errors)) if errors else 0.0


def _logit(name: str, value: float) -> float:
    low, high = _BOUNDS[name]
    share = min(max((value - low) / (high - low), 1e-6), 1 - 1e-6)
    return math.log(share / (1 - share))


def _value(name: str, x: float) -> float:
    low, high = _BOUNDS[name]
    return low + (high - low) / (1 + math.exp(-x))


@dataclass(frozen=True)
class FitRow:
    """One fitted row and how well it predicts the runs it came from."""

    scope: str
    name: str
    efficiency: Efficiency
    points: int
    rms_before: float
    rms_after: float


def refit(points: Sequence[RunPoint], by: str = "family",
          settings: PerfSettings = DEFAULT_SETTINGS) -> list[FitRow]:  # fmt: skip
    """One row per accelerator family (by="family") or accelerator type (by="accelerator")
    of `points`, each fitted to its own runs from the efficiencies `settings` give."""
    if by not in ("family", "accelerator"):
        raise ValueError(f"by must be family or accelerator, got {by!r}")
    groups: dict[str, list[RunPoint]] = defaultdict(list)
    for p in points:
        groups[p.accelerator.family if by == "family" else p.accelerator.name].append(p)
    rows = []
    for name in sorted(groups):
        group = groups[name]
        base = efficiency(group[0].accelerator, settings)
        start = [_logit(n, getattr(base, n)) for n in FREE]

        def with_x(x: Sequence[float], base: Efficiency = base) -> Efficiency:
            return replace(base, **{n: _value(n, v) for n, v in zip(FREE, x, strict=True)})

        def loss(x: Sequence[float], group: list[RunPoint] = group,
                 start: list[float] = start) -> float:  # fmt: skip
            eff = with_x(x)
            tuned = replace(settings, **{n: getattr(eff, n) for n in PARAMETERS})
            errors = log_errors(group, tuned)
            prior = sum((a - b) ** 2 for a, b in zip(x, start, strict=True))
            return sum(e * e for e in errors) / max(1, len(errors)) + PRIOR_WEIGHT * prior

        best = with_x(nelder_mead(loss, start, step=0.5, iterations=200))
        tuned = replace(settings, **{n: getattr(best, n) for n in PARAMETERS})
        rows.append(FitRow(by, name, best, len(group), rms(log_errors(group, settings)),
                           rms(log_errors(group, tuned))))  # fmt: skip
    return rows


def render_fit(rows: Sequence[FitRow], sources: Sequence[str], date: str) -> str:
    """The fit file (`planner calibrate -o`): comment lines, then one row per scope."""
    lines = [
        "# Efficiencies of the planner's performance model refitted to measured runs",
        f"# by `planner calibrate` on {date}, from: {comment(', '.join(sources))}",
        '# Use with --fit FILE (or `fit = "FILE"` in planner.toml). rms_log_error_before/after:',
        "# RMS of ln(predicted/measured) over these runs' throughput and TPOT.",
        ",".join((*FIT_COLUMNS, "points", "rms_log_error_before", "rms_log_error_after")),
    ]
    for r in rows:
        values = ",".join(f"{getattr(r.efficiency, n):.4g}" for n in PARAMETERS)
        lines.append(f"{r.scope},{r.name},{values},{r.points},{r.rms_before:.4f},"
                     f"{r.rms_after:.4f}")  # fmt: skip
    return "\n".join(lines) + "\n"
