"""Observing a plan's serving workloads through Prometheus: vLLM and DCGM series per workload.

Request rates come from a range query (one mean per step: mean, p95 and the hourly profile);
sizes, latencies and gauges from instant queries over the whole window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from planner.errors import InputError
from planner.facts import find_accelerator
from planner.observe import promql as q
from planner.observe.model import NO_DATA, Observation, WorkloadObservation
from planner.observe.prom_http import PrometheusClient, Series
from planner.observe.stats import hourly_profile, mean, percentile
from planner.observe.window import aligned_window, promql_range
from planner.plans.model import Plan

MIB_PER_GIB = 1024.0
MAX_POINTS = 11_000
"""Prometheus's limit on points per series in one range query."""

_INSTANT: dict[str, tuple[Callable[[str, str], str], float]] = {
    "input_tokens": (lambda label, r: q.per_request(label, q.PROMPT_TOKENS, r), 1.0),
    "output_tokens": (lambda label, r: q.per_request(label, q.GENERATION_TOKENS, r), 1.0),
    "ttft_p95_ms": (lambda label, r: q.quantile(label, q.TTFT, 0.95, r), 1000.0),
    "ttft_mean_ms": (lambda label, r: q.histogram_mean(label, q.TTFT, r), 1000.0),
    "tpot_p95_ms": (lambda label, r: q.quantile(label, q.TPOT, 0.95, r), 1000.0),
    "tpot_mean_ms": (lambda label, r: q.histogram_mean(label, q.TPOT, r), 1000.0),
    "requests_running": (lambda label, r: q.gauge_mean(label, q.RUNNING, r), 1.0),
    "requests_waiting": (lambda label, r: q.gauge_mean(label, q.WAITING, r), 1.0),
    "kv_cache_usage": (lambda label, r: q.gauge_mean(label, q.KV_CACHE, r), 1.0),
    "gpu_utilisation": (lambda label, r: q.gauge_mean(label, q.GPU_UTIL, r), 0.01),
    "gpu_memory_used_gib": (lambda label, r: q.gauge_mean(label, q.FB_USED, r), 1 / MIB_PER_GIB),
}
"""Observation field -> (PromQL over the window, factor to the field's unit)."""


def by_label(series: list[Series], label: str) -> dict[str, Series]:
    """Series keyed by their value of `label` ('' where they lack it)."""
    return {s.labels.get(label, ""): s for s in series}


def _last(found: dict[str, Series], name: str) -> float | None:
    series = found.get(name)
    return series.points[-1].value if series and series.points else None


def _memory_fraction(plan: Plan, workload: str, used_gib: float | None) -> float | None:
    """Used memory per GPU over the accelerator's memory, when the workload runs on one type."""
    types = {a.accelerator for a in plan.allocations_of(workload)}
    accelerator = find_accelerator(types.pop()) if len(types) == 1 else None
    if used_gib is None or accelerator is None:
        return None
    return used_gib / accelerator.memory_gb


def _label_notes(rates: dict[str, Series], names: list[str], label: str) -> list[str]:
    if not rates:
        return [f"no {q.REQUESTS} series in the window at all"]
    notes = []
    if "" in rates:
        notes.append(
            f"some {q.REQUESTS} series lack the label '{label}' (ignored); "
            "pick the label that names workloads with --label"
        )
    others = sorted(k for k in rates if k and k not in names)
    if others:
        notes.append(f"series for workloads not in the plan (ignored): {', '.join(others)}")
    return notes


def _workload(
    plan: Plan,
    name: str,
    rates: dict[str, Series],
    replicas: dict[str, Series],
    instant: dict[str, dict[str, Series]],
    step_s: float,
    label: str,
) -> WorkloadObservation:
    points = rates[name].points if name in rates else ()
    values = [p.value for p in points]
    figures = {
        field: (None if (v := _last(found, name)) is None else v * _INSTANT[field][1])
        for field, found in instant.items()
    }
    figures["gpu_memory_utilisation"] = _memory_fraction(plan, name, figures["gpu_memory_used_gib"])
    counts = [p.value for p in replicas[name].points] if name in replicas else []
    return WorkloadObservation(
        workload=name,
        status="ok" if points else NO_DATA,
        note="" if points else f'no {q.REQUESTS} series with {label}="{name}"',
        rps_mean=mean(values),
        rps_p95=percentile(values, 0.95),
        rps_steps=points,
        hourly_profile=hourly_profile(points, step_s),
        replicas=mean(counts),
        **figures,
    )


@dataclass(frozen=True)
class PrometheusSource:
    """A Prometheus server as a metrics source; `label` names the workload in its series."""

    client: PrometheusClient
    label: str = q.DEFAULT_LABEL

    def observe(self, plan: Plan, window_s: float, step_s: float, now: float) -> Observation:
        return observe_prometheus(plan, self.client, window_s, step_s, now, self.label)


def observe_prometheus(
    plan: Plan,
    client: PrometheusClient,
    window_s: float,
    step_s: float,
    now: float,
    label: str = q.DEFAULT_LABEL,
) -> Observation:
    """What Prometheus recorded for each serving workload of `plan` over the window."""
    if window_s / step_s > MAX_POINTS:
        raise InputError(
            f"--window / --step gives {window_s / step_s:,.0f} steps; Prometheus answers at most "
            f"{MAX_POINTS:,} (use a longer --step)"
        )
    label = q.prometheus_label(label)
    names = [w.name for w in plan.workloads if w.kind == "serving"]
    start, end = aligned_window(now, window_s, step_s)
    step, whole = promql_range(step_s), promql_range(window_s)
    rates = by_label(client.range(q.request_rate(label, step), start + step_s, end, step_s), label)
    replicas = by_label(client.range(q.replica_count(label), start + step_s, end, step_s), label)
    instant = {
        field: by_label(client.instant(make(label, whole), end), label)
        for field, (make, _) in _INSTANT.items()
    }
    return Observation(
        source="prometheus",
        url=client.where.removeprefix("prometheus at "),
        plan_id=plan.plan_id,
        label=label,
        start=start,
        end=end,
        step_s=step_s,
        workloads=tuple(_workload(plan, n, rates, replicas, instant, step_s, label) for n in names),
        notes=tuple(_label_notes(rates, names, label)),
    )
