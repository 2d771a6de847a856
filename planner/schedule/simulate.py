"""Request-level discrete-event simulation of a plan's serving replicas.

Requests arrive (Poisson at each workload's peak rate, seeded, or from a trace). Each goes to an
allocation with the plan's share for its size bucket, then to one of that allocation's replicas
at random (independent queues, as the planner's queueing model assumes). A replica is a queue
with `slots` parallel slots (its mean batch) under the chosen discipline, and a request holds a
slot for its duration from the performance model. TTFT is the wait for a slot plus the
replica's unqueued TTFT; end-to-end latency is arrival to last token.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.bounds import MAX_SIMULATED_REQUESTS, check_slices
from planner.errors import InputError, listing
from planner.plans import Plan
from planner.schedule.queue_sim import serve
from planner.schedule.replicas import ServingModel, serving_models
from planner.schedule.report import (
    ClassLatency,
    LatencyFigures,
    SimulationReport,
    WorkloadSimulation,
)
from planner.schedule.trace import Trace
from planner.spec.models import Spec


@dataclass(frozen=True)
class Requests:
    """One workload's requests in arrival order (seconds from the start of the simulation)."""

    arrival_s: np.ndarray
    input_tokens: np.ndarray
    output_tokens: np.ndarray
    bucket: np.ndarray
    """Index of the request-size bucket each request falls in."""
    priority: np.ndarray
    """Higher is served first under the priority disciplines."""


def poisson_requests(
    model: ServingModel,
    buckets: list[tuple[int, int]],
    count: int,
    rng: np.random.Generator,
    high_priority_share: float = 0.0,
) -> Requests:
    """`count` Poisson arrivals at the workload's peak rate with sizes drawn from its histogram;
    a random `high_priority_share` of them is priority 1, the rest 0."""
    arrival = np.cumsum(rng.exponential(1.0 / model.requests_per_second, count))
    fractions = np.array(model.fractions) / sum(model.fractions)
    bucket = rng.choice(len(buckets), size=count, p=fractions)
    sizes = np.array(buckets, dtype=np.int64).reshape(-1, 2)
    priority = (rng.random(count) < high_priority_share).astype(np.int64)
    return Requests(arrival, sizes[bucket, 0], sizes[bucket, 1], bucket, priority)


def assign_buckets(
    input_tokens: np.ndarray, output_tokens: np.ndarray, buckets: list[tuple[int, int]]
) -> np.ndarray:
    """Index of the smallest bucket that covers each request in both input and output tokens;
    the largest bucket for requests bigger than every bucket."""
    order = sorted(range(len(buckets)), key=lambda b: (sum(buckets[b]), buckets[b]))
    chosen = np.full(input_tokens.shape, order[-1], dtype=np.int64)
    open_ = np.ones(input_tokens.shape, dtype=bool)
    for b in order:
        covers = open_ & (input_tokens <= buckets[b][0]) & (output_tokens <= buckets[b][1])
        chosen[covers] = b
        open_ &= ~covers
    return chosen


def trace_requests(
    trace: Trace, workload: str, buckets: list[tuple[int, int]], only_workload: bool
) -> Requests:
    """The trace's requests for `workload` (all of them when the trace names no workloads)."""
    if only_workload:
        mask = np.ones(trace.arrival_s.shape, dtype=bool)
    else:
        mask = np.array([w == workload for w in trace.workload], dtype=bool)
    inputs, outputs = trace.input_tokens[mask], trace.output_tokens[mask]
    return Requests(
        trace.arrival_s[mask],
        inputs,
        outputs,
        assign_buckets(inputs, outputs, buckets),
        trace.priority[mask],
    )


