"""What each serving engine does by default when it admits requests, per version: its cap on
running sequences, its per-step token budget, whether it chunks prefill, how much KV cache it
reserves for a request's output when it admits it, and whether prefix caching is on.

Checked on 2026-12-07 against each project's source at the tagged version (public facts; the
performance model in planner/perf/admission.py turns them into an admission limit):

- vLLM 0.8.5 (V1 engine, what deploy.image runs): vllm/engine/arg_utils.py,
  EngineArgs._set_default_args_v1 at tag v0.8.5 of https://github.com/vllm-project/vllm: for the
  OpenAI server max_num_seqs 256 and max_num_batched_tokens 8192 on H100/H200 (2048 on other
  GPUs); V1 always chunks prefill and turns prefix caching on. KV blocks are allocated on demand
  as a sequence grows, and a sequence is preempted (recomputed later) when none is left, so the
  running batch is bounded by the cache at its mean occupancy (prompt plus half the output).
- vLLM 0.4.3 (the engine of LLMPerf's published A10G runs): vllm/config.py SchedulerConfig at
  tag v0.4.3: max_num_seqs 256; no chunked prefill unless asked (each prompt prefilled in a
  step of its own, max_num_batched_tokens = max(max_model_len, 2048)); prefix caching off.
- SGLang 0.4.6.post1: python/sglang/srt/server_args.py at tag v0.4.6.post1 of
  https://github.com/sgl-project/sglang: max_running_requests unset (bounded by the token
  pool), chunked_prefill_size 8192 (2048 on GPUs under 25,000 MiB); the radix (prefix) cache is on.
  The scheduler admits a request when the pool holds its prompt plus new_token_ratio of the
  running requests' remaining output; the ratio starts at 0.7 and decays towards 0.1 while
  nothing is retracted: modelled as the mean occupancy, as for vLLM.
- TensorRT-LLM 1.0 (trtllm-serve, PyTorch backend): tensorrt_llm/commands/serve.py and
  tensorrt_llm/llmapi/llm_args.py at tag v1.0.0 of https://github.com/NVIDIA/TensorRT-LLM:
  max_batch_size 2048, max_num_tokens 8192; the default capacity scheduler policy
  GUARANTEED_NO_EVICT admits a request only when the KV cache can hold its prompt and its
  full output (max_tokens), so nothing is ever evicted; KV block reuse (prefix caching) on;
  chunked prefill off unless enabled. trtllm-bench (the performance-overview tables) ran with
  a runtime batch of 4096 and 8192 tokens (calibration.ENGINE_SETTINGS).
- NVIDIA NIM for LLMs (TensorRT-LLM inside) runs the same GUARANTEED_NO_EVICT scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass

CHECKED = "2026-12-07"


@dataclass(frozen=True)
class EngineDefaults:
    """One engine version's admission defaults."""

    engine: str
    version: str
    max_num_seqs: int | None
    """Most running sequences (vLLM max_num_seqs, SGLang max_running_requests, TensorRT-LLM
    max_batch_size); None: only the KV cache bounds them."""
    max_batched_tokens: int
    """Tokens one engine step takes (decode plus prefill chunks) on large GPUs."""
    max_batched_tokens_small: int
    """The same on the GPUs the engine gives a smaller default (see large_gpus)."""
    large_gpus: frozenset[str] | None
    """Accelerators that get max_batched_tokens, the others max_batched_tokens_small; None:
    the rule is by memory (small_below_gib)."""
    small_below_gib: float
    """With large_gpus None: accelerators with less memory get max_batched_tokens_small."""
    chunked_prefill: bool
    """Prefill is split into chunks that share steps with decoding."""
    output_reserved: float
    """Share of each request's output tokens its KV reservation counts when the engine admits
    it: 1.0 reserves the whole output (TensorRT-LLM), 0.5 is the mean occupancy of pages
    allocated on demand (vLLM, SGLang)."""
    prefix_caching: bool
    """Prefix caching is on unless turned off."""
    source: str


_VLLM_LARGE = frozenset({"H100", "H100-NVL", "H200"})

ENGINE_DEFAULTS: tuple[EngineDefaults, ...] = (
    EngineDefaults("vllm", "0.8.5", 256, 8192, 2048, _VLLM_LARGE, 0.0, True, 0.5, True,
                   "https://github.com/vllm-project/vllm/blob/v0.8.5/vllm/engine/arg_utils.py"),
    EngineDefaults("vllm", "0.4.3", 256, 8192, 8192, None, 0.0, False, 0.5, False,
                   "https://github.com/vllm-project/vllm/blob/v0.4.3/vllm/config.py"),
    EngineDefaults("sglang", "0.4.6.post1", None, 8192, 2048, None, 25000 / 1024, True, 0.5, True,
                   "https://github.com/sgl-project/sglang/blob/v0.4.6.post1/python/sglang/srt/"
                   "server_args.py"),
    EngineDefaults("trt-llm", "1.0", 2048, 8192, 8192, None, 0.0, False, 1.0, True,
                   "https://github.com/NVIDIA/TensorRT-LLM/blob/v1.0.0/tensorrt_llm/llmapi/"
                   "llm_args.py"),
)  # fmt: skip
"""Every engine version with known defaults; the first row of an engine is the version the
planner deploys (planner/facts/engines.py images)."""


def engine_defaults(engine: str, version: str = "") -> EngineDefaults:
    """The defaults of `engine` at `version` (the deployed version when empty or unknown)."""
    rows = [d for d in ENGINE_DEFAULTS if d.engine == engine]
    if not rows:
        known = ", ".join(sorted({d.engine for d in ENGINE_DEFAULTS}))
        raise ValueError(f"engine must be one of {known}, got {engine!r}")
    for row in rows:
        if version and version.removeprefix("v").startswith(row.version):
            return row
    return rows[0]


def batched_tokens(defaults: EngineDefaults, accelerator: str, memory_gib: float) -> int:
    """The engine's default per-step token budget on `accelerator` (its canonical name)."""
    if defaults.large_gpus is not None:
        large = accelerator in defaults.large_gpus
    else:
        large = memory_gib >= defaults.small_below_gib
    return defaults.max_batched_tokens if large else defaults.max_batched_tokens_small


__all__ = ["CHECKED", "ENGINE_DEFAULTS", "EngineDefaults", "batched_tokens", "engine_defaults"]
