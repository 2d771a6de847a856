"""The PromQL this planner asks Prometheus: vLLM and DCGM metrics grouped by a workload label.

Counters go through rate() (which handles counter resets) before they are summed, so replicas
that restart never show as negative or lost traffic.
"""

from __future__ import annotations

import re

REQUESTS = "vllm:request_success_total"
PROMPT_TOKENS = "vllm:prompt_tokens_total"
GENERATION_TOKENS = "vllm:generation_tokens_total"
TTFT = "vllm:time_to_first_token_seconds"
TPOT = "vllm:time_per_output_token_seconds"
RUNNING = "vllm:num_requests_running"
WAITING = "vllm:num_requests_waiting"
KV_CACHE = "vllm:gpu_cache_usage_perc"
GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL"
FB_USED = "DCGM_FI_DEV_FB_USED"

DEFAULT_LABEL = "planner_workload"
"""`planner emit` labels pods `planner-workload: <name>`; Prometheus's Kubernetes discovery
(labelmap of __meta_kubernetes_pod_label_*) turns that into `planner_workload`."""

_UNSAFE = re.compile(r"[^a-zA-Z0-9_]")


def prometheus_label(name: str) -> str:
    """A label name as Prometheus stores it: other characters become '_' ('planner-workload')."""
    cleaned = _UNSAFE.sub("_", name.strip())
    return f"_{cleaned}" if cleaned[:1].isdigit() else cleaned


def request_rate(label: str, range_: str) -> str:
    """Requests/s per workload over each `range_`."""
    return f"sum by ({label}) (rate({REQUESTS}[{range_}]))"


def per_request(label: str, counter: str, range_: str) -> str:
    """`counter`'s increase per successful request (mean tokens per request)."""
    return f"{_summed_rate(label, counter, range_)} / {request_rate(label, range_)}"


def quantile(label: str, histogram: str, q: float, range_: str) -> str:
    """The q-quantile of a histogram over `range_`, in the histogram's unit (seconds)."""
    return f"histogram_quantile({q:g}, sum by ({label}, le) (rate({histogram}_bucket[{range_}])))"


def histogram_mean(label: str, histogram: str, range_: str) -> str:
    """The mean of a histogram's observations over `range_`."""
    total = _summed_rate(label, f"{histogram}_sum", range_)
    return f"{total} / {_summed_rate(label, f'{histogram}_count', range_)}"


def gauge_mean(label: str, gauge: str, range_: str) -> str:
    """A gauge's mean over `range_`, averaged over the workload's series (per replica/GPU)."""
    return f"avg by ({label}) (avg_over_time({gauge}[{range_}]))"


def replica_count(label: str) -> str:
    """vLLM servers up per workload (one num_requests_running series each)."""
    return f"count by ({label}) ({RUNNING})"


def _summed_rate(label: str, counter: str, range_: str) -> str:
    return f"sum by ({label}) (rate({counter}[{range_}]))"
