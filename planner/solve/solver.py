"""Solve a spec into a Plan: candidates, MIP, solution read-back, baselines, explanations."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import replace

from planner import clock
from planner.catalog import Catalog, load_catalog
from planner.clouds import allows_service, is_cloud
from planner.errors import InfeasibleError, PlannerError
from planner.perf import DEFAULT_SETTINGS, PerfSettings, Profiles
from planner.plans.identity import identity
from planner.plans.model import (
    COMPATIBLE_TOLERANCE,
    HOURS_PER_MONTH,
    Allocation,
    Alternative,
    Baseline,
    BucketRate,
    CapacityUse,
    CatalogSource,
    InstanceOption,
    Plan,
    Provenance,
    SharedGroup,
    WorkloadResult,
)
from planner.plans.slo import slo_misses
from planner.solve.candidates import (
    Candidate,
    batch_candidates,
    resolve_llm,
    serving_candidates,
    training_candidates,
)
from planner.solve.decompose import decompose, eligible
from planner.solve.diagnose import conflicting_groups, explain_conflict, why_no_candidates
from planner.solve.mip import Built, PlacementProblem, build
from planner.solve.owned import owned_capacity
from planner.solve.parallel import parallel_map
from planner.solve.pools import quota_accelerator, quota_covers
from planner.solve.run import SOLVER_NAME, Outcome, SolveOptions, run
from planner.solve.solution import Solution, read_solution
from planner.spec.models import BatchWorkload, ServingWorkload, Spec, TrainingWorkload, Workload

_EPS = 1e-7


def make_problem(
    spec: Spec,
    catalog: Catalog,
    settings: PerfSettings = DEFAULT_SETTINGS,
    profiles: Profiles | None = None,
    today: dt.date | None = None,
    workers: int = 1,
) -> PlacementProblem:
    """Each workload's candidates over the catalog and the spec's own capacity (reservations
    whose term has ended by `today`, default the clock's, are left out), over `workers`
    processes; InfeasibleError if a workload has none."""
    extra, owned, _ = owned_capacity(spec, catalog, today or clock.today())
    offerings = (*catalog.offerings, *extra)
    candidates: dict[str, tuple[Candidate, ...]] = {}
    missing: list[str] = []
    state = (spec, offerings, settings, profiles, owned)
    found_all = parallel_map(_candidates_of, state, list(spec.workloads), workers)
    for w, found in zip(spec.workloads, found_all, strict=True):
        candidates[w.name] = found
        if not found:
            missing.append(why_no_candidates(spec, w, catalog.offerings))
    if missing:
        raise InfeasibleError(
            "No plan: some workloads cannot run on any offering:\n  - " + "\n  - ".join(missing)
        )
    return PlacementProblem(spec, candidates, owned)


def _candidates_of(state, w: Workload) -> tuple[Candidate, ...]:
    spec, offerings, settings, profiles, owned = state
    if isinstance(w, ServingWorkload):
        return tuple(serving_candidates(spec, w, offerings, settings, profiles, owned))
    if isinstance(w, BatchWorkload):
        return tuple(batch_candidates(spec, w, offerings, settings, owned))
    return tuple(training_candidates(spec, w, offerings, settings, owned))


def _value(outcome: Outcome, var) -> float:
    return outcome.result.variable_values(var)


def _serving_allocations(problem, solution: Solution, w: ServingWorkload) -> list[Allocation]:
    demand = problem.demand(w)
    out = []
    for i, c in enumerate(problem.candidates[w.name]):
        n = solution.count(w.name, i)
        if n <= 0:
            continue
        routed = [demand[b] * solution.shares.get((w.name, i, b), 0.0) for b in range(len(demand))]
        used = [b for b, r in enumerate(routed) if r > _EPS]
        full = [n * c.replicas_per_instance * cap.max_rps for cap in c.capacities]
        utilisation = sum(routed[b] / full[b] for b in used)
        ttft = max((c.capacities[b].ttft_ms or 0.0 for b in used), default=None)
        tpot = max((c.capacities[b].tpot_ms or 0.0 for b in used), default=None)
        batches = [c.capacities[b].max_batch for b in used] or [
            cap.max_batch for cap in c.capacities
        ]
        shared = _shared_share(problem, solution, c, n) if c.shared else {}
        shared["routed_by_bucket"] = [
            BucketRate(input_tokens=b.input_tokens, output_tokens=b.output_tokens,
                       rps=round(max(r, 0.0), 6))
            for b, r in zip(w.traffic.request_buckets(), routed, strict=True)
        ]  # fmt: skip
        sources = {c.capacities[b].source for b in used} or {cap.source for cap in c.capacities}
        shared["capacity_source"] = "profile" if sources == {"profile"} else (
            "roofline" if sources == {"roofline"} else "profile+roofline")  # fmt: skip
        if c.offering.owned:
            shared["capacity_pool"] = c.offering.owned
            if c.offering.service_kind == "edge" and ttft is not None:
                ttft += problem.owned[c.offering.owned].rtt_ms
        out.append(_allocation(w, c, n, routed_rps=max(0.0, sum(routed)), utilisation=utilisation,
                               max_batch=min(batches), max_context=max(
                                   i + o for i, o in ((b.input_tokens, b.output_tokens)
                                                      for b in w.traffic.request_buckets())),
                               ttft_ms=ttft, tpot_ms=tpot, **shared))  # fmt: skip
    return out


def group_id(group: tuple) -> str:
    """A shared group's name: provider/region/zone/service/instance type/pricing."""
    (provider, region, zone, service, instance_type), pricing = group
    return "/".join(p for p in (provider, region, zone, service, instance_type, pricing) if p)


def _shared_share(problem: PlacementProblem, solution: Solution, c: Candidate, n: int) -> dict:
    """A shared allocation's group, the group's instances, and its share of their cost."""
    used = sum(
        s.tp * solution.count(name, i)
        for name, cands in problem.candidates.items()
        for i, s in enumerate(cands)
        if s.shared and s.shared_group == c.shared_group
    )
    instances = solution.shared_instances.get(c.shared_group, 0)
    share = c.tp * n / used if used else 0.0
    return {
        "shared_group": group_id(c.shared_group),
        "shared_instances": instances,
        "cost_per_hour": share * instances * c.price,
    }


def _shared_groups(allocations: list[Allocation]) -> list[SharedGroup]:
    """The shared instance groups of a plan, from its shared allocations."""
    groups: dict[str, list[Allocation]] = defaultdict(list)
    for a in allocations:
        if a.shared_group:
            groups[a.shared_group].append(a)
    out = []
    for name in sorted(groups):
        members = groups[name]
        first = members[0]
        out.append(
            SharedGroup(
                name=name,
                provider=first.provider,
                region=first.region,
                service=first.service,
                instance_type=first.instance_type,
                accelerator=first.accelerator,
                pricing=first.pricing,
                instances=first.shared_instances or 0,
                accelerators_per_instance=first.accelerators_per_instance,
                accelerators_used=sum(a.tp * a.count for a in members),
                cost_per_hour=round((first.shared_instances or 0) * first.price_per_hour, 6),
                workloads=sorted({a.workload for a in members}),
            )
        )
    return out


def _allocation(w: Workload, c: Candidate, n: int, **extra) -> Allocation:
    o = c.offering
    extra.setdefault("cost_per_hour", n * c.price)
    if o.owned:
        extra.setdefault("capacity_pool", o.owned)
    return Allocation(
        workload=w.name,
        kind=w.kind,
        provider=o.provider,
        region=o.region,
        zone=o.zone,
        service=o.service,
        instance_type=o.instance_type,
        accelerator=o.accelerator,
        accelerators_per_instance=o.accelerator_count,
        pricing=c.pricing,  # type: ignore[arg-type]
        count=n,
        tp=c.tp,
        replicas_per_instance=c.replicas_per_instance,
        price_per_hour=c.price,
        source=o.source,
        as_of=o.as_of,
        **{k: (round(v, 6) if isinstance(v, float) else v) for k, v in extra.items()},
    )


def _job_allocations(problem, solution: Solution, w: Workload) -> list[Allocation]:
    out = []
    for i, c in enumerate(problem.candidates[w.name]):
        n = solution.count(w.name, i)
        if isinstance(w, BatchWorkload):
            hours = solution.hours.get((w.name, i), 0.0)
            if n <= 0 or hours <= _EPS:
                continue
            out.append(_allocation(w, c, n, hours=hours / n, job_cost=hours * c.price))
        elif n > 0:
            out.append(
                _allocation(w, c, c.instances, hours=c.hours,
                            job_cost=c.instances * c.price * c.hours)
            )  # fmt: skip
    return out


def single_choice_cost(w: Workload, c: Candidate, demand: tuple[float, ...]) -> float | None:
    """Cost of running `w` entirely on one candidate (hourly for serving, per job otherwise)."""
    if c.shared:
        return None
    if isinstance(w, ServingWorkload):
        if any(r <= 0 for r in c.bucket_rps):
            return None
        load = sum(d / r for d, r in zip(demand, c.bucket_rps, strict=True))
        n = max(math.ceil(load - 1e-9), math.ceil(w.min_replicas / c.replicas_per_instance))
        if w.max_replicas is not None and n * c.replicas_per_instance > w.max_replicas:
            return None
        return n * c.price
    if isinstance(w, BatchWorkload):
        return w.volume.request_count / (c.batch_rps * 3600) * c.price
    return c.instances * c.price * c.hours


def _single_instances(w: Workload, c: Candidate, demand: tuple[float, ...]) -> int:
    if isinstance(w, ServingWorkload):
        load = sum(d / r for d, r in zip(demand, c.bucket_rps, strict=True))
        return max(math.ceil(load - 1e-9), math.ceil(w.min_replicas / c.replicas_per_instance))
    if isinstance(w, BatchWorkload):
        hours = w.volume.request_count / (c.batch_rps * 3600)
        return math.ceil(hours / w.deadline_hours - 1e-9)
    return c.instances


def _describe(c: Candidate) -> str:
    o = c.offering
    spot = " spot" if c.pricing == "spot" else ""
    shape = f"{o.accelerator_count}x {o.accelerator}, TP {c.tp}"
    return f"{o.instance_type}{spot} ({shape}) in {o.provider} {o.region}"


def _alternatives(problem: PlacementProblem, w: Workload, chosen: set[str]) -> list[Alternative]:
    """The cheapest single choice per accelerator type the plan did not use."""
    demand = problem.demand(w) if isinstance(w, ServingWorkload) else ()
    best: dict[str, tuple[float, Candidate]] = {}
    for c in problem.candidates[w.name]:
        cost = single_choice_cost(w, c, demand)
        key = c.offering.accelerator
        if cost is not None and key not in chosen and (key not in best or cost < best[key][0]):
            best[key] = (cost, c)
    ranked = sorted(best.values(), key=lambda item: (item[0], item[1].sort_key))[:3]
    return [Alternative(description=_describe(c), cost=round(cost, 4)) for cost, c in ranked]


def _pool_usage(spec: Spec, allocations: list[Allocation]) -> dict[int, int]:
    holders = [
        ((a.provider, a.region, a.accelerator, a.pricing), a.count * a.accelerators_per_instance)
        for a in allocations
        if not a.shared_group
    ] + [
        (
            (g.provider, g.region, g.accelerator, g.pricing),
            g.instances * g.accelerators_per_instance,
        )
        for g in _shared_groups(allocations)
    ]
    usage = {}
    for i, q in enumerate(spec.constraints.quotas):
        name = quota_accelerator(q)
        usage[i] = sum(held for pool, held in holders if quota_covers(q, pool, name))
    return usage


def _over_quota(spec: Spec, allocations: list[Allocation]) -> list[str]:
    over = []
    for i, used in _pool_usage(spec, allocations).items():
        q = spec.constraints.quotas[i]
        if used > q.max_accelerators:
            over.append(
                f"{q.provider} {q.region} {q.accelerator}: needs {used}, quota {q.max_accelerators}"
            )
    return over


def _baseline_cheapest_single(problem: PlacementProblem, plan_value: float) -> Baseline:
    """(a) Each workload on its own cheapest single choice, blind to the others (per-task)."""
    spec = problem.spec
    allocations, hourly, jobs = [], 0.0, 0.0
    for w in spec.workloads:
        demand = problem.demand(w) if isinstance(w, ServingWorkload) else ()
        priced = [
            (cost, c.sort_key, c)
            for c in problem.candidates[w.name]
            if (cost := single_choice_cost(w, c, demand)) is not None
        ]
        if not priced:
            continue
        cost, _, c = min(priced, key=lambda item: item[:2])
        if isinstance(w, ServingWorkload):
            hourly += cost
        else:
            jobs += cost
        allocations.append(_allocation(w, c, _single_instances(w, c, demand)))
    value = hourly + jobs
    breaks = [
        f"{w.name}: one instance type in one region ignores "
        + ("survive_region_loss" if w.placement.survive_region_loss else "min_regions")
        for w in spec.workloads
        if isinstance(w, ServingWorkload)
        and (w.placement.min_regions > 1 or w.placement.survive_region_loss)
    ]
    return Baseline(
        breaks=breaks,
        name="cheapest-single-choice",
        description="each workload on its cheapest single instance type, ignoring the others "
        "(what a per-task optimizer such as SkyPilot's picks); spread rules ignored",
        cost_per_hour=round(hourly, 4),
        job_cost=round(jobs, 4),
        objective_value=round(value, 4),
        savings=round(value - plan_value, 4),
        over_quota=_over_quota(spec, allocations),
    )


def _baseline_without_owned(spec, catalog, plan_value, profiles, settings, options):
    """(d) The same fleet bought entirely from the clouds: what owned capacity saves."""
    if not spec.capacity:
        return None
    try:
        alone = solve(
            spec.model_copy(update={"capacity": ()}), catalog, profiles=profiles,
            settings=settings, options=options, baselines=False, diagnose=False,
        )  # fmt: skip
    except PlannerError:
        return None
    return Baseline(
        name="ignore-owned-capacity",
        description="everything bought from the clouds, reservations, own clusters and edge "
        "devices unused (commitments are paid either way)",
        cost_per_hour=alone.cost_per_hour,
        job_cost=alone.job_cost,
        objective_value=alone.objective_value,
        savings=round(alone.objective_value - plan_value, 4),
    )


def _widened(w: Workload, offering) -> Workload:
    """`w` with its placement opened just enough to admit `offering`."""
    p = w.placement
    update = {}
    if p.regions and offering.region not in p.regions:
        update["regions"] = (*p.regions, offering.region)
    cloud = is_cloud(offering.provider)
    if p.providers and cloud and offering.provider not in p.providers:
        update["providers"] = (*p.providers, offering.provider)
    if p.accelerators and offering.accelerator not in p.accelerators:
        update["accelerators"] = (*p.accelerators, offering.accelerator)
    if (
        p.services
        and offering.service_kind == "vm"
        and not allows_service(p.services, offering.service)
    ):
        update["services"] = (*p.services, "vm")
    if not update:
        return w
    return w.model_copy(update={"placement": p.model_copy(update=update)})


def _recommend(use, problem, catalog, plan_value, profiles, settings, options, today):
    """For idle committed capacity: the workload whose placement keeps it off the pool and
    what letting it on would save (one re-solve per workload, at most three)."""
    pool = problem.owned[use.name]
    if not use.idle or not pool.committed_per_hour:
        return use
    spec = problem.spec
    extra, _, _ = owned_capacity(spec, catalog, today)
    offering = next(o for o in extra if o.owned == use.name)
    best = None
    tried = 0
    for w in spec.workloads:
        wider = _widened(w, offering)
        if isinstance(w, TrainingWorkload) or wider is w:
            continue
        tried += 1
        if tried > 3:
            break
        workloads = tuple(wider if x.name == w.name else x for x in spec.workloads)
        try:
            moved = solve(spec.model_copy(update={"workloads": workloads}), catalog,
                          profiles=profiles, settings=settings, options=options,
                          baselines=False, diagnose=False, as_of=today)  # fmt: skip
        except PlannerError:
            continue
        saving = plan_value - moved.objective_value
        if saving > 1e-6 and (best is None or saving > best[0]):
            best = (saving, w.name)
    if best is None:
        return use
    note = (
        f"{use.note}; {best[1]} could move onto it if its placement allowed "
        f"{offering.provider} {offering.region} {offering.accelerator}: saves "
        f"${best[0]:,.2f}/h"
    )
    return use.model_copy(update={"note": note})


def capacity_use(problem: PlacementProblem, allocations: list[Allocation], today: dt.date | None):
    """Per owned pool: accelerators used and idle, and what idle committed capacity costs."""
    out = []
    specs = {p.name: p for p in problem.spec.capacity}
    for name in sorted(problem.owned):
        pool = problem.owned[name]
        selector = dict(getattr(specs.get(name), "node_selector", {}) or {})
        used = sum(
            a.count * (a.tp if a.shared_group else a.accelerators_per_instance)
            for a in allocations
            if a.capacity_pool == name
        )
        idle = max(pool.accelerators - used, 0)
        remaining = None
        if pool.term_end is not None and today is not None:
            hours = max((pool.term_end - today).days + 1, 0) * 24
            remaining = round(pool.committed_per_hour * hours, 2)
        idle_share = idle / pool.accelerators if pool.accelerators else 0.0
        note = "fully used" if not idle else f"{idle} of {pool.accelerators} idle"
        if idle and pool.committed_per_hour:
            note += ": paid for but unused"
        out.append(
            CapacityUse(
                name=name,
                kind=pool.kind,
                accelerator=pool.accelerator.name,
                accelerators=pool.accelerators,
                used=used,
                idle=idle,
                utilisation=round(used / pool.accelerators, 6) if pool.accelerators else 0.0,
                committed_per_hour=pool.committed_per_hour,
                idle_commitment_per_hour=round(pool.committed_per_hour * idle_share, 6),
                commitment_remaining=remaining,
                term_end=pool.term_end.isoformat() if pool.term_end else None,
                note=note,
                node_selector=selector,
                weights_dtype=pool.weights_dtype,
            )
        )
    return out


def _baseline_dedicated(spec, catalog, allocations, plan_value, profiles, settings, options):
    """(c) The same fleet with every workload on instances of its own: what sharing saved."""
    if not any(a.shared_group for a in allocations):
        return None
    workloads = tuple(
        w.model_copy(update={"sharing": "dedicated"}) if isinstance(w, ServingWorkload) else w
        for w in spec.workloads
    )
    try:
        alone = solve(
            spec.model_copy(update={"workloads": workloads}), catalog, profiles=profiles,
            settings=settings, options=options, baselines=False, diagnose=False,
        )  # fmt: skip
    except PlannerError:
        return None
    return Baseline(
        name="dedicated-instances",
        description="every workload on instances of its own (no sharing of multi-GPU instances)",
        cost_per_hour=alone.cost_per_hour,
        job_cost=alone.job_cost,
        objective_value=alone.objective_value,
        savings=round(alone.objective_value - plan_value, 4),
    )


def _fractional_floor(cands: list[Candidate], demand: tuple[float, ...]) -> float:
    """A lower bound on serving `demand` with `cands`: each bucket at its cheapest $/rps."""
    total = 0.0
    for b, d in enumerate(demand):
        rates = [c.price / c.bucket_rps[b] for c in cands if c.bucket_rps[b] > 0]
        if not rates:
            return math.inf
        total += d * min(rates)
    return total


def _baseline_single_type(problem: PlacementProblem, options: SolveOptions, plan_hourly: float):
    """(b) Each serving workload on the best single accelerator type (Mélange's baseline)."""
    spec = problem.spec
    serving = [w for w in spec.workloads if isinstance(w, ServingWorkload)]
    if not serving:
        return None
    total, allocations = 0.0, []
    for w in serving:
        best = None
        demand = problem.demand(w)
        by_type: dict[str, list[Candidate]] = defaultdict(list)
        for c in problem.candidates[w.name]:
            by_type[c.offering.accelerator].append(c)
        for floor, acc in sorted((_fractional_floor(by_type[a], demand), a) for a in by_type):
            if best is not None and floor >= best[0] - _EPS:
                break  # no fleet of this or any later type can beat the best one found
            sub_spec = spec.model_copy(update={"workloads": (w,)})
            cands = tuple(by_type[acc])
            sub = PlacementProblem(sub_spec, {w.name: cands}, problem.owned)
            built = build(sub)
            outcome = run(built, replace(options, relative_gap=max(options.relative_gap, 0.01)))
            if outcome.status in ("optimal", "feasible") and (
                best is None or outcome.objective < best[0] - _EPS
            ):
                solution = read_solution(sub, built, outcome)
                best = (outcome.objective, _serving_allocations(sub, solution, w))
        if best is None:
            return None
        total += best[0]
        allocations += best[1]
    return Baseline(
        name="best-single-accelerator-type",
        description="each serving workload on one accelerator type, the best for it "
        "(Mélange's homogeneous baseline); serving $/h only",
        cost_per_hour=round(total, 4),
        job_cost=0.0,
        objective_value=round(total, 4),
        savings=round(total - plan_hourly, 4),
        over_quota=_over_quota(spec, allocations),
    )


def _binding(spec: Spec, w: Workload, mine: list[Allocation], peak: float, usage) -> list[str]:
    notes = []
    for i, used in usage.items():
        q = spec.constraints.quotas[i]
        touches = any(
            (a.provider, a.region) == (q.provider, q.region) and a.accelerator in q.accelerator
            for a in mine
        )
        if used == q.max_accelerators and q.max_accelerators and touches:
            notes.append(f"quota {q.provider} {q.region} {q.accelerator} is fully used ({used})")
    budget = spec.constraints.budget_per_hour
    if budget is not None and peak >= budget - 1e-6:
        notes.append(f"budget ${budget:g}/h is fully used")
    if isinstance(w, ServingWorkload):
        replicas = sum(a.count * a.replicas_per_instance for a in mine)
        if replicas == w.min_replicas:
            notes.append(f"min_replicas ({w.min_replicas})")
        if w.max_replicas is not None and replicas == w.max_replicas:
            notes.append(f"max_replicas ({w.max_replicas})")
        regions = {(a.provider, a.region) for a in mine}
        if w.placement.min_regions > 1 and len(regions) == w.placement.min_regions:
            notes.append(f"min_regions ({w.placement.min_regions})")
    return notes


def _edge_notes(problem: PlacementProblem, w: ServingWorkload, mine: list[Allocation]) -> list[str]:
    """Why edge pools a workload may use serve none of it (e.g. the model does not fit)."""
    from planner.perf import memory_fit

    if w.edge_share_max <= 0 or any(a.service == "edge" for a in mine):
        return []
    model = resolve_llm(problem.spec, w.model)
    context = max(b.input_tokens + b.output_tokens for b in w.traffic.request_buckets())
    notes = []
    for name, pool in sorted(problem.owned.items()):
        if pool.kind != "edge":
            continue
        dtype = pool.weights_dtype or w.weights_dtype
        fit = memory_fit(model, pool.accelerator, 1, context, 1, dtype)
        if not fit.fits:
            why = f"{model.name} at {dtype} does not fit {pool.accelerator.name}: {fit.reason}"
        else:
            why = (
                f"not used (outside the placement, or the {pool.rtt_ms:g} ms round trip plus "
                "the device's speed misses the SLO)"
            )
        notes.append(f"edge pool {name}: {why}")
    return notes


def workload_result(problem, w, allocations, peak, usage=None, mine=None) -> WorkloadResult:
    """`usage` (the quotas' use) and `mine` (w's allocations) where the caller has them: a
    fleet's results then take linear time."""
    mine = [a for a in allocations if a.workload == w.name] if mine is None else mine
    usage = _pool_usage(problem.spec, allocations) if usage is None else usage
    slo_note = ""
    if isinstance(w, ServingWorkload):
        worst_tpot = max((a.tpot_ms or 0.0 for a in mine), default=0.0)
        worst_util = max((a.utilisation or 0.0 for a in mine), default=0.0)
        parts = [f"max utilisation {worst_util:.0%}"]
        if w.slo.tpot_ms:
            parts.append(f"TPOT {worst_tpot:.1f} of {w.slo.tpot_ms:g} ms")
        slo_note = "; ".join(parts)
    elif isinstance(w, BatchWorkload | TrainingWorkload) and w.deadline_hours:
        longest = max((a.hours or 0.0 for a in mine), default=0.0)
        slo_note = f"finishes in {longest:.2f} of {w.deadline_hours:g} h"
    notes = _edge_notes(problem, w, mine) if isinstance(w, ServingWorkload) else []
    serving = w if isinstance(w, ServingWorkload) else None
    model = resolve_llm(problem.spec, w.model) if w.model else None
    return WorkloadResult(
        name=w.name,
        kind=w.kind,
        model=model.name if model else None,
        hf_id=model.hf_id if model else "",
        weights_dtype=w.weights_dtype,
        priority=w.placement.priority,
        min_replicas=serving.min_replicas if serving else None,
        max_replicas=serving.max_replicas if serving else None,
        requests_per_second=serving.traffic.requests_per_second if serving else None,
        ttft_p95_ms=serving.slo.ttft_p95_ms if serving else None,
        tpot_ms=serving.slo.tpot_ms if serving else None,
        deadline_hours=None if serving else w.deadline_hours,
        allowed_regions=list(w.placement.regions) if w.placement.regions else None,
        cost_per_hour=round(sum(a.cost_per_hour for a in mine if a.kind == "serving"), 6),
        job_cost=round(sum(a.job_cost or 0.0 for a in mine), 6),
        replicas=sum(a.count * a.replicas_per_instance for a in mine),
        regions=sorted({f"{a.provider}/{a.region}" for a in mine}),
        meets_slo=not slo_misses(
            w.kind,
            mine,
            ttft_ms=serving.slo.ttft_p95_ms if serving else None,
            tpot_ms=serving.slo.tpot_ms if serving else None,
            deadline_hours=None if serving else w.deadline_hours,
        ),
        slo_note=slo_note,
        binding=_binding(problem.spec, w, mine, peak, usage),
        notes=notes,
        alternatives=_alternatives(problem, w, {a.accelerator for a in mine}),
        min_regions=w.placement.min_regions,
        survive_region_loss=w.placement.survive_region_loss,
        **request_sizes(w),
    )


def request_sizes(w: Workload) -> dict[str, float]:
    """The request sizes and volume a plan's unit economics need (mean tokens per request)."""
    if isinstance(w, ServingWorkload):
        buckets = w.traffic.request_buckets()
        return {
            "input_tokens": round(math.fsum(b.fraction * b.input_tokens for b in buckets), 6),
            "output_tokens": round(math.fsum(b.fraction * b.output_tokens for b in buckets), 6),
        }
    if isinstance(w, BatchWorkload):
        return {
            "input_tokens": float(w.volume.input_tokens),
            "output_tokens": float(w.volume.output_tokens),
            "requests": round(w.volume.request_count, 6),
        }
    return {"tokens_trained": w.tokens} if w.tokens else {}


def _allocations(problem: PlacementProblem, built: Built, outcome: Outcome) -> list[Allocation]:
    return allocations_of(problem, read_solution(problem, built, outcome))


def allocations_of(problem: PlacementProblem, solution: Solution) -> list[Allocation]:
    """The plan's allocations from a solution of `problem`."""
    allocations: list[Allocation] = []
    for w in problem.spec.workloads:
        if isinstance(w, ServingWorkload):
            allocations += _serving_allocations(problem, solution, w)
        else:
            allocations += _job_allocations(problem, solution, w)
    return allocations


DECOMPOSE_LIMIT = 40
"""Fleets up to this many workloads are solved workload by workload first (exact when the
shared constraints do not bind); larger ones are solved LP-guided."""


SINGLE_CHOICE_EXTRAS = 2
"""Besides its LP support, each workload keeps its cheapest single choices in the restricted MIP
(a small workload's LP favours a fraction of a big instance; a whole small one is what it buys)."""


def _uses_spread(w: Workload) -> bool:
    p = w.placement
    return p.min_regions > 1 or p.survive_region_loss


def _solve_lp_guided(problem: PlacementProblem, options: SolveOptions):
    """LP relaxation of the whole fleet, then the MIP over each workload's LP support.

    The LP's optimum is a valid lower bound. The restricted MIP keeps, per workload, only the
    candidates the LP used, with counts between the LP value rounded down and one above it
    rounded up (all candidates where spread rules or a training gang make that too tight), so
    it is small and its plan is feasible for the full problem. Returns None for the plan when
    the restriction leaves no feasible plan.
    """
    spec = problem.spec
    lp_built = build(problem, relaxed=True)
    lp = run(lp_built, options)
    if lp.status not in ("optimal", "feasible"):
        return lp.status, 0.0, lp.seconds, None, {}
    restricted: dict[str, tuple[Candidate, ...]] = {}
    n_bounds: dict[tuple[str, int], tuple[float, float]] = {}
    for w in spec.workloads:
        cands = problem.candidates[w.name]
        if isinstance(w, TrainingWorkload) or _uses_spread(w):
            restricted[w.name] = cands
            continue
        support = []
        for i in range(len(cands)):
            var = lp_built.n[(w.name, i)]
            value = _value(lp, var)
            extra = _value(lp, lp_built.h[(w.name, i)]) if (w.name, i) in lp_built.h else 0.0
            if value > 1e-7 or extra > 1e-7:
                support.append((i, value))
        demand = problem.demand(w) if isinstance(w, ServingWorkload) else ()
        in_support = {i for i, _ in support}
        single = sorted(
            (cost, i)
            for i, c in enumerate(cands)
            if i not in in_support and (cost := single_choice_cost(w, c, demand)) is not None
        )[:SINGLE_CHOICE_EXTRAS]
        restricted[w.name] = tuple(cands[i] for i, _ in support) + tuple(
            cands[i] for _, i in single
        )
        for j, (_, value) in enumerate(support):
            n_bounds[(w.name, j)] = (math.floor(value + 1e-9), math.ceil(value - 1e-9) + 1)
    sub = PlacementProblem(spec, restricted, problem.owned)
    built = build(sub, n_bounds=n_bounds)
    outcome = run(built, options)
    seconds = lp.seconds + outcome.seconds
    if outcome.status not in ("optimal", "feasible"):
        return "feasible", lp.objective, seconds, None, {}
    allocations = _allocations(sub, built, outcome)
    counts = _counts_by_candidate(problem, sub, built, outcome)
    value = sum(a.cost_per_hour for a in allocations if a.kind == "serving") + sum(
        a.job_cost or 0.0 for a in allocations
    )
    gap = (value - lp.objective) / value if value > 0 else 0.0
    status = "optimal" if gap <= options.relative_gap else "feasible"
    return status, lp.objective, seconds, allocations, counts


def _counts_by_candidate(
    problem: PlacementProblem, sub: PlacementProblem, built: Built, outcome: Outcome
):
    """A restricted solution's instance counts keyed by the full problem's candidate index."""
    counts: dict[tuple[str, int], float] = {}
    for w in problem.spec.workloads:
        index = {id(c): i for i, c in enumerate(problem.candidates[w.name])}
        for j, c in enumerate(sub.candidates[w.name]):
            var = built.n.get((w.name, j)) or built.z.get((w.name, j))
            if var is not None:
                counts[(w.name, index[id(c)])] = round(_value(outcome, var))
    return counts


def _improve_with_full_mip(problem: PlacementProblem, options: SolveOptions, guided):
    """Run the full MIP from the LP-guided plan; keep whichever plan is cheaper, best bound."""
    status, bound, seconds, allocations, counts = guided
    built = build(problem)
    hint = {}
    for key, value in counts.items():
        var = built.n.get(key) or built.z.get(key)
        if var is not None:
            hint[var] = value
    outcome = run(built, options, hint=hint or None)
    seconds += outcome.seconds
    if math.isfinite(outcome.bound):
        bound = max(bound, outcome.bound)
    if outcome.status in ("optimal", "feasible"):
        full = _allocations(problem, built, outcome)
        if allocations is None or _value_of(full) < _value_of(allocations) - 1e-9:
            allocations, status = full, outcome.status
    elif allocations is None:
        return outcome.status, bound, seconds, None
    value = _value_of(allocations)
    if value > 0 and (value - bound) / value <= options.relative_gap:
        status = "optimal"
    return status, bound, seconds, allocations


def _value_of(allocations: list[Allocation]) -> float:
    serving = sum(a.cost_per_hour for a in allocations if a.kind == "serving")
    return serving + sum(a.job_cost or 0.0 for a in allocations)


def _solve_decomposed(problem: PlacementProblem, options: SolveOptions):
    """Solve each workload alone (with the quotas it touches); sum the bounds.

    Workloads that may share instances are solved together, as one block. The sum of the
    blocks' bounds bounds the whole fleet from below. When the combined
    per-workload plans also respect the shared quotas and the budget they are optimal for the
    fleet, and the monolithic MIP is skipped (returns allocations None otherwise).
    """
    spec = problem.spec
    bound, seconds, status = 0.0, 0.0, "optimal"
    allocations: list[Allocation] = []
    shared = tuple(w for w in spec.workloads if getattr(w, "sharing", "") == "shared")
    blocks = [(w,) for w in spec.workloads if w not in shared] + ([shared] if shared else [])
    for block in blocks:
        sub_spec = spec.model_copy(
            update={
                "workloads": block,
                "constraints": spec.constraints.model_copy(update={"budget_per_hour": None}),
            }
        )
        sub = PlacementProblem(
            sub_spec, {w.name: problem.candidates[w.name] for w in block}, problem.owned
        )
        built = build(sub)
        outcome = run(built, options)
        seconds += outcome.seconds
        if outcome.status not in ("optimal", "feasible"):
            return "feasible", 0.0, seconds, None
        bound += outcome.bound if math.isfinite(outcome.bound) else 0.0
        if outcome.status == "feasible":
            status = "feasible"
        allocations += _allocations(sub, built, outcome)
    budget = spec.constraints.budget_per_hour
    peak = sum(a.cost_per_hour for a in allocations)
    owned_full = any(p.used > p.accelerators for p in capacity_use(problem, allocations, None))
    if (
        _over_quota(spec, allocations)
        or owned_full
        or (budget is not None and peak > budget + 1e-9)
    ):
        return "feasible", bound, seconds, None
    return status, bound, seconds, allocations


def _solve_lagrangian(problem: PlacementProblem, options: SolveOptions):
    """The Lagrangian decomposition where the options ask for it (or, by default, at scale);
    None where it does not apply or found no plan (the MIP strategy then runs)."""
    wanted = options.strategy == "decomposition" or (
        options.strategy == "auto" and len(problem.spec.workloads) > DECOMPOSE_LIMIT
    )
    if not wanted or not eligible(problem):
        return None
    result = decompose(problem, options)
    if result.solution is None:
        return None
    allocations = allocations_of(problem, result.solution)
    value = _value_of(allocations)
    gap = (value - result.bound) / value if value > 0 else 0.0
    status = "optimal" if gap <= options.relative_gap else "feasible"
    return status, result.bound, result.seconds, allocations


def _makespan(allocations: list[Allocation]) -> float | None:
    hours = [a.hours for a in allocations if a.kind != "serving" and a.hours is not None]
    return round(max(hours), 6) if hours else None


def _offerings(problem: PlacementProblem):
    """Every offering a candidate of the problem runs on (catalog rows and owned pools)."""
    return [c.offering for cands in problem.candidates.values() for c in cands]


def _no_plan(status: str, problem: PlacementProblem, options: SolveOptions, diagnose: bool):
    """Raise the error that says why no plan came back."""
    if status == "unknown":
        raise PlannerError(
            f"No plan found within the {options.time_limit_s:g} s time limit; "
            "raise --time-limit or simplify the spec"
        )
    if not diagnose:
        raise InfeasibleError("No plan satisfies the constraints")
    try:
        groups = conflicting_groups(problem, options)
    except TimeoutError:  # a sub-solve of the deletion filter ran out of time
        raise InfeasibleError(
            "No plan satisfies the constraints; which of them conflict could not be found within "
            f"the {options.time_limit_s:g} s time limit (raise --time-limit to find out)"
        ) from None
    raise InfeasibleError(explain_conflict(problem, groups, options))


def solve(
    spec: Spec,
    catalog: Catalog | None = None,
    *,
    profiles: Profiles | None = None,
    settings: PerfSettings = DEFAULT_SETTINGS,
    options: SolveOptions = SolveOptions(),
    baselines: bool = True,
    diagnose: bool = True,
    as_of: dt.date | None = None,
) -> Plan:
    """The best placement of every workload in `spec` on `catalog` (bundled by default),
    for the date `as_of` (default: today, UTC): reservation terms are counted from it.

    Objective `cost` minimises serving $/h plus job dollars; `completion_time` minimises when
    the last batch/training job finishes under the budget, then cost. Raises InfeasibleError
    (exit 3) naming the conflicting constraints when no plan exists.
    """
    catalog = catalog if catalog is not None else load_catalog()
    plan_date = as_of or clock.today()
    if spec.constraints.objective == "completion_time":
        from planner.solve.frontier import solve_completion_time

        return solve_completion_time(
            spec, catalog, profiles=profiles, settings=settings, options=options, as_of=plan_date
        )
    problem = make_problem(spec, catalog, settings, profiles, plan_date, options.workers)
    decomposed = _solve_lagrangian(problem, options)
    if decomposed is not None:
        status, bound, seconds, allocations = decomposed
    elif len(spec.workloads) > DECOMPOSE_LIMIT:
        guided = _solve_lp_guided(problem, options)
        status, bound, seconds, allocations = _improve_with_full_mip(problem, options, guided)
    else:
        status, bound, seconds, allocations = _solve_decomposed(problem, options)
    if allocations is None and status in ("infeasible", "unknown"):
        _no_plan(status, problem, options, diagnose)
    if allocations is None:
        built: Built = build(problem)
        outcome = run(built, options)
        seconds += outcome.seconds
        if outcome.status in ("infeasible", "unknown"):
            _no_plan(outcome.status, problem, options, diagnose)
        allocations = _allocations(problem, built, outcome)
        status = outcome.status
        if math.isfinite(outcome.bound):
            bound = max(bound, outcome.bound)
    allocations = [with_compatible_instances(a, catalog) for a in allocations]
    hourly = sum(a.cost_per_hour for a in allocations if a.kind == "serving")
    jobs = sum(a.job_cost or 0.0 for a in allocations)
    peak = sum(a.cost_per_hour for a in allocations)
    value = hourly + jobs
    bound = min(bound, value)
    found = [
        _baseline_cheapest_single(problem, value),
        _baseline_single_type(problem, options, hourly) if baselines else None,
        _baseline_dedicated(spec, catalog, allocations, value, profiles, settings, options)
        if baselines
        else None,
        _baseline_without_owned(spec, catalog, value, profiles, settings, options)
        if baselines
        else None,
    ]
    pools = capacity_use(problem, allocations, plan_date)
    usage = _pool_usage(spec, allocations)
    by_workload: dict[str, list[Allocation]] = {}
    for a in allocations:
        by_workload.setdefault(a.workload, []).append(a)
    if baselines:
        pools = [
            _recommend(p, problem, catalog, value, profiles, settings, options, plan_date)
            for p in pools
        ]
    plan = Plan(
        **identity(spec, _offerings(problem), allocations, plan_date),
        deploy=spec.deploy,
        status=status,  # type: ignore[arg-type]
        objective=spec.constraints.objective,
        objective_value=round(value, 6),
        cost_per_hour=round(hourly, 6),
        cost_per_month=round(hourly * HOURS_PER_MONTH, 2),
        job_cost=round(jobs, 6),
        peak_cost_per_hour=round(peak, 6),
        lower_bound=round(bound, 6),
        gap=round((value - bound) / value, 6) if value > 0 else 0.0,
        solve_seconds=round(seconds, 3),
        solver=SOLVER_NAME,
        allocations=allocations,
        workloads=[
            workload_result(problem, w, allocations, peak, usage, by_workload.get(w.name, []))
            for w in spec.workloads
        ],
        baselines=[b for b in found if b is not None] if baselines else [],
        shared_groups=_shared_groups(allocations),
        capacity=pools,
        committed_per_hour=round(sum(p.committed_per_hour for p in pools), 6),
        makespan_hours=_makespan(allocations),
        provenance=catalog_provenance(catalog),
    )
    return plan


COMPATIBLE_SERVICES = frozenset({"ec2", "gce", "azure-vm"})


def with_compatible_instances(a: Allocation, catalog: Catalog) -> Allocation:
    """`a` with the catalog's other instance types that hold its replicas unchanged (same
    provider, region, zone, service, accelerator, pricing; whole TP-sized replicas), cheapest
    per replica first, up to COMPATIBLE_TOLERANCE dearer per replica. Serving and batch on VM
    services only: a training gang's shape and owned or shared capacity are fixed."""
    if (
        a.kind == "training"
        or a.service not in COMPATIBLE_SERVICES
        or a.capacity_pool
        or a.shared_group
    ):
        return a
    own = a.price_per_hour / max(1, a.replicas_per_instance)
    options = {}
    for o in catalog:
        if (
            (o.provider, o.region, o.zone, o.service, o.accelerator)
            != (a.provider, a.region, a.zone, a.service, a.accelerator)
            or o.owned
            or o.instance_type == a.instance_type
            or o.accelerator_count < a.tp
        ):
            continue  # fmt: skip
        price = o.price(a.pricing)  # type: ignore[arg-type]
        replicas = o.accelerator_count // a.tp
        if price is None or price <= 0:
            continue
        per_replica = price / replicas
        if per_replica > own * (1 + COMPATIBLE_TOLERANCE) + 1e-9:
            continue
        options[o.instance_type] = InstanceOption(
            instance_type=o.instance_type,
            accelerators_per_instance=o.accelerator_count,
            replicas_per_instance=replicas,
            vcpus=o.vcpus,
            memory_gib=o.memory_gib,
            price_per_hour=round(price, 6),
            price_per_replica_hour=round(per_replica, 6),
        )
    ranked = sorted(options.values(), key=lambda x: (x.price_per_replica_hour, x.instance_type))
    return a.model_copy(update={"compatible_instances": ranked}) if ranked else a


def catalog_provenance(catalog: Catalog) -> Provenance:
    """The catalog files a plan's prices come from (the rows' sources are on each allocation)."""
    files = getattr(catalog, "files", ())
    return Provenance(
        catalogs=[CatalogSource(path=f.path, sha256=f.sha256, rows=f.rows) for f in files]
    )
