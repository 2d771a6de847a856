"""Check a plan against its spec and catalog with code independent of the MIP.

Every constraint the solver promises is re-derived here from the spec, the catalog and the
performance model: offerings and prices, placement and residency, spot rules, capacity (an
LP finds a routing of each bucket's load onto the plan's instances, also with any one region
lost where the spec asks), replica bounds, region spread, quotas, budget and deadlines.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from planner import clock
from planner.catalog import Catalog
from planner.catalog.commitments import covers_of, with_negotiated_discounts
from planner.catalog.network import network_gbps
from planner.clouds import (
    SERVICES,
    VM_SERVICES,
    allows_service,
    in_countries,
    is_cloud,
    region_country,
)
from planner.errors import InputError
from planner.facts import LLM, find_accelerator, find_llm
from planner.facts.engines import undeployable
from planner.perf import (
    DEFAULT_SETTINGS,
    SLO,
    PerfSettings,
    Profiles,
    batch_throughput,
    replica_capacity,
    scale_gpu_hours,
)
from planner.perf.multinode import (
    replica_chip,
    replica_view,
    spans_slice,
    training_gang,
)
from planner.perf.owned import OwnedPool, owned_capacity
from planner.perf.sizing import TRAINING_BYTES_PER_PARAM, edge_terms, efficiency, queueing_cap
from planner.perf.workload import workload_settings
from planner.plans.model import Allocation, Plan
from planner.plans.slo import slo_misses
from planner.rules import families, replicas
from planner.rules import regions as spread_rule
from planner.rules.residency import breaches
from planner.spec.models import (
    BatchWorkload,
    ServingWorkload,
    Spec,
    TrainingWorkload,
    Workload,
    kv_dtype_of,
)

_TOL = 1e-6
_RATE_ROUNDING = 5e-7
"""Most a stored routed rate differs from the solver's (plans keep requests/s to 6 decimals)."""
_CLOSE = 1e-5
"""Capacity and demand this close (relative; absolute below 1) are left to the LP to weigh: its
feasibility tolerance (1e-6) lets it accept a routing that much over."""
HOURS_RESOLUTION = 1e-6
"""Plan files store hours rounded to six decimals (planner.solve.assemble.allocation)."""


@dataclass(frozen=True)
class Violation:
    """One broken promise: which workload (or 'fleet') and what."""

    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.message}"


@dataclass(frozen=True)
class Capacity:
    """What one workload's capacity check weighed (`verify(..., capacity={})` records it): a
    serving workload's instances (count, requests/s of each bucket per instance) against its
    demand per bucket, or a batch job's requests done within its allocations' hours (their
    rounding included) against those asked. `problem`: the message verify reported when the
    capacity fell short, None when it sufficed; `edge`: edge devices were capped too (not
    weighed by `largest_share`)."""

    loads: tuple[tuple[int, tuple[float, ...]], ...] = ()
    demand: tuple[float, ...] = ()
    done: float | None = None
    asked: float | None = None
    problem: str | None = None
    edge: bool = False

    def largest_share(self) -> tuple[float, float] | None:
        """The largest s for which the same check passes with every demand scaled by s (inf:
        any s), computed directly, and how far off (relative) that may be from where the
        check itself turns; None where it is not computed (edge caps). The check is monotone
        in s: it passes for s up to that value and fails above it."""
        if self.edge:
            return None
        if self.done is not None:
            asked = (self.asked or 0.0) * (1 - 1e-6)
            return (math.inf if asked <= 0 else self.done / asked), _CLOSED_FORM
        return _largest_routable(list(self.loads), list(self.demand))


_CLOSED_FORM = 2 * _CLOSE
"""How far (relative) a closed-form largest share may be from where the check turns: the check
uses the same closed form, and leaves to the LP only capacity within _CLOSE of demand."""
_BY_LP = 5 * _CLOSE
"""The same for a largest share found by an LP (its tolerances against the check's LP's)."""


