"""The Python API's entry points that are not use cases of `planner.app`: the load estimate of
one replica. `planner.plan` and the other use cases live in `planner.app` (re-exported by
`planner`), so a script and the CLI make the same plan the same way."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from planner.app.planning import plan

if TYPE_CHECKING:
    from planner.perf.load import LoadEstimate

__all__ = ["estimate_load", "plan"]


def estimate_load(
    model: str,
    accelerator: str,
    input_tokens: int,
    output_tokens: int,
    *,
    concurrency: float | None = None,
    rate: float | None = None,
    tp: int = 1,
    engine: str = "vllm",
    weights_dtype: str = "bf16",
    kv_dtype: str = "bf16",
    max_num_seqs: int | None = None,
    max_num_batched_tokens: int | None = None,
    prefix_hit_rate: float = 0.0,
    prefix_caching: bool | None = None,
    fit: str | Path | None = None,
) -> LoadEstimate:
    """TTFT and TPOT (mean, p50, p90, p99), throughput and whether requests queue for one
    replica of `model` on `tp` x `accelerator`, with `concurrency` requests kept in flight or
    `rate` requests/s arriving (exactly one of them). Engine settings left at None are the
    engine's defaults; `fit` is a fit file written by `planner calibrate`. Raises
    planner.InputError for bad input."""
    from planner.errors import InputError
    from planner.facts import find_accelerator, find_llm
    from planner.perf import DEFAULT_SETTINGS
    from planner.perf.efficiency import load_fit
    from planner.perf.load import at_concurrency_load, at_rate_load

    if (concurrency is None) == (rate is None):
        raise InputError("give exactly one of concurrency (requests in flight) and rate (req/s)")
    llm, chip = find_llm(model), find_accelerator(accelerator)
    if llm is None or chip is None:
        raise InputError(f"unknown {'model' if llm is None else 'accelerator'}: "
                         f"{model if llm is None else accelerator!r}")  # fmt: skip
    try:
        settings = replace(
            DEFAULT_SETTINGS.for_engine(engine),
            max_num_seqs=max_num_seqs,
            max_batched_tokens=max_num_batched_tokens,
            prefix_hit_rate=prefix_hit_rate,
            prefix_caching=prefix_caching,
            fit=load_fit(fit) if fit is not None else None,
        )
        args = (llm, chip, tp, input_tokens, output_tokens)
        if concurrency is not None:
            return at_concurrency_load(*args, concurrency, settings, weights_dtype, kv_dtype)
        return at_rate_load(*args, float(rate or 0), settings, weights_dtype, kv_dtype)
    except ValueError as err:
        raise InputError(str(err)) from None
