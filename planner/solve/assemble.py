"""Plan assembly: allocations from a solution, owned-capacity use, shared instance groups, and
the Plan with its cost, bound and provenance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from planner.catalog import Catalog
from planner.catalog.commitments import Cover, Usage, apply_covers
from planner.clouds import VM_SERVICES
from planner.facts import find_accelerator
from planner.perf import capacity_source
from planner.perf.efficiency import uncalibrated_note
from planner.plans.identity import identity
from planner.plans.model import (
    COMPATIBLE_TOLERANCE,
    HOURS_PER_MONTH,
    Allocation,
    BucketRate,
    CapacityUse,
    CatalogSource,
    CommitmentUse,
    InstanceOption,
    Plan,
    Provenance,
)
from planner.rules.quotas import owned_used
from planner.solve.backend import SOLVER_NAME, Outcome
from planner.solve.candidates import Candidate, mix_prefill_share
from planner.solve.mip import Built, PlacementProblem
from planner.solve.routing import settled_shares
from planner.solve.solution import Solution, read_solution
from planner.solve.usage import quota_usage, shared_groups
from planner.solve.workload_results import workload_result
from planner.spec.models import BatchWorkload, ServingWorkload, Workload

_EPS = 1e-7

Rates = Mapping[tuple[str, int], Sequence[float]]
"""Requests/s routed to each serving candidate per bucket, by (workload, candidate index)."""


def serving_allocations(
    problem,
    solution: Solution,
    w: ServingWorkload,
    rates: Rates | None = None,
    given: dict[tuple[int, int], float] | None = None,
    used_by: dict[tuple, int] | None = None,
) -> list[Allocation]:
    """A serving workload's allocations; their routed figures are the spec's demand routed by
    the tie rule (planner.solve.routing) over the solution's instances, or `rates`
    (requests/s per bucket by (workload, candidate)) where given,
    and then the per-bucket routing is not recorded (it is not the spec's). `given`: the
    solution's shares of `w` where the caller grouped them (Solution.shares_by_workload);
    `used_by`: shared_use of the solution, likewise."""
    demand = problem.demand(w)
    settled = settled_shares(problem, solution, w, given) if rates is None else {}
    out = []
    for i, c in enumerate(problem.candidates[w.name]):
        n = solution.count(w.name, i)
        if n <= 0:
            continue
        if rates is None:
            routed = [demand[b] * settled.get((i, b), 0.0) for b in range(len(demand))]
        else:
            routed = list(rates.get((w.name, i), [0.0] * len(demand)))
        used = [b for b, r in enumerate(routed) if round(r, 6) > 0]  # as the plan stores it
        full = [n * c.replicas_per_instance * cap.max_rps for cap in c.capacities]
        utilisation = sum(routed[b] / full[b] for b in used)
        ttft = max((c.capacities[b].ttft_ms or 0.0 for b in used), default=None)
        tpot = max((c.capacities[b].tpot_ms or 0.0 for b in used), default=None)
        batches = [c.capacities[b].max_batch for b in used] or [
            cap.max_batch for cap in c.capacities
        ]
        shared = _shared_share(problem, solution, c, n, used_by) if c.shared else {}
        shared["routed_by_bucket"] = [
            BucketRate(input_tokens=b.input_tokens, output_tokens=b.output_tokens,
                       rps=round(max(r, 0.0), 6))
            for b, r in zip(w.traffic.request_buckets(), routed, strict=True)
        ] if rates is None else []  # fmt: skip
        shared["prefill_share"] = mix_prefill_share(w, c, routed)
        sources = {c.capacities[b].source for b in used} or {cap.source for cap in c.capacities}
        shared["capacity_source"] = capacity_source(sources)
        if c.offering.owned:
            shared["capacity_pool"] = c.offering.owned
            if c.offering.service_kind == "edge" and ttft is not None:
                ttft += problem.owned[c.offering.owned].rtt_ms
        out.append(allocation(w, c, n, routed_rps=max(0.0, sum(routed)), utilisation=utilisation,
                               max_batch=min(batches), max_context=max(
                                   i + o for i, o in ((b.input_tokens, b.output_tokens)
                                                      for b in w.traffic.request_buckets())),
                               ttft_ms=ttft, tpot_ms=tpot, **shared))  # fmt: skip
    return out


def group_id(group: tuple) -> str:
    """A shared group's name: provider/region/zone/service/instance type/pricing."""
    (provider, region, zone, service, instance_type), pricing = group
    return "/".join(p for p in (provider, region, zone, service, instance_type, pricing) if p)


def shared_use(problem: PlacementProblem, solution: Solution) -> dict[tuple, int]:
    """Accelerators the shared replicas of `solution` take in each shared group, every
    workload of `problem` together (worked out once for a plan: a scan of every candidate for
    each shared allocation is quadratic in the fleet)."""
    used: dict[tuple, int] = {}
    for (name, i), n in solution.counts.items():
        cands = problem.candidates.get(name)
        if cands is None or not 0 <= i < len(cands) or not cands[i].shared:
            continue
        group = cands[i].shared_group
        used[group] = used.get(group, 0) + cands[i].tp * n
    return used


def _shared_share(
    problem: PlacementProblem,
    solution: Solution,
    c: Candidate,
    n: int,
    used_by: dict[tuple, int] | None = None,
) -> dict:
    """A shared allocation's group, the group's instances, and its share of their cost
    (`used_by`: shared_use of the solution, where the caller has it)."""
    if used_by is None:
        used_by = shared_use(problem, solution)
    used = used_by.get(c.shared_group, 0)
    instances = solution.shared_instances.get(c.shared_group, 0)
    share = c.tp * n / used if used else 0.0
    return {
        "shared_group": group_id(c.shared_group),
        "shared_instances": instances,
        "cost_per_hour": share * instances * c.price,
    }


def calibration(c: Candidate, capacity_source: str | None) -> str | None:
    """The words an allocation carries when its figures rest on an uncalibrated family: its
    capacity (or job hours) come from the performance model, not measured profiles."""
    if capacity_source == "profile":
        return None
    chip = find_accelerator(c.offering.accelerator)
    if chip is None:
        return "uncalibrated: a device without bundled facts; the median fitted efficiency"
    return uncalibrated_note(chip)


def allocation(w: Workload, c: Candidate, n: int, **extra) -> Allocation:
    o = c.offering
    extra.setdefault("cost_per_hour", n * c.price)
    if o.owned:
        extra.setdefault("capacity_pool", o.owned)
    note = calibration(c, extra.get("capacity_source"))
    if note:
        extra["calibration"] = note
    price = c.price
    if c.nodes > 1:  # n replicas of c.nodes instances each
        extra["nodes_per_replica"] = c.nodes
        n, price = n * c.nodes, o.price(c.pricing)  # type: ignore[assignment]
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
        price_per_hour=price,
        source=o.source,
        as_of=o.as_of,
        price_kind=o.kind(c.pricing),  # type: ignore[arg-type]
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
            cost = n * c.billed_hours * c.price if c.billed_hours else hours * c.price
            out.append(allocation(w, c, n, hours=hours / n, job_cost=cost,
                                  prefill_share=mix_prefill_share(w, c),
                                  **_window_fields(c)))  # fmt: skip
        elif n > 0:
            out.append(
                allocation(w, c, c.instances, hours=c.hours,
                           job_cost=c.instances * c.price * (c.billed_hours or c.hours),
                           **_window_fields(c))
            )  # fmt: skip
    return out


def _window_fields(c: Candidate) -> dict[str, float]:
    """A job in a time window: when it starts, and the hours billed when paid in full."""
    if not c.window_hours:
        return {}
    fields = {"starts_at_hours": c.start_hours}
    if c.billed_hours:
        fields["billed_hours"] = c.billed_hours
    return fields


def capacity_use(problem: PlacementProblem, allocations: list[Allocation], today: dt.date | None):
    """Per owned pool: accelerators used and idle, and what idle committed capacity costs."""
    out = []
    specs = {p.name: p for p in problem.spec.capacity}
    for name in sorted(problem.owned):
        pool = problem.owned[name]
        selector = dict(getattr(specs.get(name), "node_selector", {}) or {})
        used = owned_used(name, allocations)
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


def read_allocations(problem: PlacementProblem, built: Built, outcome: Outcome) -> list[Allocation]:
    return allocations_of(problem, read_solution(problem, built, outcome))


def allocations_of(
    problem: PlacementProblem, solution: Solution, rates: Rates | None = None
) -> list[Allocation]:
    """The plan's allocations from a solution of `problem` (serving figures from `rates`
    where given, see serving_allocations)."""
    allocations: list[Allocation] = []
    shares = solution.shares_by_workload() if rates is None else {}
    used_by = shared_use(problem, solution)
    for w in problem.spec.workloads:
        if isinstance(w, ServingWorkload):
            given = shares.get(w.name, {}) if rates is None else None
            allocations += serving_allocations(problem, solution, w, rates, given, used_by)
        else:
            allocations += _job_allocations(problem, solution, w)
    return allocations


def with_commitments(
    covers: Sequence[Cover], allocations: list[Allocation], problem: PlacementProblem
) -> tuple[list[Allocation], list[CommitmentUse]]:
    """`allocations` with what each commitment covers taken off their cost, and each
    commitment's use, as billing applies them each hour: serving instances of their own (a
    shared group's stay at list), and jobs' instances while they run (as if at the same time as
    everything else: never more than billing gives); a job's job_cost drops by its covered $/h
    x its hours. Prepaid time windows are never covered."""
    if not covers:
        return allocations, []
    offerings = {c.offering.key: c.offering for cands in problem.candidates.values()
                 for c in cands}  # fmt: skip
    index, hours, usages = [], [], []
    for i, a in enumerate(allocations):
        if a.capacity_pool:
            continue
        if a.kind == "serving":
            if a.shared_group:
                continue
            index.append(i)
            hours.append(None)
            per_hour = a.count * a.price_per_hour
        else:
            if a.billed_hours or not a.hours:
                continue
            index.append(i)
            hours.append(a.hours)
            per_hour = a.count * a.price_per_hour
        usages.append(
            Usage(offerings[(a.provider, a.region, a.zone, a.service, a.instance_type)],
                  a.pricing, per_hour, a.price_per_hour)
        )  # fmt: skip
    found = apply_covers(covers, usages)
    out = list(allocations)
    for i, span, usage, by_name in zip(index, hours, usages, found, strict=True):
        if not by_name:
            continue
        a = out[i]
        covered = {k: round(v, 6) for k, v in sorted(by_name.items())}
        total = min(sum(by_name.values()), usage.list_per_hour)
        update = {"cost_per_hour": round(max(a.count * a.price_per_hour - total, 0.0), 6)}
        if span is not None:
            update["job_cost"] = round(max((a.job_cost or 0.0) - total * span, 0.0), 6)
        out[i] = a.model_copy(
            update={"covered_by": covered, "covered_per_hour": round(total, 6), **update}
        )
    uses = []
    for k in covers:
        covered = sum(f.get(k.name, 0.0) for f in found)
        used = sum(
            f.get(k.name, 0.0) * k.units_per_dollar(u.offering, u.price)
            for f, u in zip(found, usages, strict=True)
        )
        uses.append(
            CommitmentUse(
                name=k.name,
                product=k.product,
                provider=k.provider,
                scope=k.scope,
                term_years=k.term_years,
                unit=k.unit,
                capacity=round(k.capacity, 6),  # type: ignore[arg-type]
                committed_per_hour=k.committed_per_hour,
                discount=k.discount,
                discount_kind=k.discount_kind,
                covered_per_hour=round(covered, 6),
                used=round(used, 6),
                utilisation=round(used / k.capacity, 6) if k.capacity else 0.0,
                saving_per_hour=round(covered - k.committed_per_hour, 6),
            )
        )
    return out, uses


def value_of(allocations: list[Allocation]) -> float:
    serving = sum(a.cost_per_hour for a in allocations if a.kind == "serving")
    return serving + sum(a.job_cost or 0.0 for a in allocations)


def makespan(allocations: list[Allocation]) -> float | None:
    hours = [
        (a.starts_at_hours or 0.0) + a.hours
        for a in allocations
        if a.kind != "serving" and a.hours is not None
    ]
    return round(max(hours), 6) if hours else None


def offerings_of(problem: PlacementProblem):
    """Every offering a candidate of the problem runs on (catalog rows and owned pools)."""
    return [c.offering for cands in problem.candidates.values() for c in cands]


def by_place(catalog: Catalog) -> dict[tuple, list]:
    """The catalog's offerings by (provider, region, zone, service, accelerator), in catalog
    order: what with_compatible_instances reads for each of a plan's allocations (scanning the
    whole catalog for each is a plan's size times the catalog's)."""
    out: dict[tuple, list] = {}
    for o in catalog:
        out.setdefault((o.provider, o.region, o.zone, o.service, o.accelerator), []).append(o)
    return out


def with_compatible_instances(
    a: Allocation, catalog: Catalog, places: dict[tuple, list] | None = None
) -> Allocation:
    """`a` with the catalog's other instance types that hold its replicas unchanged (same
    provider, region, zone, service, accelerator, pricing; whole TP-sized replicas), cheapest
    per replica first, up to COMPATIBLE_TOLERANCE dearer per replica. Serving and batch on VM
    services only: a training gang's shape and owned or shared capacity are fixed. `places`:
    by_place(catalog), where the caller has it."""
    if (a.kind == "training" or a.service not in VM_SERVICES or a.capacity_pool or a.shared_group
            or a.nodes_per_replica):  # fmt: skip
        return a
    own = a.price_per_hour / max(1, a.replicas_per_instance)
    options = {}
    here = (a.provider, a.region, a.zone, a.service, a.accelerator)
    for o in catalog if places is None else places.get(here, ()):
        if (
            (o.provider, o.region, o.zone, o.service, o.accelerator) != here
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


def assemble_plan(
    problem: PlacementProblem,
    allocations: list[Allocation],
    *,
    status: str,
    bound: float,
    seconds: float,
    plan_date: dt.date,
    catalog: Catalog | None = None,
    solver: str = SOLVER_NAME,
) -> Plan:
    """The Plan of `allocations` for `problem`'s spec: costs, the bound and gap (the bound is
    capped at the plan's value), per-workload results, owned capacity, shared groups, and the
    catalog files of `catalog`; no baselines (drivers add them)."""
    spec = problem.spec
    allocations, commitments = with_commitments(problem.commitments, allocations, problem)
    hourly = sum(a.cost_per_hour for a in allocations if a.kind == "serving")
    jobs = sum(a.job_cost or 0.0 for a in allocations)
    peak = sum(a.cost_per_hour for a in allocations)
    value = hourly + jobs
    bound = min(bound, value)
    pools = capacity_use(problem, allocations, plan_date)
    usage = quota_usage(spec, allocations)
    by_workload: dict[str, list[Allocation]] = {}
    for a in allocations:
        by_workload.setdefault(a.workload, []).append(a)
    return Plan(
        **identity(spec, offerings_of(problem), allocations, plan_date),
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
        solver=solver,
        allocations=allocations,
        workloads=[
            workload_result(problem, w, allocations, peak, usage, by_workload.get(w.name, []))
            for w in spec.workloads
        ],
        shared_groups=shared_groups(allocations),
        capacity=pools,
        committed_per_hour=round(
            sum(p.committed_per_hour for p in pools)
            + sum(c.committed_per_hour for c in commitments),
            6,
        ),
        commitments=commitments,
        makespan_hours=makespan(allocations),
        provenance=catalog_provenance(catalog) if catalog is not None else Provenance(),
    )