def _largest_routable(
    loads: list[tuple[int, tuple[float, ...]]], demand: list[float]
) -> tuple[float, float]:
    """sup {s: _routable(loads, [s * d for d in demand])}, and how far off it may be."""
    served = [any(rps[b] > 0 for _, rps in loads) for b in range(len(demand))]
    if not all(served):
        # a bucket nobody serves carries s x d only while that is within tolerance of none;
        # the buckets served decide the rest
        unserved = min(math.inf if d <= 0 else _TOL / d
                       for d, ok in zip(demand, served, strict=True) if not ok)  # fmt: skip
        rest = [d for d, ok in zip(demand, served, strict=True) if ok]
        kept = [(c, tuple(r for r, ok in zip(rps, served, strict=True) if ok)) for c, rps in loads]
        largest, within = _largest_routable(kept, rest)
        return (unserved, _CLOSED_FORM) if unserved < largest else (largest, within)
    if len(loads) == 1:  # every bucket routed to its one instance type
        count, rps = loads[0]
        need = sum(d / r for d, r in zip(demand, rps, strict=True) if r > 0)
        return (math.inf if need <= 0 else count * (1 + _TOL) / need), _CLOSED_FORM
    if len(demand) == 1:  # one bucket: the instance types' capacities add up
        d = demand[0]
        have = sum(c * (1 + _TOL) * r[0] for c, r in loads)
        return (math.inf if d <= 0 else have / d), _CLOSED_FORM
    if len(loads) == 2:
        return _two_largest(loads, demand), _CLOSED_FORM
    from ortools.math_opt.python import mathopt

    # y[i, b] = s * share[i, b]: routing s x demand is the LP of _routable with s a variable
    model = mathopt.Model(name="verify-largest-share")
    s = model.add_variable(lb=0)
    y = {}
    for b in range(len(demand)):
        terms = []
        for i, (_, rps) in enumerate(loads):
            if rps[b] > 0:
                y[(i, b)] = model.add_variable(lb=0)
                terms.append(y[(i, b)])
        model.add_linear_constraint(mathopt.fast_sum(terms) == s)
    for i, (count, rps) in enumerate(loads):
        used = [demand[b] / rps[b] * y[(i, b)] for b in range(len(demand)) if (i, b) in y]
        if used:
            model.add_linear_constraint(mathopt.fast_sum(used) <= count * (1 + _TOL))
    model.maximize(s)
    result = mathopt.solve(model, mathopt.SolverType.GLOP)
    reason = result.termination.reason
    if reason == mathopt.TerminationReason.UNBOUNDED:
        return math.inf, _BY_LP
    if reason != mathopt.TerminationReason.OPTIMAL:
        return 0.0, math.inf
    return result.objective_value(), _BY_LP


def _canonical(name: str) -> str:
    acc = find_accelerator(name)
    return acc.name if acc else name


def _placement_problems(w: Workload, a: Allocation) -> list[str]:
    p, out = w.placement, []
    if p.providers and is_cloud(a.provider) and a.provider not in p.providers:
        out.append(f"provider {a.provider} is not among {list(p.providers)}")
    if a.service == "edge" and not getattr(w, "edge_share_max", 0.0):
        out.append("runs on edge devices but edge_share_max is 0")
    if p.regions and a.region not in p.regions:
        out.append(f"region {a.region} breaks residency {list(p.regions)}")
    if p.countries and not in_countries(a.provider, a.region, p.countries):
        country = region_country(a.provider, a.region) or "an unknown country"
        out.append(f"region {a.region} is in {country}, outside countries {list(p.countries)}")
    if p.accelerators and a.accelerator not in {_canonical(x) for x in p.accelerators}:
        out.append(f"accelerator {a.accelerator} is not among {list(p.accelerators)}")
    known = a.service in SERVICES
    if p.services and a.service != "edge" and not (known and allows_service(p.services, a.service)):
        out.append(f"service {a.service} is not among {list(p.services)}")
    spot_ok = p.spot if p.spot is not None else bool(getattr(w, "preemptible", False))
    if a.pricing == "spot" and not spot_ok:
        out.append("runs on spot but spot is not allowed")
    return out + _engine_problems(getattr(w, "engine", "vllm"), a, kv_dtype_of(w))


def _engine_problems(engine: str, a: Allocation, kv_dtype: str = "") -> list[str]:
    """An allocation no emit target can deploy with the engine (and KV-cache dtype) its
    capacity was planned for."""
    why = undeployable(
        engine,
        a.service,
        a.service in VM_SERVICES,
        a.accelerator,
        a.kind,
        a.nodes_per_replica or 1,
        kv_dtype,
    )
    if why:
        return [
            f"{a.kind} on {a.service} {a.instance_type} cannot be deployed with engine "
            f"{engine} (planner emit refuses it): {why}"
        ]
    return []


