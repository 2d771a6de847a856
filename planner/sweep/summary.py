"""Summing up a sweep: cost spread (min, median, p95, max) and failures grouped by reason."""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Sequence

from planner.sweep.outcome import CostStats, ScenarioOutcome, Summary

_NUMBER = re.compile(r"(?<![\w.-])\d[\d,]*(?:\.\d+)?(?![\w-])")


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (a value that occurs; deterministic)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def reason_key(outcome: ScenarioOutcome) -> str:
    """A short label that groups alike failures: the conflicting constraints, numbers as N."""
    if outcome.status == "violated":
        broken = sorted({v.split(":", 1)[0] for v in outcome.violations})
        return "breaks " + ", ".join(broken)
    text = outcome.reason or outcome.status
    bullets = [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("- ")]
    key = "; ".join(bullets) if bullets else text.splitlines()[0]
    return _NUMBER.sub("N", key)


def short_reason(outcome: ScenarioOutcome) -> str:
    """One line on what went wrong (empty when nothing did)."""
    if outcome.status == "violated":
        first = outcome.violations[0] if outcome.violations else ""
        more = len(outcome.violations) - 1
        return first + (f" (+{more} more)" if more > 0 else "")
    if outcome.status in ("infeasible", "error"):
        text = outcome.reason or outcome.status
        bullets = [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("- ")]
        return "; ".join(bullets) if bullets else text.splitlines()[0]
    return ""


def summarise(results: Sequence[ScenarioOutcome]) -> Summary:
    """Counts, the objective's spread over scenarios that have one, and failures by reason."""
    costs = [r.objective_value for r in results if r.solved and r.objective_value is not None]
    stats = None
    if costs:
        stats = CostStats(
            min=min(costs),
            median=round(statistics.median(costs), 6),
            p95=percentile(costs, 95),
            max=max(costs),
        )
    failed = [r for r in results if r.status in ("infeasible", "violated")]
    counts = Counter(reason_key(r) for r in failed)
    return Summary(
        scenarios=len(results),
        solved=sum(r.solved for r in results),
        infeasible=sum(r.status == "infeasible" for r in results),
        violated=sum(r.status == "violated" for r in results),
        errors=sum(r.status == "error" for r in results),
        cost=stats,
        by_reason=dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
    )
