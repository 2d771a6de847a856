"""How a serving engine admits requests: the limits that bound its running batch, from the
engine's defaults at its version (planner/facts/engine_defaults.py) and what the settings
change, and the KV cache one admitted request holds.

The running batch of a replica stops growing at the smallest of
- the engine's cap on running sequences (max_num_seqs / max_running_requests / max_batch_size);
- the per-step token budget (max_num_batched_tokens): with chunked prefill every step carries
  the batch's decode tokens and, in steady state, input/output prompt tokens per sequence;
  without it a step decodes at most the budget;
- the KV cache, at what each admitted request reserves: its prompt (less what the prefix
  cache already holds) plus `output_reserved` of its output. TensorRT-LLM's default
  GUARANTEED_NO_EVICT policy reserves the whole output up front; vLLM and SGLang allocate
  pages as sequences grow (and preempt when they run out), which holds the mean occupancy,
  half the output.
Requests beyond that limit wait for a slot (planner.perf.load works out the wait).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from planner.facts.accelerators import Accelerator
from planner.facts.engine_defaults import batched_tokens, engine_defaults
from planner.perf.settings import PerfSettings


@dataclass(frozen=True)
class Admission:
    """The admission rules one replica runs with (engine defaults, overridden by settings)."""

    engine: str
    version: str
    max_num_seqs: int | None
    """Most running sequences; None: only the KV cache bounds them."""
    max_batched_tokens: int
    """Most tokens one engine step takes."""
    chunked_prefill: bool
    output_reserved: float
    """Share of a request's output its KV reservation counts at admission."""
    prefix_caching: bool
    prefix_hit_rate: float
    """Share of prompt tokens whose KV the prefix cache already holds (0 with caching off)."""
    shared_prefix_tokens: int = 0
    """Prompt tokens every request shares, held by the prefix cache (0 with caching off)."""

    def hit(self, input_tokens: float) -> float:
        """Share of a prompt of `input_tokens` the prefix cache holds (at least one token of
        every prompt is new)."""
        shared = min(self.shared_prefix_tokens, max(0.0, input_tokens - 1)) / input_tokens
        return max(self.prefix_hit_rate, shared)

    def kv_tokens_held(self, input_tokens: float, output_tokens: float, block: int) -> float:
        """KV-cache tokens one admitted request holds: its uncached prompt, the reserved share
        of its output and half a block of slack. Cached prefix blocks are shared between the
        requests that hit them, so they are not counted per request."""
        prompt = input_tokens * (1 - self.hit(input_tokens))
        return prompt + output_tokens * self.output_reserved + block / 2

    def token_budget_batch(self, input_tokens: float, output_tokens: float) -> float:
        """The largest mean batch the per-step token budget allows."""
        if not self.chunked_prefill:
            return float(self.max_batched_tokens)
        prompt = input_tokens * (1 - self.hit(input_tokens))
        return max(1.0, self.max_batched_tokens / (1 + prompt / output_tokens))


@lru_cache(maxsize=4096)
def admission(accelerator: Accelerator, settings: PerfSettings) -> Admission:
    """The admission rules of `settings.engine` (at settings.engine_version, or the deployed
    version) on `accelerator`, with every value the settings give overriding the default."""
    defaults = engine_defaults(settings.engine, settings.engine_version)
    caching = (
        defaults.prefix_caching if settings.prefix_caching is None else settings.prefix_caching
    )
    budget = settings.max_batched_tokens
    if budget is None:
        budget = batched_tokens(defaults, accelerator.name, accelerator.memory_gb)
    return Admission(
        engine=defaults.engine,
        version=defaults.version,
        max_num_seqs=defaults.max_num_seqs if settings.max_num_seqs is None
        else settings.max_num_seqs,
        max_batched_tokens=budget,
        chunked_prefill=defaults.chunked_prefill if settings.chunked_prefill is None
        else settings.chunked_prefill,
        output_reserved=defaults.output_reserved if settings.kv_reservation is None
        else settings.kv_reservation,
        prefix_caching=caching,
        prefix_hit_rate=settings.prefix_hit_rate if caching else 0.0,
        shared_prefix_tokens=settings.shared_prefix_tokens if caching else 0,
    )  # fmt: skip