def _routable(
    loads: list[tuple[int, list[float]]],
    demand: list[float],
    edge: tuple[list[int], float] | None = None,
    *,
    closed_form: bool = True,
) -> bool:
    """Whether instances (count, per-bucket planned rps) can carry every bucket's demand (LP);
    with `edge` (which loads are edge devices, most requests/s they may take) within that too.
    `closed_form`: decide without the LP where `_routable_directly` can."""
    if closed_form and edge is None and (direct := _routable_directly(loads, demand)) is not None:
        return direct
    from ortools.math_opt.python import mathopt

    model = mathopt.Model(name="verify-routing")
    share = {}
    for b, d in enumerate(demand):
        terms = []
        for i, (_, rps) in enumerate(loads):
            if rps[b] > 0:
                share[(i, b)] = model.add_variable(lb=0, ub=1)
                terms.append(share[(i, b)])
        if not terms:
            if d > _TOL:
                return False
            continue  # a bucket no instance serves, its demand within tolerance of none
        model.add_linear_constraint(mathopt.fast_sum(terms) == 1)
    for i, (count, rps) in enumerate(loads):
        used = [demand[b] / rps[b] * share[(i, b)] for b in range(len(demand)) if (i, b) in share]
        if used:
            model.add_linear_constraint(mathopt.fast_sum(used) <= count * (1 + _TOL))
    if edge is not None:
        at_edge = [demand[b] * x for (i, b), x in share.items() if i in edge[0]]
        if at_edge:
            model.add_linear_constraint(mathopt.fast_sum(at_edge) <= edge[1])
    result = mathopt.solve(model, mathopt.SolverType.GLOP)
    return result.termination.reason == mathopt.TerminationReason.OPTIMAL


def _routable_directly(loads: list[tuple[int, list[float]]], demand: list[float]) -> bool | None:
    """`_routable` without the LP where it has a closed form: one instance type (it takes every
    bucket), one bucket (the instance types' capacities add up) or two instance types (the
    first takes the buckets that save the second most per unit of its own capacity first: a
    fractional knapsack); None otherwise, and where what is needed and what is had are too
    close for the closed form and the LP to be sure to agree."""
    served = [any(rps[b] > 0 for _, rps in loads) for b in range(len(demand))]
    if any(d > _TOL for d, s in zip(demand, served, strict=True) if not s):
        return False
    if not all(served):  # buckets no instance serves, each demand within tolerance of none
        demand = [d for d, s in zip(demand, served, strict=True) if s]
        loads = [(c, [r for r, s in zip(rps, served, strict=True) if s]) for c, rps in loads]
    if len(loads) == 1:
        count, rps = loads[0]
        return _compare(sum(d / r for d, r in zip(demand, rps, strict=True) if r > 0),
                        count * (1 + _TOL))  # fmt: skip
    if len(demand) == 1:
        return _compare(demand[0], sum(c * (1 + _TOL) * rps[0] for c, rps in loads))
    if len(loads) == 2:
        return _two_routable(loads, demand)
    return None


def _compare(need: float, have: float) -> bool | None:
    """need <= have, or None when the two are within _CLOSE of each other."""
    if abs(have - need) <= _CLOSE * max(have, need, 1.0):
        return None
    return need < have


def _two_routable(loads: list[tuple[int, list[float]]], demand: list[float]) -> bool | None:
    """Two instance types: each bucket only one of them serves goes there; the first's
    capacity left then takes the shared buckets in decreasing order of what they save the
    second per unit of the first's capacity; the second must hold the rest."""
    need1, have1, need2, have2 = _two_needs(loads, demand)
    if (first := _compare(need1, have1)) is not True:
        return first
    return _compare(need2, have2)


def _two_needs(
    loads: list[tuple[int, list[float]]] | list[tuple[int, tuple[float, ...]]],
    demand: list[float],
) -> tuple[float, float, float, float]:
    """What the first of two instance types must carry and has, and what the second then must
    carry at least and has (the knapsack of `_two_routable`)."""
    (c1, r1), (c2, r2) = loads
    have1, have2 = c1 * (1 + _TOL), c2 * (1 + _TOL)
    need1 = need2 = 0.0
    shared = []
    for d, x, y in zip(demand, r1, r2, strict=True):
        if d <= 0:
            continue
        if y <= 0:
            need1 += d / x
        elif x <= 0:
            need2 += d / y
        else:
            shared.append((x / y, d / x, d / y))
    room = have1 - need1
    for _, on_first, on_second in sorted(shared, reverse=True):
        # a demand so small its share of the first's capacity underflows to 0 costs nothing
        moved = 1.0 if on_first <= 0 else max(0.0, min(1.0, room / on_first))
        room -= moved * on_first
        need2 += (1 - moved) * on_second
    return need1, have1, need2, have2


def _two_largest(loads: list[tuple[int, tuple[float, ...]]], demand: list[float]) -> float:
    """sup {s: two instance types carry s x demand}, by bisection over `_two_needs` to the
    precision of a float (it is monotone in s)."""

    def fits(s: float) -> bool:
        need1, have1, need2, have2 = _two_needs(loads, [s * d for d in demand])
        return need1 <= have1 and need2 <= have2

    low, high = 0.0, 2.0
    while fits(high):
        low, high = high, high * 2
        if math.isinf(high):
            return math.inf
    for _ in range(64):
        mid = (low + high) / 2
        if mid in (low, high):
            break
        low, high = (mid, high) if fits(mid) else (low, mid)
    return low


