"""Serving engines and their throughput factors relative to vLLM, from published like-for-like
comparisons (planner/facts/data/engine_comparisons.csv)."""

from __future__ import annotations

import math
from functools import cache

from planner.facts.measurements import engine_comparisons
from planner.perf.settings import ENGINES

REFERENCE_ENGINE = "vllm"


@cache
def engine_factor(engine: str) -> float:
    """How much faster `engine` runs than vLLM: the geometric mean of the published like-for-like
    ratios, 1.0 for vLLM and for an engine without a published comparison."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    ratios = [
        c.ratio
        for c in engine_comparisons()
        if c.engine == engine and c.reference_engine == REFERENCE_ENGINE
    ]
    if engine == REFERENCE_ENGINE or not ratios:
        return 1.0
    return math.exp(sum(math.log(r) for r in ratios) / len(ratios))
