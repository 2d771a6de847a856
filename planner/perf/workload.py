"""The performance settings of one workload: the engine it runs, the engine settings its spec
sets and its traffic's prefix-cache hits, over the settings of the run (efficiencies, a fit)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from planner.perf.settings import PerfSettings


def workload_settings(settings: PerfSettings, workload: Any) -> PerfSettings:
    """`settings` for `workload` (a spec workload): its engine, its engine_settings and, for
    serving, its traffic's prefix_hit_rate / shared_prefix_tokens."""
    out = settings.for_engine(getattr(workload, "engine", settings.engine))
    changes: dict[str, Any] = {}
    given = getattr(workload, "engine_settings", None)
    if given is not None:
        names = {
            "max_num_seqs": "max_num_seqs",
            "max_num_batched_tokens": "max_batched_tokens",
            "kv_cache_dtype": "kv_cache_dtype",
            "prefix_caching": "prefix_caching",
        }
        changes.update({names[k]: v for k, v in given.given().items()})
    traffic = getattr(workload, "traffic", None)
    if traffic is not None:
        if traffic.prefix_hit_rate is not None:
            changes["prefix_hit_rate"] = traffic.prefix_hit_rate
        if traffic.shared_prefix_tokens is not None:
            changes["shared_prefix_tokens"] = traffic.shared_prefix_tokens
    return replace(out, **changes) if changes else out


def assumptions(workload: Any) -> list[str]:
    """What the plan assumes of `workload` beyond the engine's defaults, in words."""
    out = []
    traffic = getattr(workload, "traffic", None)
    given = getattr(workload, "engine_settings", None)
    caching_off = given is not None and given.prefix_caching is False
    if traffic is not None and not caching_off:
        if traffic.prefix_hit_rate:
            out.append(f"prefix cache: {traffic.prefix_hit_rate:.0%} of prompt tokens assumed "
                       "cached (traffic.prefix_hit_rate); prefill and TTFT sized on the "
                       "rest")  # fmt: skip
        if traffic.shared_prefix_tokens:
            out.append(f"prefix cache: the {traffic.shared_prefix_tokens} shared prompt tokens "
                       "assumed cached (traffic.shared_prefix_tokens); prefill and TTFT sized on "
                       "the rest")  # fmt: skip
    if given is not None and given.given():
        shown = ", ".join(f"{k}={v}" for k, v in sorted(given.given().items()))
        out.append(f"engine settings: {shown} (sized with them; the emitted server flags "
                   "carry them)")  # fmt: skip
    return out