def simulate_workload(
    model: ServingModel,
    requests: Requests,
    policy: str = "fcfs",
    quantum_s: float = 2.0,
    rng: np.random.Generator | None = None,
) -> WorkloadSimulation:
    """Route, queue and serve one workload's requests on its replica groups."""
    rng = rng if rng is not None else np.random.default_rng(0)
    n = requests.arrival_s.size
    groups = model.groups
    if n == 0 or not groups:
        return WorkloadSimulation(workload=model.workload, requests=0)
    group = _choose_groups(model, requests.bucket, rng)
    replicas = np.array([g.replicas for g in groups])
    replica = np.minimum((rng.random(n) * replicas[group]).astype(np.int64), replicas[group] - 1)
    service, ttft_offset = _service_times(model, requests, group)
    start, finish = _run_queues(model, requests, group, replica, service, policy, quantum_s)
    arrival = requests.arrival_s
    network = np.array([g.network_s for g in groups])[group]
    ttft = start - arrival + ttft_offset + network
    e2e = finish - arrival + network
    queued = finish - arrival - service
    wait = np.where(queued > 1e-9, queued, 0.0)  # no float noise as waits
    horizon = float(arrival.max())
    capacity = sum(g.replicas * g.slots for g in groups) * horizon
    # weighted like the simulated figure, by each group's slots (a TP-8 replica with a large
    # batch holds more of the workload's capacity than a small one)
    planned = sum((g.planned_utilisation or 0.0) * g.replicas * g.slots for g in groups) / max(
        1, sum(g.replicas * g.slots for g in groups)
    )
    figures = _figures(ttft, e2e, wait, model.ttft_slo_ms)
    by_class = []
    classes = np.unique(requests.priority)
    for c in classes[::-1] if classes.size > 1 else ():
        mine = requests.priority == c
        found = _figures(ttft[mine], e2e[mine], wait[mine], model.ttft_slo_ms)
        by_class.append(ClassLatency(priority=int(c), **found.model_dump()))
    attained = figures.slo_attainment
    return WorkloadSimulation(
        workload=model.workload,
        **figures.model_dump(),
        utilisation=float(service.sum() / capacity) if capacity > 0 else 0.0,
        planned_utilisation=planned,
        ttft_slo_ms=model.ttft_slo_ms,
        meets_slo=None if attained is None else attained >= 0.95,
        classes=by_class,
    )


