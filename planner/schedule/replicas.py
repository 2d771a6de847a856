"""What each planned replica does with each request size: the input of the simulator and of
the hourly autoscaling schedule.

A plan says which instances serve a workload and how much traffic each allocation gets; the
spec gives the request sizes and SLO; the performance model gives, per (allocation, bucket),
the replica's operating batch, how long a request holds its slot, its TTFT before queueing and
the rate the planner allowed (its sustainable rate times the same queueing utilisation cap the
solver applies).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.catalog.network import network_gbps
from planner.errors import InputError
from planner.facts import Accelerator, find_accelerator, find_llm
from planner.perf import (
    DEFAULT_SETTINGS,
    SLO,
    PerfSettings,
    Profiles,
    prefill_seconds,
    replica_capacity,
)
from planner.perf.multinode import pipeline_accelerator, replica_view
from planner.perf.owned import edge_device
from planner.perf.sizing import queueing_cap
from planner.perf.workload import workload_settings
from planner.plans import Allocation, Plan
from planner.spec.models import ServingWorkload, Spec


def _routed_by_bucket(a: Allocation, buckets) -> list[float]:
    """The plan's routed rate of each bucket on `a`; plans written before the field existed
    get their routed rate split in the workload's mix."""
    if a.routed_by_bucket:
        mine = {(b.input_tokens, b.output_tokens): b.rps for b in a.routed_by_bucket}
        return [mine.get((b.input_tokens, b.output_tokens), 0.0) for b in buckets]
    total = a.routed_rps or 0.0
    return [total * b.fraction for b in buckets]


@dataclass(frozen=True)
class BucketService:
    """One request size on one replica of an allocation."""

    input_tokens: int
    output_tokens: int
    max_rps: float
    """Requests/s one replica sustains for this size within the SLO (0: cannot serve it)."""
    planned_rps: float
    """max_rps times the queueing utilisation cap: what the planner lets one replica carry."""
    batch: float
    """Mean concurrent requests at the operating point."""
    duration_s: float
    """How long a request holds its slot: batch / max_rps = prefill + output x TPOT."""
    prefill_s: float
    ttft_s: float
    """Time to first token once the request has a slot (prefill + one decode step)."""
    routed_rps: float
    """The share of this bucket's traffic the plan sends to the allocation (from the plan)."""


@dataclass(frozen=True)
class ReplicaGroup:
    """The replicas of one allocation: identical queues, each with `slots` parallel slots."""

    index: int
    """Position of the allocation in plan.allocations."""
    label: str
    count: int
    replicas_per_instance: int
    price_per_hour: float
    """Dollars per hour per unit of count, as the plan charges it: an instance, or for a shared
    allocation one replica's share of the group (owned capacity at its marginal price)."""
    routed_rps: float
    planned_utilisation: float | None
    slots: int
    buckets: tuple[BucketService, ...]
    network_s: float = 0.0
    """Round trip to an edge device: added to TTFT and end-to-end latency."""

    @property
    def replicas(self) -> int:
        return self.count * self.replicas_per_instance

    @property
    def planned_rps_per_replica(self) -> float:
        """The rate one replica may carry at this allocation's bucket mix (0 if it gets none)."""
        if self.routed_rps <= 0:
            return 0.0
        time_per_request = sum(
            b.routed_rps / self.routed_rps / b.planned_rps for b in self.buckets if b.routed_rps > 0
        )
        return 1.0 / time_per_request if time_per_request > 0 else 0.0


@dataclass(frozen=True)
class ServingModel:
    """A serving workload of the plan: its traffic, SLO and replica groups."""

    workload: str
    requests_per_second: float
    fractions: tuple[float, ...]
    """Share of requests in each bucket (the spec's histogram)."""
    ttft_slo_ms: float | None
    tpot_slo_ms: float | None
    min_replicas: int
    spread: bool
    """The workload must keep several regions (min_regions > 1 or survive_region_loss)."""
    survive_region_loss: bool
    hourly_profile: tuple[float, ...] | None
    groups: tuple[ReplicaGroup, ...]