def _figure_problems(
    w: ServingWorkload, a: Allocation, where: str, caps, rps: list[float], rtt_ms: float
) -> list[str]:
    """The allocation's routed rates, utilisation and predicted latencies, re-derived."""
    out = []
    buckets = w.traffic.request_buckets()
    sizes = [(b.input_tokens, b.output_tokens) for b in buckets]
    if a.routed_by_bucket:
        if [(r.input_tokens, r.output_tokens) for r in a.routed_by_bucket] != sizes:
            return [f"{where}.routed_by_bucket: its buckets are not the spec's {sizes}"]
        routed = [r.rps for r in a.routed_by_bucket]
    else:  # version 1: only the total is known
        routed = []
    if routed:
        load = sum(r / x for r, x in zip(routed, rps, strict=True) if r > _TOL and x > 0)
        if any(r > _TOL and x <= 0 for r, x in zip(routed, rps, strict=True)):
            out.append(f"{where}.routed_by_bucket: routes a bucket it cannot serve in the SLO")
        elif load > a.count * (1 + 1e-6) + _TOL + sum(
            _RATE_ROUNDING / x for r, x in zip(routed, rps, strict=True) if r > _TOL and x > 0
        ):  # each stored rate may be rounded up by half its last decimal
            out.append(
                f"{where}.routed_by_bucket: needs {load:.7g} instances' capacity, has {a.count}"
            )
        full = [a.count * a.replicas_per_instance * c.max_rps for c in caps]
        used = [b for b, r in enumerate(routed) if r > 1e-7]
        util = sum(routed[b] / full[b] for b in used if full[b] > 0)
        if a.utilisation is not None and not math.isclose(
            a.utilisation, util, rel_tol=1e-3, abs_tol=1e-4
        ):
            out.append(f"{where}.utilisation: {a.utilisation:g}, its routed load gives {util:g}")
        for name, given, values in (
            ("ttft_ms", a.ttft_ms, [caps[b].ttft_ms for b in used]),
            ("tpot_ms", a.tpot_ms, [caps[b].tpot_ms for b in used]),
        ):
            derived = max((v or 0.0 for v in values), default=None)
            if derived is not None and name == "ttft_ms":
                derived += rtt_ms
            if (
                given is not None
                and derived is not None
                and not math.isclose(given, derived, rel_tol=1e-3, abs_tol=1e-3)
            ):
                out.append(f"{where}.{name}: {given:g}, the performance model predicts {derived:g}")
    return out


@lru_cache(maxsize=4096)
def _model(name: str, defined: tuple) -> LLM | None:
    """find_llm, remembered (every workload of a fleet asks for one of a few models)."""
    return find_llm(name, defined)


@lru_cache(maxsize=65536)
def _bucket_capacity(model, acc, tp, input_tokens, output_tokens, slo, settings, dtype, profiles):
    """A replica's capacity for one bucket and the share of it the TTFT SLO's queueing leaves
    (pure functions of their arguments: remembered, since a sweep verifies the same instances
    in every scenario, and twice in one that leaves workloads short)."""
    cap = replica_capacity(
        model, acc, tp, input_tokens, output_tokens, slo, settings, weights_dtype=dtype,
        profiles=profiles,
    )  # fmt: skip
    return cap, queueing_cap(cap, slo.ttft_ms)