def _choose_groups(model: ServingModel, bucket: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An allocation for each request, with the plan's share of its bucket."""
    group = np.zeros(bucket.size, dtype=np.int64)
    for b in range(len(model.fractions)):
        where = np.flatnonzero(bucket == b)
        if where.size == 0:
            continue
        shares = np.array([g.buckets[b].routed_rps for g in model.groups])
        if shares.sum() <= 0:  # the plan routes none of this size: any replica that can serve it
            shares = np.array([1.0 if g.buckets[b].max_rps > 0 else 0.0 for g in model.groups])
        if shares.sum() <= 0:
            raise ValueError(f"no replica of '{model.workload}' can serve bucket {b}")
        group[where] = rng.choice(len(model.groups), size=where.size, p=shares / shares.sum())
    return group


def _service_times(
    model: ServingModel, requests: Requests, group: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Slot time and unqueued TTFT per request: its bucket's figures on its replica, with the
    prefill scaled by its own input tokens and the decode by its own output tokens."""
    figures = np.array(
        [
            [
                (s.duration_s, s.prefill_s, s.ttft_s, s.input_tokens, s.output_tokens)
                for s in g.buckets
            ]
            for g in model.groups
        ]
    )
    duration, prefill, ttft, size_in, size_out = np.moveaxis(figures[group, requests.bucket], -1, 0)
    own_prefill = prefill * requests.input_tokens / size_in
    decode = np.maximum(duration - prefill, 0.0) * requests.output_tokens / size_out
    return own_prefill + decode, own_prefill + np.maximum(ttft - prefill, 0.0)


def _run_queues(
    model: ServingModel,
    requests: Requests,
    group: np.ndarray,
    replica: np.ndarray,
    service: np.ndarray,
    policy: str,
    quantum_s: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Serve every replica's queue; returns first-start and finish times per request."""
    if policy == "rr":
        check_slices(float(service.sum()), quantum_s, len(service), "--quantum-s", "s")
    first = np.cumsum([0] + [g.replicas for g in model.groups])[:-1]
    queue = first[group] + replica
    order = np.lexsort((requests.arrival_s, queue))
    cuts = np.flatnonzero(np.diff(queue[order])) + 1
    start = np.empty_like(service)
    finish = np.empty_like(service)
    for chunk in np.split(order, cuts):
        slots = model.groups[group[chunk[0]]].slots
        result = serve(
            requests.arrival_s[chunk],
            service[chunk],
            slots,
            policy,
            requests.priority[chunk],
            quantum_s,
        )
        start[chunk] = result.start
        finish[chunk] = result.finish
    return start, finish


def _figures(
    ttft: np.ndarray, e2e: np.ndarray, wait: np.ndarray, slo_ms: float | None
) -> LatencyFigures:
    t50, t95, t99 = np.percentile(ttft, [50, 95, 99]) * 1000
    e50, e95, e99 = np.percentile(e2e, [50, 95, 99]) * 1000
    return LatencyFigures(
        requests=int(ttft.size),
        ttft_p50_ms=float(t50),
        ttft_p95_ms=float(t95),
        ttft_p99_ms=float(t99),
        e2e_p50_ms=float(e50),
        e2e_p95_ms=float(e95),
        e2e_p99_ms=float(e99),
        wait_mean_ms=float(wait.mean() * 1000),
        wait_p95_ms=float(np.percentile(wait, 95) * 1000),
        slo_attainment=None if slo_ms is None else float(np.mean(ttft * 1000 <= slo_ms)),
    )


def simulate(
    plan: Plan,
    spec: Spec,
    requests: int | None = 100_000,
    policy: str = "fcfs",
    seed: int = 0,
    trace: Trace | None = None,
    quantum_s: float = 2.0,
    high_priority_share: float = 0.0,
    models: tuple[ServingModel, ...] | None = None,
) -> SimulationReport:
    """Simulate every serving workload of `plan`. Poisson: `requests` in all, split by the
    workloads' peak rates. Trace: its requests (the first `requests` when given)."""
    if requests is not None and not 1 <= requests <= MAX_SIMULATED_REQUESTS:
        raise InputError(
            f"--requests {requests:,}: simulate between 1 and {MAX_SIMULATED_REQUESTS:,} "
            "requests (each is held in memory; percentiles settle long before that)"
        )
    models = models if models is not None else serving_models(plan, spec)
    by_name = {w.name: w for w in spec.workloads}
    rng = np.random.default_rng(seed)
    total_rate = sum(m.requests_per_second for m in models)
    names = {m.workload for m in models}
    if trace is not None:
        trace = _checked_trace(trace, names, requests)
    results = []
    for model in models:
        sizes = [
            (b.input_tokens, b.output_tokens)
            for b in by_name[model.workload].traffic.request_buckets()  # type: ignore[union-attr]
        ]
        if trace is None:
            count = round((requests or 0) * model.requests_per_second / total_rate)
            batch = poisson_requests(model, sizes, count, rng, high_priority_share)
        else:
            batch = trace_requests(trace, model.workload, sizes, not any(trace.workload))
        results.append(simulate_workload(model, batch, policy, quantum_s, rng))
    return SimulationReport(
        policy=policy,
        seed=seed,
        source="poisson" if trace is None else trace.source,
        requests=sum(r.requests for r in results),
        workloads=results,
    )


def _checked_trace(trace: Trace, names: set[str], limit: int | None) -> Trace:
    """The trace cut to `limit` requests, after checking its workload column against the plan."""
    if limit is not None:
        trace = Trace(
            trace.source,
            trace.arrival_s[:limit],
            trace.input_tokens[:limit],
            trace.output_tokens[:limit],
            trace.workload[:limit],
            trace.priority[:limit],
        )
    named = set(trace.workload) - {""}
    if named and "" in trace.workload:
        raise InputError(f"{trace.source}: some requests have no workload; name one on every line")
    if not named and len(names) > 1:
        raise InputError(
            f"{trace.source}: the plan serves {len(names)} workloads ({listing(sorted(names))}); "
            "add a `workload` column saying which one each request is for"
        )
    unknown = named - names
    if unknown:
        raise InputError(
            f"{trace.source}: workload(s) {listing(sorted(unknown))} are not serving workloads "
            f"of the plan; known: {listing(sorted(names))}"
        )
    return trace