def serving_models(
    plan: Plan,
    spec: Spec,
    settings: PerfSettings = DEFAULT_SETTINGS,
    profiles: Profiles | None = None,
) -> tuple[ServingModel, ...]:
    """One ServingModel per serving workload of the plan, in plan order."""
    by_name = {w.name: w for w in spec.workloads}
    out = []
    for result in plan.workloads:
        if result.kind != "serving":
            continue
        workload = by_name.get(result.name)
        if not isinstance(workload, ServingWorkload):
            raise InputError(
                f"the plan's serving workload '{result.name}' is not a serving workload of the "
                "spec given: pass the spec the plan was made from"
            )
        allocations = [(i, plan.allocations[i]) for i in plan.workload_indices.get(result.name, ())]
        out.append(_serving_model(spec, workload, allocations, settings, profiles))
    return tuple(out)


def _serving_model(
    spec: Spec,
    workload: ServingWorkload,
    allocations: list[tuple[int, Allocation]],
    settings: PerfSettings,
    profiles: Profiles | None,
) -> ServingModel:
    buckets = workload.traffic.request_buckets()
    per_allocation = [
        _bucket_figures(spec, workload, a, settings, profiles) for _, a in allocations
    ]
    routing = [_routed_by_bucket(a, buckets) for _, a in allocations]
    groups = []
    for (index, a), figures, routed in zip(allocations, per_allocation, routing, strict=True):
        services = tuple(
            BucketService(
                input_tokens=b.input_tokens,
                output_tokens=b.output_tokens,
                max_rps=max_rps,
                planned_rps=max_rps * cap,
                batch=batch,
                duration_s=batch / max_rps if max_rps > 0 else math.inf,
                prefill_s=prefill,
                ttft_s=ttft,
                routed_rps=r,
            )
            for b, (max_rps, cap, batch, prefill, ttft), r in zip(
                buckets, figures, routed, strict=True
            )
        )
        groups.append(
            ReplicaGroup(
                index=index,
                label=f"{a.instance_type} {a.provider}/{a.region} {a.pricing}",
                count=replicas_of(a),
                replicas_per_instance=a.replicas_per_instance,
                price_per_hour=(
                    a.cost_per_hour / replicas_of(a) if replicas_of(a) else a.price_per_hour
                ),
                routed_rps=sum(routed),
                planned_utilisation=a.utilisation,
                slots=_slots(services),
                buckets=services,
                network_s=_deployment(spec, workload, a).network_s,
            )
        )
    placement = workload.placement
    return ServingModel(
        workload=workload.name,
        requests_per_second=workload.traffic.requests_per_second,
        fractions=tuple(b.fraction for b in buckets),
        ttft_slo_ms=workload.slo.ttft_p95_ms,
        tpot_slo_ms=workload.slo.tpot_ms,
        min_replicas=workload.min_replicas,
        spread=placement.min_regions > 1 or placement.survive_region_loss,
        survive_region_loss=placement.survive_region_loss,
        hourly_profile=workload.traffic.hourly_profile,
        groups=tuple(groups),
    )


@dataclass(frozen=True)
class _Deployment:
    """What the solver sized an allocation's replicas with."""

    accelerator: Accelerator
    weights_dtype: str
    slo: SLO
    network_s: float
    """Round trip to an edge device, spent before the first token (0 elsewhere)."""


def replicas_of(a: Allocation) -> int:
    """Units of the allocation's count as the schedule sees them: instances, or replicas where
    one replica spans several instances (nodes_per_replica)."""
    return a.count // (a.nodes_per_replica or 1)


