"""Candidates: for each workload, the feasible (offering, tensor parallelism, pricing) choices.

All performance figures come from `planner.perf` and depend only on the model, accelerator,
TP and request sizes, so they are computed once per accelerator type and shared by every
region and service that sells it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache

import numpy as np

from planner.catalog.commitments import Cover, covers_of
from planner.catalog.network import network_gbps
from planner.catalog.offering import Offering
from planner.clouds import allows_service, cloud, in_countries, is_cloud
from planner.errors import InfeasibleError
from planner.facts import LLM, Accelerator, find_accelerator, find_llm
from planner.facts.accelerators import canonical_accelerator_name
from planner.facts.engines import undeployable
from planner.perf import (
    SLO,
    Capacity,
    PerfSettings,
    Profiles,
    prefill_share,
    replica_capacity,
    scale_gpu_hours,
    valid_tp_degrees,
)
from planner.perf.efficiency import is_calibrated
from planner.perf.multinode import (
    MAX_NODES,
    nodes_needed,
    replica_chip,
    training_gang,
)
from planner.perf.owned import OwnedPool
from planner.perf.sizing import (
    TRAINING_BYTES_PER_PARAM,
    edge_terms,
    efficiency,
    queueing_cap,
)
from planner.perf.workload import workload_settings
from planner.rules import families
from planner.rules.residency import image_outside
from planner.spec.models import (
    BatchWorkload,
    Placement,
    ServingWorkload,
    Spec,
    TrainingWorkload,
    Workload,
    kv_dtype_of,
)


@dataclass(frozen=True)
class Candidate:
    """One way to run part of a workload: an offering, a TP degree and a pricing."""

    workload: str
    offering: Offering
    pricing: str
    tp: int
    replicas_per_instance: int
    price: float
    """Dollars per instance-hour at this pricing."""
    bucket_rps: tuple[float, ...] = ()
    """Serving: requests/s one instance may be planned to carry per bucket (0: cannot serve it;
    spot: its share of time up, planner.perf.sizing)."""
    capacities: tuple[Capacity | None, ...] = ()
    utilisation_caps: tuple[float, ...] = ()
    batch_rps: float = 0.0
    """Batch: requests/s one instance completes (spot restarts priced in, planner.perf.sizing)."""
    instances: int = 0
    """Training: instances in the gang."""
    hours: float = 0.0
    """Training: wall-clock hours of the job."""
    notes: tuple[str, ...] = field(default=(), compare=False)
    shared: bool = False
    """Serving: a replica slot of `tp` GPUs on VM instances shared with other workloads; the
    instances are bought for the group (see shared_group), not by this candidate."""
    start_hours: float = 0.0
    """Jobs in a time window (Capacity Block, DWS): hours after the start it opens."""
    window_hours: float = 0.0
    """Batch in a time window: hours each instance can work before the deadline (0: none)."""
    billed_hours: float = 0.0
    """Jobs in a window paid in full: instance-hours billed per instance (0: hours used)."""
    nodes: int = 1
    """Serving: instances one replica spans (tensor parallel inside each, pipeline parallel
    across them); a unit is then one replica on `nodes` instances, and `price` is theirs."""

    @property
    def accelerators(self) -> int:
        """Accelerators one unit takes: an instance (a multi-instance replica's instances), or a
        shared replica's TP GPUs."""
        return self.tp if self.shared else self.offering.accelerator_count * self.nodes

    @property
    def shared_group(self) -> tuple[tuple[str, ...], str]:
        """Shared instances are pooled per offering and pricing."""
        return (self.offering.key, self.pricing)

    @property
    def pool(self) -> tuple[str, str, str, str]:
        """The quota pool: provider, region, accelerator, pricing (owned capacity: its pool)."""
        o = self.offering
        if o.owned:
            return ("owned", o.owned, o.accelerator, self.pricing)
        return (o.provider, o.region, o.accelerator, self.pricing)

    @property
    def region(self) -> tuple[str, str]:
        return (self.offering.provider, self.offering.region)

    @property
    def sort_key(self) -> tuple:
        return (*self.offering.key, self.pricing, self.tp)


def spot_allowed(workload: Workload) -> bool:
    """Spot is allowed where placement says so; by default only for preemptible jobs."""
    if workload.placement.spot is not None:
        return workload.placement.spot
    return bool(getattr(workload, "preemptible", False))


def placement_allows(placement: Placement, offering: Offering, edge_ok: bool = False) -> bool:
    """Provider, region (residency), accelerator and service rules of a workload's placement.

    `providers` chooses clouds to buy from, so it leaves own clusters and edge devices alone;
    edge devices are open only to workloads that allow an edge share (`edge_ok`).
    """
    if offering.service_kind == "edge" and not edge_ok:
        return False
    if (
        placement.providers
        and is_cloud(offering.provider)
        and (offering.provider not in placement.providers)
    ):
        return False
    if placement.regions and offering.region not in placement.regions:
        return False
    if placement.countries and not in_countries(
        offering.provider, offering.region, placement.countries
    ):
        return False
    if placement.accelerators:
        wanted = {canonical_accelerator_name(a) for a in placement.accelerators}
        if offering.accelerator not in wanted:
            return False
    return not (
        placement.services
        and offering.service_kind != "edge"
        and not allows_service(placement.services, offering.service)
    )


def calibration_allows(
    placement: Placement,
    offering: Offering,
    accelerator: Accelerator,
    profiled: frozenset[str] = frozenset(),
) -> bool:
    """An uncalibrated chip (no fitted measurements for its family) is a candidate only when
    the placement opts in (`allow_uncalibrated`, or names it in `accelerators`) or measured
    profiles (`profiled`: accelerator names) cover it; owned capacity and edge devices, which
    the spec declares itself, always are."""
    if offering.owned or not is_cloud(offering.provider) or is_calibrated(accelerator):
        return True
    if placement.allow_uncalibrated or accelerator.name in profiled:
        return True
    named = {canonical_accelerator_name(a) for a in placement.accelerators or ()}
    return accelerator.name in named


def profiled_accelerators(profiles: Profiles | None, model: str) -> frozenset[str]:
    """Accelerators the measured profiles cover for `model`."""
    if not profiles:
        return frozenset()
    return _profiled(profiles, model)


@lru_cache(maxsize=64)
def _profiled(profiles: Profiles, model: str) -> frozenset[str]:
    return frozenset(p.accelerator for p in profiles.points if p.model == model)


def pricings(workload: Workload, offering: Offering) -> list[str]:
    chosen = ["on_demand"]
    if spot_allowed(workload) and offering.price_spot is not None:
        chosen.append("spot")
    return chosen


def resolve_llm(spec: Spec, name: str) -> LLM:
    model = find_llm(name, spec.user_llms())
    if model is None:  # validated specs never get here
        raise ValueError(f"unknown model {name!r}")
    return model


def offering_choices(
    workload: Workload,
    offerings: Iterable[Offering],
    rules: Dominance,
    owned: Mapping[str, OwnedPool] | None = None,
    profiled: frozenset[str] = frozenset(),
    deploy_json: str = "",
) -> list[tuple[Offering, str, Accelerator]]:
    """(offering, pricing, accelerator) choices worth evaluating for `workload`.

    Capacity depends only on the accelerator and its count, so among offerings in pools no
    quota limits only the cheapest of each (accelerator, count, pricing) can be in an optimal
    plan (per region when the workload has spread rules). Offerings in limited pools are all
    kept. This is the dominance rule applied before any performance figure is computed.
    Uncalibrated chips are left out unless the placement or `profiled` allows them
    (calibration_allows).
    Workloads with the same placement rules share one answer (a fleet has few of them).
    Where the workload keeps data in named regions, an offering whose serving image (from the
    spec's deploy section, `deploy_json`) lies outside them is left out before the dominance
    rule: emit and verify refuse such a placement (rules.residency).
    """
    edge_ok = getattr(workload, "edge_share_max", 0.0) > 0
    owned_accelerators = tuple(sorted((n, p.accelerator) for n, p in (owned or {}).items()))
    engine = getattr(workload, "engine", "vllm")
    kind = getattr(workload, "kind", "serving")
    kv = kv_dtype_of(workload)
    key = (
        workload.placement, edge_ok, spot_allowed(workload), engine, kind, rules,
        owned_accelerators, profiled, kv, deploy_json if workload.placement.regions else "",
    )  # fmt: skip
    if isinstance(offerings, tuple):
        return list(_choices(offerings, *key))
    return list(_choices.__wrapped__(tuple(offerings), *key))


@lru_cache(maxsize=256)
def _choices(
    offerings: tuple[Offering, ...],
    placement: Placement,
    edge_ok: bool,
    spot: bool,
    engine: str,
    kind: str,
    rules: Dominance,
    owned_accelerators: tuple[tuple[str, Accelerator], ...],
    profiled: frozenset[str] = frozenset(),
    kv: str = "",
    deploy_json: str = "",
) -> tuple[tuple[Offering, str, Accelerator], ...]:
    if placement.regions and deploy_json:
        allowed = tuple(placement.regions)
        offerings = tuple(
            o for o in offerings
            if image_outside(deploy_json, engine, o.accelerator, o.service, o.region,
                             allowed) is None
        )  # fmt: skip
    owned = dict(owned_accelerators)
    cheapest: dict[tuple, tuple[float, tuple, Offering, str, Accelerator]] = {}
    kept: list[tuple[Offering, str, Accelerator]] = []
    for offering in offerings:
        accelerator = find_accelerator(offering.accelerator)
        if offering.owned and offering.owned in owned:
            accelerator = owned[offering.owned]
        if accelerator is None or not placement_allows(placement, offering, edge_ok):
            continue
        if not calibration_allows(placement, offering, accelerator, profiled):
            continue  # capacity from no measurements, and the spec did not opt in
        if undeployable(
            engine, offering.service, offering.service_kind == "vm", offering.accelerator, kind,
            kv_dtype=kv,
        ):  # fmt: skip
            continue  # capacity no emit target could deploy with the workload's engine
        chosen = ["on_demand"] + (["spot"] if spot and offering.price_spot is not None else [])
        for pricing in chosen:
            pool = (offering.provider, offering.region, offering.accelerator, pricing)
            if offering.owned:
                pool = ("owned", offering.owned, offering.accelerator, pricing)
            if (
                not rules.cross_pool
                or pool in rules.limited_pools
                or rules.covered(offering, pricing)
            ):
                kept.append((offering, pricing, accelerator))
                continue
            shape = (offering.accelerator, offering.accelerator_count, pricing)
            if rules.spread:
                shape += (offering.provider, offering.region)
            entry = (offering.price(pricing), offering.key, offering, pricing, accelerator)
            if shape not in cheapest or entry[:2] < cheapest[shape][:2]:
                cheapest[shape] = entry  # type: ignore[assignment]
    kept += [(o, p, a) for _, _, o, p, a in cheapest.values()]
    return tuple(sorted(kept, key=lambda item: (item[0].key, item[1])))


@cache
def _serving_profile(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    buckets: tuple[tuple[int, int], ...],
    slo: SLO,
    dtype: str,
    settings: PerfSettings,
    profiles: Profiles | None,
) -> tuple[tuple[Capacity, ...], tuple[float, ...]]:
    found = [
        _bucket_capacity(model, accelerator, tp, i, o, slo, dtype, settings, profiles)
        for i, o in buckets
    ]
    return tuple(c for c, _ in found), tuple(u for _, u in found)


@cache
def _bucket_capacity(
    model: LLM,
    accelerator: Accelerator,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    slo: SLO,
    dtype: str,
    settings: PerfSettings,
    profiles: Profiles | None,
) -> tuple[Capacity, float]:
    """One bucket's replica capacity and queueing cap, shared by every workload that asks."""
    capacity = replica_capacity(
        model, accelerator, tp, input_tokens, output_tokens, slo, settings,
        weights_dtype=dtype, profiles=profiles,
    )  # fmt: skip
    return capacity, queueing_cap(capacity, slo.ttft_ms)


def mix_prefill_share(
    workload: Workload, candidate: Candidate, routed: Sequence[float] = ()
) -> float | None:
    """Share of the candidate's replica time spent on prefill for the requests `routed` to it
    per bucket (serving; the workload's bucket mix when none are), or for the batch's one
    request shape. None without capacity figures (training, older candidates)."""
    if not candidate.capacities:
        return None
    if isinstance(workload, ServingWorkload):
        buckets = workload.traffic.request_buckets()
        weights = routed if any(r > 0 for r in routed) else [b.fraction for b in buckets]
    else:
        weights = [1.0] * len(candidate.capacities)
    share = prefill_share(candidate.capacities, weights)
    return None if share is None else round(share, 6)


def limited_pools(spec: Spec) -> frozenset[tuple[str, str, str, str]]:
    """Quota pools (provider, region, accelerator, pricing) some quota limits, and every pool of
    owned capacity (its size is its quota)."""
    pools = set()
    for pool in spec.capacity:
        name = getattr(pool, "accelerator", None) or getattr(pool, "device", None)
        canonical = find_accelerator(name) if name else None
        pools.add(("owned", pool.name, canonical.name if canonical else name or "", "on_demand"))
    for q in spec.constraints.quotas:
        acc = find_accelerator(q.accelerator)
        name = acc.name if acc else q.accelerator
        for pricing in (q.pricing,) if q.pricing else ("on_demand", "spot"):
            pools.add((q.provider, q.region, name, pricing))
    return frozenset(pools)


def dominance_rules(spec: Spec, workload: Workload) -> Dominance:
    """Pruning rules that keep every optimal plan of `workload` reachable."""
    return Dominance(
        limited_pools=limited_pools(spec),
        committed=covers_of(spec.commitments),
        **families.pruning(workload, spot_allowed(workload)),
    )


def serving_candidates(
    spec: Spec,
    workload: ServingWorkload,
    offerings: Iterable[Offering],
    settings: PerfSettings,
    profiles: Profiles | None = None,
    owned: Mapping[str, OwnedPool] | None = None,
) -> list[Candidate]:
    """Every (offering, TP, pricing) that can serve at least one of the workload's buckets."""
    settings = workload_settings(settings, workload)
    model = resolve_llm(spec, workload.model)
    buckets = tuple((b.input_tokens, b.output_tokens) for b in workload.traffic.request_buckets())
    slo = SLO(tpot_ms=workload.slo.tpot_ms, ttft_ms=workload.slo.ttft_p95_ms)
    rules = dominance_rules(spec, workload)
    found: list[Candidate] = []
    profiled = profiled_accelerators(profiles, model.name)
    choices = offering_choices(workload, offerings, rules, owned, profiled,
                               _deploy_json(spec))  # fmt: skip
    # capacity depends on the accelerator, its count per instance and the terms, not on the
    # offering: worked out once per such shape, whatever the regions and services selling it
    shapes: dict[tuple, list[tuple[int, tuple[Capacity, ...], tuple[float, ...]]]] = {}
    asked: Counter[tuple] = Counter()
    for offering, pricing, accelerator in choices:
        if _window(offering, owned) is not None:
            continue  # a time window is for jobs
        dtype, target = workload.weights_dtype, slo
        if offering.service_kind == "edge" and owned:
            terms = edge_terms(workload, owned[offering.owned], slo)
            if terms is None:
                continue
            dtype, target = terms
        shape = (accelerator, offering.accelerator_count, dtype, target)
        asked[shape] += 1
        if shape not in shapes:
            degrees = valid_tp_degrees(model, offering.accelerator_count, accelerator)
            shapes[shape] = []
            for tp in degrees:
                caps, utils = _serving_profile(
                    model, accelerator, tp, buckets, target, dtype, settings, profiles
                )
                shapes[shape].append((tp, caps, utils))
        share = efficiency(offering, pricing, "serving")
        price = offering.price(pricing)
        for tp, caps, utils in shapes[shape]:
            if not any(c.max_rps > 0 for c in caps):
                continue
            replicas = offering.accelerator_count // tp
            found.append(
                Candidate(
                    workload=workload.name,
                    offering=offering,
                    pricing=pricing,
                    tp=tp,
                    replicas_per_instance=replicas,
                    price=price,  # type: ignore[arg-type]
                    bucket_rps=tuple(
                        replicas * c.max_rps * u * share for c, u in zip(caps, utils, strict=True)
                    ),
                    capacities=caps,
                    utilisation_caps=utils,
                )
            )
            if workload.sharing == "shared" and _shareable(offering, tp):
                found.append(
                    Candidate(
                        workload=workload.name,
                        offering=offering,
                        pricing=pricing,
                        tp=tp,
                        replicas_per_instance=1,
                        price=price,  # type: ignore[arg-type]
                        bucket_rps=tuple(
                            c.max_rps * u * share for c, u in zip(caps, utils, strict=True)
                        ),
                        capacities=caps,
                        utilisation_caps=utils,
                        shared=True,
                    )
                )
        found += _multinode(workload, model, offering, pricing, accelerator, buckets, dtype,
                            target, settings)  # fmt: skip
        found += _slice(workload, model, offering, pricing, accelerator, buckets, dtype, target,
                        settings)  # fmt: skip
    kept = prune_dominated(found, rules)
    if kept and not all(any(c.bucket_rps[b] > 0 for c in kept) for b in range(len(buckets))):
        why_not: list[Counter[str]] = [Counter() for _ in buckets]
        for shape, times in asked.items():
            for tp, caps, utils in shapes[shape]:
                for _ in range(times):
                    _count_reasons(why_not, caps, utils, tp)
        _check_every_bucket_served(workload, kept, why_not)
    return kept


@lru_cache(maxsize=16)
def _deploy_json_of(deploy) -> str:
    return deploy.model_dump_json()


def _deploy_json(spec: Spec) -> str:
    """The spec's deploy section as JSON (what rules.residency's cached answers are keyed by),
    written once per spec."""
    try:
        return _deploy_json_of(spec.deploy)
    except TypeError:  # an unhashable deploy section: written each time
        return spec.deploy.model_dump_json()


def _multinode(
    workload: ServingWorkload,
    model: LLM,
    offering: Offering,
    pricing: str,
    accelerator: Accelerator,
    buckets: tuple[tuple[int, int], ...],
    dtype: str,
    target: SLO,
    settings: PerfSettings,
) -> list[Candidate]:
    """A replica over several instances of a VM offering, for a model whose weights no single
    instance holds: its widest TP inside each instance, the fewest instances that hold the
    weights (planner.perf.multinode), joined by the rack's NVLink or the instance's scale-out
    network; none where the network is unknown or no emit target deploys it."""
    found = _pipeline(workload.engine, "serving", model, offering, accelerator, dtype, settings,
                      kv_dtype_of(workload))  # fmt: skip
    if found is None:
        return []
    tp, nodes, chip = found
    caps, utils = _serving_profile(model, chip, tp, buckets, target, dtype, settings, None)
    note = (f"one replica spans {nodes} x {offering.instance_type} (TP {tp} in each, "
            "pipeline parallel across them)")  # fmt: skip
    found_one = _spanning(workload, offering, pricing, tp, nodes, caps, utils, note)
    return [] if found_one is None else [found_one]


def _spanning(
    workload: ServingWorkload, offering: Offering, pricing: str, tp: int, nodes: int,
    caps: Sequence[Capacity], utils: Sequence[float], note: str,
) -> Candidate | None:  # fmt: skip
    """The candidate of one replica over `nodes` instances of `offering` (a pipeline or a
    slice), priced for all of them; None when it serves no bucket."""
    if not any(c.max_rps > 0 for c in caps):
        return None
    share = efficiency(offering, pricing, "serving")
    return Candidate(
        workload=workload.name, offering=offering, pricing=pricing, tp=tp,
        replicas_per_instance=1, price=nodes * offering.price(pricing),  # type: ignore[operator]
        bucket_rps=tuple(c.max_rps * u * share for c, u in zip(caps, utils, strict=True)),
        capacities=caps, utilisation_caps=utils, nodes=nodes, notes=(note,),
    )  # fmt: skip


def _slice(
    workload: ServingWorkload,
    model: LLM,
    offering: Offering,
    pricing: str,
    accelerator: Accelerator,
    buckets: tuple[tuple[int, int], ...],
    dtype: str,
    target: SLO,
    settings: PerfSettings,
) -> list[Candidate]:
    """A replica over a multi-host slice (a TPU slice: its hosts' chips joined by ICI, one
    tensor-parallel group over all of them) of a VM offering's hosts, for a model whose
    weights no single host holds: the smallest slice the cloud's managed Kubernetes sells
    (Kubernetes.slices) of at most MAX_NODES hosts that holds them with KV room."""
    if offering.service_kind != "vm" or offering.owned or not is_cloud(offering.provider):
        return []
    k8s = cloud(offering.provider).kubernetes
    per_host = offering.accelerator_count
    if k8s is None or nodes_needed(model, accelerator, per_host, dtype, settings, most=1):
        return []  # no managed Kubernetes to run it, or one host holds the weights
    for chips, hosts in k8s.slices(offering.accelerator, per_host):
        if hosts > MAX_NODES or chips not in valid_tp_degrees(model, chips, accelerator):
            continue
        if nodes_needed(model, accelerator, chips, dtype, settings, most=1) is None:
            continue  # the slice's chips do not hold the weights with KV room either
        if undeployable(workload.engine, offering.service, True, offering.accelerator,
                        "serving", hosts, kv_dtype_of(workload)):  # fmt: skip
            return []
        caps, utils = _serving_profile(model, accelerator, chips, buckets, target, dtype,
                                       settings, None)  # fmt: skip
        note = (f"one replica is a {chips}-chip slice of {hosts} x {offering.instance_type} "
                "(tensor parallel over all its chips)")  # fmt: skip
        found = _spanning(workload, offering, pricing, chips, hosts, caps, utils, note)
        if found is not None:
            return [found]
    return []


def _count_reasons(
    why_not: list[Counter[str]], caps: Sequence[Capacity], utils: Sequence[float], tp: int
) -> None:
    """Tally why each bucket gets no capacity from one (accelerator, TP) choice."""
    for b, (c, u) in enumerate(zip(caps, utils, strict=True)):
        if c.max_rps <= 0:
            why = c.reason or c.limited_by or "no capacity"
            why_not[b][f"{c.accelerator} tp={tp}: {why}"] += 1
        elif u <= 0:
            why_not[b][f"{c.accelerator} tp={tp}: queueing leaves no room in the p95 TTFT"] += 1


def _check_every_bucket_served(
    workload: ServingWorkload, found: Sequence[Candidate], why_not: list[Counter[str]]
) -> None:
    """InfeasibleError naming each request-size bucket no candidate can serve, and why (a
    bucket with no capacity anywhere would otherwise reach the solver as a division by 0)."""
    problems = []
    for b, bucket in enumerate(workload.traffic.request_buckets()):
        if any(c.bucket_rps[b] > 0 for c in found):
            continue
        reasons = [f"{why} ({n} offering choice(s))" for why, n in why_not[b].most_common(3)]
        problems.append(
            f"{workload.name}: no offering serves its bucket of {bucket.input_tokens} input + "
            f"{bucket.output_tokens} output tokens ({bucket.fraction:g} of requests): "
            + ("; ".join(reasons) or "no capacity")
        )
    if problems:
        raise InfeasibleError(
            "No plan: some request sizes cannot be served:\n  - " + "\n  - ".join(problems)
        )


def _shareable(offering: Offering, tp: int) -> bool:
    """Replicas of `tp` GPUs can share this offering's instances with other workloads' replicas:
    a VM (Kubernetes packs the pods) with room for more than one replica, at a power-of-two TP
    (the shared-instance count is exact only for replicas of such sizes)."""
    return offering.service_kind == "vm" and tp < offering.accelerator_count and not tp & (tp - 1)


def batch_candidates(
    spec: Spec,
    workload: BatchWorkload,
    offerings: Iterable[Offering],
    settings: PerfSettings,
    owned: Mapping[str, OwnedPool] | None = None,
) -> list[Candidate]:
    """Every (offering, TP, pricing) with a positive offline rate for the batch's request shape."""
    settings = workload_settings(settings, workload)
    model = resolve_llm(spec, workload.model)
    volume = workload.volume
    rules = dominance_rules(spec, workload)
    found: list[Candidate] = []
    for offering, pricing, accelerator in offering_choices(
        workload, offerings, rules, owned, deploy_json=_deploy_json(spec)
    ):
        window = _window(offering, owned)
        usable = 0.0
        if window is not None:
            assert window.duration_hours is not None
            end = min(window.start_hours + window.duration_hours, workload.deadline_hours)
            usable = end - window.start_hours
            if usable <= 0:
                continue  # the window opens after the deadline
        best: tuple[float, int] | None = None
        best_capacity: tuple[Capacity, ...] = ()
        for tp in valid_tp_degrees(model, offering.accelerator_count, accelerator):
            caps, _ = _serving_profile(
                model,
                accelerator,
                tp,
                ((volume.input_tokens, volume.output_tokens),),
                SLO(),
                workload.weights_dtype,
                settings,
                None,
            )
            rate = caps[0].max_rps * (offering.accelerator_count // tp)
            if rate > 0 and (best is None or rate > best[0]):
                best, best_capacity = (rate, tp), caps
        if best is None:
            found += _batch_multinode(workload, model, offering, pricing, accelerator, settings,
                                      window, usable)  # fmt: skip
            continue
        found.append(
            Candidate(
                workload=workload.name,
                offering=offering,
                pricing=pricing,
                tp=best[1],
                replicas_per_instance=offering.accelerator_count // best[1],
                price=offering.price(pricing),  # type: ignore[arg-type]
                batch_rps=best[0] * efficiency(offering, pricing, "job"),
                capacities=best_capacity,
                **_window_terms(window, usable),
            )
        )
    return prune_dominated(found, rules)


def _batch_multinode(
    workload: BatchWorkload,
    model: LLM,
    offering: Offering,
    pricing: str,
    accelerator: Accelerator,
    settings: PerfSettings,
    window: OwnedPool | None,
    usable: float,
) -> list[Candidate]:
    """A batch replica over several instances of a VM offering, for a model whose weights no
    single instance holds (as _multinode for serving): a unit is one replica of `nodes`
    instances at their price, completing the rate of the pipeline's view of the chip."""
    if window is not None:
        return []
    found = _pipeline(workload.engine, "batch", model, offering, accelerator,
                      workload.weights_dtype, settings)  # fmt: skip
    if found is None:
        return []
    tp, nodes, chip = found
    volume = workload.volume
    caps, _ = _serving_profile(model, chip, tp, ((volume.input_tokens, volume.output_tokens),),
                               SLO(), workload.weights_dtype, settings, None)  # fmt: skip
    if caps[0].max_rps <= 0:
        return []
    return [Candidate(
        workload=workload.name, offering=offering, pricing=pricing, tp=tp,
        replicas_per_instance=1, price=nodes * offering.price(pricing),  # type: ignore[operator]
        batch_rps=caps[0].max_rps * efficiency(offering, pricing, "job"), capacities=caps,
        nodes=nodes, notes=(f"one replica spans {nodes} x {offering.instance_type} (TP {tp} in "
                            "each, pipeline parallel across them)",),
    )]  # fmt: skip


@lru_cache(maxsize=16384)
def _pipeline(
    engine: str,
    kind: str,
    model: LLM,
    offering: Offering,
    accelerator: Accelerator,
    dtype: str,
    settings: PerfSettings,
    kv: str = "",
) -> tuple[int, int, Accelerator] | None:
    """(TP, instances, the chip as the replica sees it) of a replica over several instances of
    a cloud's VM offering: its widest TP inside each, the fewest instances that hold the
    weights (planner.perf.multinode); None where one instance holds them, none suffice, the
    network between them is unknown or no emit target deploys it."""
    if offering.service_kind != "vm" or offering.owned or not is_cloud(offering.provider):
        return None
    degrees = valid_tp_degrees(model, offering.accelerator_count, accelerator)
    if not degrees:
        return None
    tp = degrees[-1]
    nodes = nodes_needed(model, accelerator, tp, dtype, settings)
    if nodes is None or nodes < 2:
        return None
    if undeployable(engine, offering.service, True, offering.accelerator, kind, nodes, kv):
        return None
    chip = replica_chip(accelerator, tp, nodes, settings, _network(offering) or None)
    return None if chip is None else (tp, nodes, chip)


def training_candidates(
    spec: Spec,
    workload: TrainingWorkload,
    offerings: Iterable[Offering],
    settings: PerfSettings,
    owned: Mapping[str, OwnedPool] | None = None,
) -> list[Candidate]:
    """Every (offering, pricing) whose gang fits in memory and finishes by the deadline."""
    found: list[Candidate] = []
    gang = workload.gang_size
    model = resolve_llm(spec, workload.model) if workload.model else None
    reference = (
        find_accelerator(workload.reference_accelerator) if workload.reference_accelerator else None
    )
    rules = dominance_rules(spec, workload)
    for offering, pricing, accelerator in offering_choices(
        workload, offerings, rules, owned, deploy_json=_deploy_json(spec)
    ):
        memory_floor = workload.min_accelerator_memory_gb or 0.0
        if offering.accelerator_memory_gb < memory_floor:
            continue
        instances = math.ceil(gang / offering.accelerator_count)
        if model is not None:
            network = _network(offering) or None  # unknown: the exchange is not counted
            found_gang = training_gang(
                model, accelerator, accelerator.memory_gb, offering.accelerator_count,
                gang, workload.tokens or 0.0, TRAINING_BYTES_PER_PARAM, settings, network,
            )  # fmt: skip
            if found_gang is None:
                continue  # no gang of at most MAX_NODES instances holds the training state
            instances, hours = found_gang.instances, found_gang.hours
        else:
            assert reference is not None and workload.gpu_hours is not None
            hours = scale_gpu_hours(workload.gpu_hours, reference, accelerator) / gang
        run_hours = hours / efficiency(offering, pricing, "job")
        window = _window(offering, owned)
        start = window.start_hours if window is not None else 0.0
        if workload.deadline_hours is not None and start + run_hours > workload.deadline_hours:
            continue
        if window is not None and run_hours > (window.duration_hours or 0.0):
            continue  # the gang does not finish within the window
        found.append(
            Candidate(
                workload=workload.name,
                offering=offering,
                pricing=pricing,
                tp=1,
                replicas_per_instance=1,
                price=offering.price(pricing),  # type: ignore[arg-type]
                instances=instances,
                hours=run_hours,
                **_window_terms(window, run_hours),
            )
        )
    return prune_dominated(found, rules)


def _network(offering: Offering) -> float | None:
    """Gbit/s an instance of `offering` reaches its peers at for a gang or replica over several
    of them: 0 for a cloud's VM type the network table lacks (unknown), None for owned capacity
    (not counted: a capacity pool declares no network)."""
    if offering.owned or not is_cloud(offering.provider):
        return None
    return network_gbps(offering.provider, offering.instance_type) or 0.0


def _window(offering: Offering, owned: Mapping[str, OwnedPool] | None) -> OwnedPool | None:
    """The time window (Capacity Block, DWS) `offering` belongs to, if it is one."""
    pool = (owned or {}).get(offering.owned) if offering.owned else None
    return pool if pool is not None and pool.window else None


def _window_terms(window: OwnedPool | None, usable: float) -> dict[str, float]:
    """A job candidate's window fields: when it opens, the hours usable, the hours billed."""
    if window is None:
        return {}
    billed = (window.duration_hours or 0.0) if window.paid_in_full else 0.0
    return {"start_hours": window.start_hours, "window_hours": usable, "billed_hours": billed}


@dataclass(frozen=True)
class Dominance:
    """What makes one candidate a safe replacement for another, for one workload.

    Within a quota pool a candidate may replace another that uses no fewer accelerators, costs
    no less and delivers no more. A candidate in a pool no quota limits can replace candidates
    of other pools too: in any region when the workload has no spread rules, in its own
    region otherwise.
    """

    limited_pools: frozenset[tuple[str, str, str, str]] = frozenset()
    spread: bool = False
    exact_replicas: bool = False
    """Replica counts must match (the workload has max_replicas)."""
    cross_pool: bool = True
    """False when a spot-share cap counts accelerators, so pools must not mix."""
    committed: tuple[Cover, ...] = ()
    """Commitments: usage they cover may cost nothing more, so it is never pruned."""

    def covered(self, offering: Offering, pricing: str) -> bool:
        return any(k.covers(offering, pricing) for k in self.committed)

    def scope(self, c: Candidate) -> tuple:
        return (c.region, c.pricing) if self.spread else (c.pricing,)

    def dominates(self, a: Candidate, b: Candidate) -> bool:
        if a.shared or b.shared:
            return False  # shared slots are priced by their group, not one by one
        if self.covered(b.offering, b.pricing):
            return False  # covered usage may cost nothing: its list price says nothing
        if a.price > b.price:
            return False
        if a.pool != b.pool:
            # owned capacity is always limited (its size is its quota), whatever accelerator
            # name its spec entry gives (a reservation names an instance type, not one)
            if not self.cross_pool or a.pool in self.limited_pools or a.pool[0] == "owned":
                return False
            if self.scope(a) != self.scope(b):
                return False
        elif a.accelerators > b.accelerators:
            return False
        if a.instances or b.instances:
            return (
                a.instances * a.price * a.hours <= b.instances * b.price * b.hours
                and a.instances * a.accelerators <= b.instances * b.accelerators
                and a.hours <= b.hours
            )
        if a.batch_rps or b.batch_rps:
            return a.batch_rps >= b.batch_rps
        if self.exact_replicas and a.replicas_per_instance != b.replicas_per_instance:
            return False
        return a.replicas_per_instance >= b.replicas_per_instance and all(
            x >= y for x, y in zip(a.bucket_rps, b.bucket_rps, strict=True)
        )


def prune_dominated(
    candidates: Sequence[Candidate], rules: Dominance = Dominance()
) -> list[Candidate]:
    """Drop candidates that another candidate dominates under `rules` (ties keep the first)."""
    ordered = sorted(candidates, key=lambda c: (c.price, c.accelerators, c.sort_key))
    beats = _dominance_matrix(ordered, rules)
    alive = np.ones(len(ordered), dtype=bool)
    kept: list[Candidate] = []
    for j in range(len(ordered)):
        if alive[j]:  # no candidate kept before it dominates it
            kept.append(ordered[j])
            alive[j + 1 :] &= ~beats[j, j + 1 :]
    return sorted(kept, key=lambda c: c.sort_key)


def _dominance_matrix(cands: Sequence[Candidate], rules: Dominance) -> np.ndarray:
    """beats[a, b] = rules.dominates(cands[a], cands[b]), for every pair at once."""
    k = len(cands)
    if k == 0:
        return np.zeros((0, 0), dtype=bool)
    price = np.array([c.price for c in cands], dtype=float)
    accs = np.array([c.accelerators for c in cands], dtype=float)
    shared = np.array([c.shared for c in cands])
    pools = {p: i for i, p in enumerate(dict.fromkeys(c.pool for c in cands))}
    pool = np.array([pools[c.pool] for c in cands])
    scopes = {s: i for i, s in enumerate(dict.fromkeys(rules.scope(c) for c in cands))}
    scope = np.array([scopes[rules.scope(c)] for c in cands])
    fixed = np.array([c.pool in rules.limited_pools or c.pool[0] == "owned" for c in cands])
    instances = np.array([c.instances for c in cands], dtype=float)
    hours = np.array([c.hours for c in cands], dtype=float)
    batch = np.array([c.batch_rps for c in cands], dtype=float)
    reps = np.array([c.replicas_per_instance for c in cands])
    width = max(len(c.bucket_rps) for c in cands)
    rates = np.zeros((k, width))
    for i, c in enumerate(cands):
        rates[i, : len(c.bucket_rps)] = c.bucket_rps

    def pair(v):
        return v[:, None], v[None, :]

    pa, pb = pair(price)
    covered = np.array([rules.covered(c.offering, c.pricing) for c in cands], dtype=bool)
    beats = ~shared[:, None] & ~shared[None, :] & ~covered[None, :] & (pa <= pb)
    same = pool[:, None] == pool[None, :]
    aa, ab = pair(accs)
    cross = rules.cross_pool & ~fixed[:, None] & (scope[:, None] == scope[None, :])
    beats &= np.where(same, aa <= ab, cross)
    ia, ib = pair(instances)
    ha, hb = pair(hours)
    gang = (ia != 0) | (ib != 0)
    gang_ok = (ia * pa * ha <= ib * pb * hb) & (ia * aa <= ib * ab) & (ha <= hb)
    ba, bb = pair(batch)
    offline = ~gang & ((ba != 0) | (bb != 0))
    ra, rb = pair(reps)
    serve_ok = (ra >= rb) & (rates[:, None, :] >= rates[None, :, :]).all(axis=2)
    if rules.exact_replicas:
        serve_ok &= ra == rb
    beats &= np.where(gang, gang_ok, np.where(offline, ba >= bb, serve_ok))
    return beats
