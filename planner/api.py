"""The one-call Python API: plan a spec on a catalog and get the Plan back (solved, with its
hourly replica schedule), printing nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from planner.catalog import Catalog, load_catalog
from planner.perf import load_profiles
from planner.plans import Plan
from planner.solve import SolveOptions, solve
from planner.spec import Spec, load_spec

if TYPE_CHECKING:
    from planner.perf.load import LoadEstimate


def plan(
    spec: Spec | str | Path,
    catalog: Catalog | Sequence[str | Path] | None = None,
    *,
    profiles: str | Path | None = None,
    time_limit_s: float = 60.0,
    relative_gap: float = 1e-4,
) -> Plan:
    """The best placement of `spec` (a Spec or a spec file) on `catalog` (a Catalog, catalog
    files, or None for the bundled one). Raises planner.InputError for bad input (exit 2 in
    the CLI) and planner.InfeasibleError, naming the conflicting constraints, when no plan
    exists (exit 3)."""
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    if not isinstance(catalog, Catalog):
        catalog = load_catalog(list(catalog) if catalog else None)
    measured = load_profiles(profiles, spec.user_llms()) if profiles else None
    from planner.schedule.hourly import with_schedule

    options = SolveOptions(time_limit_s=time_limit_s, relative_gap=relative_gap)
    solved = solve(spec, catalog, profiles=measured, options=options)
    return with_schedule(solved, spec, profiles=measured)


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