def _deployment(spec: Spec, workload: ServingWorkload, allocation: Allocation) -> _Deployment:
    """The accelerator, weights format and SLO of an allocation: edge devices run the pool's
    quantisation and must answer within the TTFT SLO less the round trip, as in the solver."""
    slo = SLO(tpot_ms=workload.slo.tpot_ms, ttft_ms=workload.slo.ttft_p95_ms)
    accelerator = find_accelerator(allocation.accelerator)
    edge = next(
        (
            p
            for p in getattr(spec, "capacity", ())
            if p.kind == "edge" and p.name == allocation.capacity_pool
        ),
        None,
    )
    if edge is None:
        if accelerator is None:
            raise InputError(
                f"allocation {allocation.instance_type} of '{workload.name}': unknown "
                f"accelerator {allocation.accelerator}"
            )
        return _Deployment(accelerator, workload.weights_dtype, slo, 0.0)
    ttft = None if slo.ttft_ms is None else max(slo.ttft_ms - edge.rtt_ms, 1e-3)
    return _Deployment(
        accelerator or edge_device(edge),
        edge.weights_dtype,
        SLO(tpot_ms=slo.tpot_ms, ttft_ms=ttft),
        edge.rtt_ms / 1000,
    )


def _bucket_figures(
    spec: Spec,
    workload: ServingWorkload,
    allocation: Allocation,
    settings: PerfSettings,
    profiles: Profiles | None,
) -> list[tuple[float, float, float, float, float]]:
    """Per bucket: max_rps, utilisation cap, batch, prefill seconds, TTFT seconds."""
    settings = workload_settings(settings, workload)
    model = find_llm(workload.model, spec.user_llms())
    if model is None:
        raise InputError(f"workload '{workload.name}': unknown model {workload.model}")
    where = _deployment(spec, workload, allocation)
    accelerator, nodes = where.accelerator, allocation.nodes_per_replica or 1
    if nodes > 1:  # one replica over `nodes` instances: a pipeline's or a slice's view, as verify
        network = network_gbps(allocation.provider, allocation.instance_type)
        per_instance = allocation.accelerators_per_instance
        accelerator = replica_view(
            accelerator, allocation.tp, per_instance, nodes, settings, network
        ) or pipeline_accelerator(accelerator, nodes, settings, 0.0)
    out = []
    for b in workload.traffic.request_buckets():
        capacity = replica_capacity(
            model,
            accelerator,
            allocation.tp,
            b.input_tokens,
            b.output_tokens,
            where.slo,
            settings,
            weights_dtype=where.weights_dtype,
            profiles=profiles if nodes == 1 else None,
        )
        prefill = prefill_seconds(
            model, accelerator, allocation.tp, b.input_tokens, where.weights_dtype, settings
        )
        usable = capacity.max_rps > 0 and capacity.batch > 0
        cap = queueing_cap(capacity, where.slo.ttft_ms) if usable else 0.0
        ttft = (capacity.ttft_ms or 0.0) / 1000
        out.append((capacity.max_rps if usable else 0.0, cap, capacity.batch, prefill, ttft))
    if (allocation.routed_rps or 0.0) > 0 and not any(f[1] > 0 for f in out):
        raise InputError(
            f"allocation {allocation.instance_type} of '{workload.name}' carries traffic in the "
            "plan, but the performance model finds it cannot serve any of the workload's request "
            "sizes: pass the spec (and --profiles) the plan was made with"
        )
    return out


def _slots(services: tuple[BucketService, ...]) -> int:
    """Parallel slots of a replica, chosen so that its capacity at its bucket mix is the
    performance model's: the mean batch over the buckets weighted by the slot time each takes
    (a harmonic mean, since a bucket of smaller batch uses more of the replica per request)."""
    weights = [
        (b.routed_rps * b.duration_s, b.batch) for b in services if b.routed_rps > 0 and b.batch > 0
    ]
    if not weights:
        weights = [(1.0, b.batch) for b in services if b.max_rps > 0 and b.batch > 0]
    total = sum(w for w, _ in weights)
    if total <= 0:
        return 1
    return max(1, round(total / sum(w / batch for w, batch in weights)))