def _serving_problems(
    spec: Spec,
    w: ServingWorkload,
    mine: list[Allocation],
    settings,
    profiles,
    owned,
    index=None,
    shares: dict[int, float] | None = None,
    capacity: dict[str, Capacity] | None = None,
) -> list[str]:
    """Capacity, replicas, spread and spot share; with `index` (allocation -> its position in
    the plan) also the allocations' own figures (routed rates, utilisation, latencies); what
    the capacity check weighed goes into `capacity` when given."""
    settings = workload_settings(settings, w)
    model = _model(w.model, spec.user_llms())
    buckets = w.traffic.request_buckets()
    demand = [w.traffic.requests_per_second * b.fraction for b in buckets]
    slo = SLO(tpot_ms=w.slo.tpot_ms, ttft_ms=w.slo.ttft_p95_ms)
    out, loads = [], []
    edge_rps, at_edge = 0.0, []
    for a in mine:
        original = a
        pool = owned.get(a.capacity_pool) if a.capacity_pool else None
        acc = pool.accelerator if pool else find_accelerator(a.accelerator)
        if acc is None or model is None:
            out.append(f"cannot evaluate {a.instance_type}: unknown model or accelerator")
            continue
        dtype, target = w.weights_dtype, slo
        if a.service == "edge" and pool is not None:
            edge_rps += a.routed_rps or 0.0
            at_edge.append(len(loads))
            terms = edge_terms(w, pool, slo)
            if terms is None:
                out.append(f"{a.capacity_pool}: the round trip alone exceeds the TTFT SLO")
                continue
            dtype, target = terms
        nodes = a.nodes_per_replica or 1
        per_instance = a.accelerators_per_instance
        if nodes > 1:  # one replica over `nodes` instances: a pipeline's or a slice's view
            network = network_gbps(a.provider, a.instance_type)
            view = replica_view(acc, a.tp, per_instance, nodes, settings, network)
            if view is None:
                out.append(f"{a.instance_type}: a replica over {nodes} instances, joined by no "
                           "known network")  # fmt: skip
                continue
            acc = view
            a = a.model_copy(update={"count": a.count // nodes})  # replicas, for the figures
        rps, caps = [], []
        for b in buckets:
            cap, cap_share = _bucket_capacity(
                model, acc, a.tp, b.input_tokens, b.output_tokens, target, settings, dtype,
                profiles if nodes == 1 else None,
            )  # fmt: skip
            caps.append(cap)
            up = (shares or {}).get(id(original), 1.0)
            rps.append(a.replicas_per_instance * cap.max_rps * cap_share * up)
        if index is not None:
            rtt = pool.rtt_ms if pool is not None and a.service == "edge" else 0.0
            out += _figure_problems(w, a, f"allocations[{index[id(original)]}]", caps, rps, rtt)
        if a.tp * a.replicas_per_instance > per_instance and not spans_slice(
            a.tp, per_instance, nodes
        ):
            out.append(
                f"{a.instance_type}: {a.replicas_per_instance} replicas of TP {a.tp} "
                f"need more than its {a.accelerators_per_instance} accelerators"
            )
        loads.append((a.count, rps))
    short = None
    if not out and not _routable(loads, demand):
        short = f"the plan's instances cannot carry {sum(demand):g} requests/s within the SLO"
        out.append(short)
    edge_cap = w.edge_share_max * sum(demand) * (1 + 1e-6) + _TOL
    recorded = index is not None and mine and all(a.routed_by_bucket for a in mine)
    if recorded and edge_rps > edge_cap:
        out.append(f"edge devices serve {edge_rps:g} requests/s, above edge_share_max")
    elif not recorded and at_edge and not out and not _routable(loads, demand, (at_edge, edge_cap)):
        out.append(
            f"the plan's instances cannot carry {sum(demand):g} requests/s with edge devices "
            "serving at most edge_share_max of them"
        )
    if capacity is not None and len(loads) == len(mine):
        capacity[w.name] = Capacity(
            loads=tuple((c, tuple(r)) for c, r in loads),
            demand=tuple(demand),
            problem=short,
            edge=bool(at_edge),
        )
    out += replicas.check(w, mine)
    regions = sorted({(a.provider, a.region) for a in mine})
    out += spread_rule.check(w, mine)
    if w.placement.survive_region_loss and not out:
        for region in regions:
            left = [
                ld for a, ld in zip(mine, loads, strict=True) if (a.provider, a.region) != region
            ]
            if not _routable(left, demand):
                out.append(f"losing {region[0]} {region[1]} leaves too little capacity")
    return out


def _demand_problems(w: ServingWorkload, mine: list[Allocation]) -> list[str]:
    """The per-bucket routed rates of the allocations add up to the spec's demand."""
    if not mine or not all(a.routed_by_bucket for a in mine):
        return []
    buckets = w.traffic.request_buckets()
    if any(len(a.routed_by_bucket) != len(buckets) for a in mine):
        return []  # reported per allocation
    out = []
    for b, bucket in enumerate(buckets):
        demand = w.traffic.requests_per_second * bucket.fraction
        routed = sum(a.routed_by_bucket[b].rps for a in mine)
        if not math.isclose(routed, demand, rel_tol=1e-5, abs_tol=1e-4):
            out.append(
                f"routed_by_bucket: {routed:g} requests/s of bucket {bucket.input_tokens}+"
                f"{bucket.output_tokens} tokens routed, the spec asks {demand:g}"
            )
    return out


def _slo_problems(plan: Plan, w, mine: list[Allocation]) -> list[str]:
    """meets_slo as the spec's SLO and the (re-derived) predictions give it."""
    j = plan.workload_positions.get(w.name)
    if j is None:
        return ["is not among the plan's workloads"]
    result = plan.workloads[j]
    serving = isinstance(w, ServingWorkload)
    misses = slo_misses(
        w.kind,
        mine,
        ttft_ms=w.slo.ttft_p95_ms if serving else None,
        tpot_ms=w.slo.tpot_ms if serving else None,
        deadline_hours=None if serving else w.deadline_hours,
    )
    if result.meets_slo and misses:
        return [f"workloads[{j}].meets_slo: true, but against the spec " + "; ".join(misses)]
    if not result.meets_slo and not misses:
        return [f"workloads[{j}].meets_slo: false, but the spec's SLO is met"]
    return []


def _window_problems(a: Allocation, pool: OwnedPool | None, deadline: float | None) -> list[str]:
    """A job in a time window starts when it opens, ends within it and by the deadline, and
    is billed for all of it when it is paid in full."""
    if pool is None or not pool.window:
        return []
    out = []
    hours = a.hours or 0.0
    if not math.isclose(a.starts_at_hours or 0.0, pool.start_hours, abs_tol=_TOL):
        out.append(f"{a.instance_type}: starts at {a.starts_at_hours} h, {pool.name} opens "
                   f"at {pool.start_hours:g} h")  # fmt: skip
    if hours > (pool.duration_hours or 0.0) + _TOL:
        out.append(f"{a.instance_type}: runs {hours:.2f} h, longer than {pool.name}")
    if deadline is not None and pool.start_hours + hours > deadline + _TOL:
        out.append(f"{a.instance_type}: ends at {pool.start_hours + hours:.2f} h in {pool.name}, "
                   f"past the {deadline:g} h deadline")  # fmt: skip
    billed = pool.duration_hours if pool.paid_in_full else None
    if (billed is None) != (a.billed_hours is None) or (
        billed is not None and not math.isclose(billed, a.billed_hours or 0.0, abs_tol=_TOL)
    ):
        out.append(f"{a.instance_type}: billed for {a.billed_hours} h of {pool.name}, not "
                   f"{billed}")  # fmt: skip
    return out


def _batch_problems(
    spec: Spec,
    w: BatchWorkload,
    mine: list[Allocation],
    settings,
    shares: dict[int, float],
    owned: dict[str, OwnedPool] | None = None,
    capacity: dict[str, Capacity] | None = None,
) -> list[str]:
    settings = workload_settings(settings, w)
    model = _model(w.model, spec.user_llms())
    # Plan files keep hours to 1e-6 h, so each allocation's stored hours may fall short of the
    # solver's by half of that: a shortfall within the rounding is not a broken promise.
    v, out, done, rounding = w.volume, [], 0.0, 0.0
    for a in mine:
        acc, nodes = find_accelerator(a.accelerator), a.nodes_per_replica or 1
        per_unit = a.accelerators_per_instance
        if nodes > 1:  # one replica over `nodes` instances: the pipeline's view of the chip
            network = network_gbps(a.provider, a.instance_type)
            acc = replica_chip(acc, a.tp, nodes, settings, network)
            if acc is None:
                out.append(f"{a.instance_type}: a replica over {nodes} instances, joined by no "
                           "known network")  # fmt: skip
                continue
            per_unit = a.tp
        rate = batch_throughput(
            model,
            acc,
            per_unit,
            a.tp,
            v.input_tokens,
            v.output_tokens,
            settings,
            weights_dtype=w.weights_dtype,
        ).requests_per_s
        rate *= shares.get(id(a), 1.0)
        units = a.count // nodes
        done += units * (a.hours or 0.0) * 3600 * rate
        rounding += units * HOURS_RESOLUTION / 2 * 3600 * rate
        pool = (owned or {}).get(a.capacity_pool or "")
        out += _window_problems(a, pool, w.deadline_hours)
        if pool is None and (a.hours or 0.0) > w.deadline_hours + _TOL:
            out.append(
                f"{a.instance_type} runs {a.hours:.2f} h, past the {w.deadline_hours:g} h deadline"
            )
    short = None
    if done + rounding < v.request_count * (1 - 1e-6):
        short = f"completes {done:,.0f} of {v.request_count:,.0f} requests"
        out.append(short)
    if capacity is not None:
        capacity[w.name] = Capacity(done=done + rounding, asked=v.request_count, problem=short)
    return out


def _training_problems(
    spec: Spec,
    w: TrainingWorkload,
    mine: list[Allocation],
    settings,
    shares: dict[int, float],
    owned: dict[str, OwnedPool] | None = None,
):
    if len(mine) != 1:
        return [f"needs exactly one gang, the plan has {len(mine)} allocations"]
    (a,) = mine
    acc = find_accelerator(a.accelerator)
    out = []
    if a.count * a.accelerators_per_instance < w.gang_size:
        out.append(
            f"{a.count * a.accelerators_per_instance} accelerators, gang needs {w.gang_size}"
        )
    memory = acc.memory_gb if acc else 0.0
    if w.min_accelerator_memory_gb and memory < w.min_accelerator_memory_gb:
        out.append(f"{a.accelerator} has {memory:g} GB, below {w.min_accelerator_memory_gb:g} GB")
    if w.model is not None:
        model = _model(w.model, spec.user_llms())
        network = None if a.capacity_pool else network_gbps(a.provider, a.instance_type)
        gang = training_gang(model, acc, acc.memory_gb if acc else 0.0,
                             a.accelerators_per_instance, w.gang_size, w.tokens or 0.0,
                             TRAINING_BYTES_PER_PARAM, settings, network)  # fmt: skip
        if gang is None:
            return [f"no gang of {a.accelerator} holds {model.name}'s training state"]
        if a.count < gang.instances:
            out.append(f"{a.count} instances, the gang needs {gang.instances} to hold "
                       f"{model.name}'s training state")  # fmt: skip
        hours = gang.hours
    else:
        ref = find_accelerator(w.reference_accelerator or "")
        hours = scale_gpu_hours(w.gpu_hours or 0.0, ref, acc) / w.gang_size
    hours /= shares.get(id(a), 1.0)
    pool = (owned or {}).get(a.capacity_pool or "")
    if pool is not None and pool.window:
        out += _window_problems(a.model_copy(update={"hours": hours}), pool, w.deadline_hours)
    elif w.deadline_hours is not None and hours > w.deadline_hours + _TOL:
        out.append(f"needs {hours:.2f} h, past the {w.deadline_hours:g} h deadline")
    return out


def _shared_group_problems(plan: Plan) -> list[Violation]:
    """Shared groups hold their replicas' GPUs, and their cost is what the members are charged."""
    found = []
    groups = {g.name: g for g in plan.shared_groups}
    members: dict[str, list[Allocation]] = defaultdict(list)
    for a in plan.allocations:
        if a.shared_group:
            members[a.shared_group].append(a)
            if a.service not in VM_SERVICES:
                found.append(Violation(a.workload, f"shares {a.service} instances (VMs only)"))
    for name, allocs in sorted(members.items()):
        group = groups.get(name)
        if group is None:
            found.append(Violation("fleet", f"shared group {name} is not listed in the plan"))
            continue
        gpus = sum(a.count * a.tp for a in allocs)
        if gpus > group.instances * group.accelerators_per_instance:
            found.append(
                Violation(
                    "fleet",
                    f"{name}: {gpus} GPUs of replicas on {group.instances} x "
                    f"{group.accelerators_per_instance}-GPU instances",
                )
            )
        charged = sum(a.cost_per_hour for a in allocs)
        cost = group.instances * allocs[0].price_per_hour
        if not math.isclose(charged, cost, rel_tol=1e-6, abs_tol=1e-6):
            found.append(
                Violation("fleet", f"{name}: members pay {charged:.4f}/h, not {cost:.4f}/h")
            )
    return found


def commitment_violations(plan: Plan, spec: Spec, offerings: dict) -> list[Violation]:
    """Covered usage is in its commitment's scope, at most its list cost, and within what each
    of the spec's commitments covers per hour."""
    found: list[Violation] = []
    covers = {k.name: k for k in covers_of(spec.commitments)}
    used: dict[str, float] = defaultdict(float)
    for a in plan.allocations:
        if a.covered_per_hour > a.count * a.price_per_hour + 1e-5:
            found.append(Violation(a.workload, f"{a.instance_type}: covered above its list cost"))
        key = (a.provider, a.region, a.zone, a.service, a.instance_type)
        o = offerings.get(key)
        for name, dollars in a.covered_by.items():
            k = covers.get(name)
            if k is None:
                found.append(Violation(a.workload, f"covered by {name}, not a spec commitment"))
            elif o is None or not k.covers(o, a.pricing):
                found.append(Violation(a.workload, f"{a.instance_type} is outside {name}'s scope"))
            else:
                used[name] += dollars * k.units_per_dollar(o, a.price_per_hour)
    for name, amount in sorted(used.items()):
        capacity = covers[name].capacity
        if amount > capacity * (1 + 1e-6) + 1e-5:
            found.append(
                Violation("fleet", f"{name} covers {amount:,.4f} {covers[name].unit}/h, more "
                                   f"than its {capacity:,.4f}")
            )  # fmt: skip
    return found


def residency_violations(plan: Plan) -> list[Violation]:
    """Deployment references (images, weights, keys) outside a workload's allowed regions, or a
    KMS key outside its endpoint's region: what `planner emit` would refuse."""
    try:
        return [Violation(p.workload, p.message) for p in breaches(plan)]
    except InputError as err:
        return [Violation("deploy", str(err))]


def verify(
    plan: Plan,
    spec: Spec,
    catalog: Catalog,
    *,
    settings: PerfSettings = DEFAULT_SETTINGS,
    profiles: Profiles | None = None,
    figures: bool = True,
    capacity: dict[str, Capacity] | None = None,
) -> list[Violation]:
    """Every way `plan` breaks `spec` on `catalog`; empty when the plan keeps every promise.

    With `figures` (the default) the plan's own figures are re-derived too: each allocation's
    routed rate per bucket (adding up to the spec's demand), utilisation and predicted TTFT and
    TPOT, and each workload's meets_slo against the spec's SLO. What-if evaluations of a fixed
    fleet under changed traffic (planner sweep --plan) turn that off: the routing recorded is
    the one for the spec the plan was made for. Given `capacity` (a dict), what each serving
    and batch workload's capacity check weighed is recorded in it by workload name.
    """
    found: list[Violation] = []
    extra, owned, _ = owned_capacity(spec, catalog, plan.plan_date or clock.today())
    listed = with_negotiated_discounts(catalog.offerings, spec.commitments)
    offerings = {o.key: o for o in (*listed, *extra)}
    workloads = {w.name: w for w in spec.workloads}
    names = workloads.keys()
    by_workload: dict[str, list[Allocation]] = defaultdict(list)
    shares: dict[int, float] = {}
    """Share of each spot allocation's time doing useful work (planner.perf.sizing)."""
    for a in plan.allocations:
        if a.workload not in names:
            found.append(Violation(a.workload, "is not a workload of the spec"))
            continue
        by_workload[a.workload].append(a)
        key = (a.provider, a.region, a.zone, a.service, a.instance_type)
        o = offerings.get((*key, a.capacity_pool) if a.capacity_pool else key)
        if o is None:
            found.append(
                Violation(a.workload, f"{a.instance_type} in {a.region} is not in the catalog")
            )
            continue
        price = o.price(a.pricing)
        if price is None or not math.isclose(price, a.price_per_hour, rel_tol=1e-6):
            found.append(
                Violation(
                    a.workload,
                    f"{a.instance_type} {a.pricing} price {a.price_per_hour} "
                    f"differs from the catalog's {price}",
                )
            )
        if (o.accelerator, o.accelerator_count) != (a.accelerator, a.accelerators_per_instance):
            found.append(
                Violation(
                    a.workload,
                    f"{a.instance_type} holds {o.accelerator_count} x "
                    f"{o.accelerator}, not as the plan says",
                )
            )
        if not a.shared_group and not math.isclose(
            a.cost_per_hour, a.count * a.price_per_hour - a.covered_per_hour,
            rel_tol=1e-6, abs_tol=1e-5,
        ):  # fmt: skip
            found.append(
                Violation(a.workload, f"{a.instance_type} cost_per_hour is not count x price")
            )
        found += [Violation(a.workload, m) for m in _placement_problems(workloads[a.workload], a)]
        shares[id(a)] = efficiency(o, a.pricing, "serving" if a.kind == "serving" else "job")
    index = {id(a): i for i, a in enumerate(plan.allocations)} if figures else None
    for w in spec.workloads:
        mine = by_workload.get(w.name, [])
        try:
            if isinstance(w, ServingWorkload):
                problems = _serving_problems(
                    spec, w, mine, settings, profiles, owned, index, shares, capacity
                )
                problems += _demand_problems(w, mine) if figures else []
            elif isinstance(w, BatchWorkload):
                problems = _batch_problems(spec, w, mine, settings, shares, owned, capacity)
            else:
                problems = _training_problems(spec, w, mine, settings, shares, owned)
        except (ValueError, ZeroDivisionError, OverflowError) as err:
            problems = [f"cannot be evaluated: {err}"]
        for check in families.WORKLOAD_CHECKS:
            problems += check(w, mine)
        problems += _slo_problems(plan, w, mine) if figures else []
        found += [Violation(w.name, m) for m in problems]
    found += _shared_group_problems(plan)
    for check in families.FLEET_CHECKS:
        found += [Violation("fleet", m) for m in check(spec, owned, plan.allocations)]
    found += commitment_violations(plan, spec, offerings)
    return found + residency_violations(plan)
