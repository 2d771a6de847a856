"""Plans shared by the report, diff, check and export tests (this module holds no tests).

A small mixed spec (a serving endpoint, a spot batch job, a fine-tune under quotas) solves in
well under a second; `moved_plan` solves it again on a catalog without the offerings the first
plan picked for one serving allocation and the batch job, so the two plans differ for real.
Hand-made plans (`alloc`, `plan_of`) pin down each kind of change exactly.
"""

from __future__ import annotations

import functools
from pathlib import Path

from planner.plans import Allocation, Plan, WorkloadResult

MIXED_SPEC = """\
workloads:
  - name: eu-bot
    kind: serving
    model: llama-3.1-8b
    traffic: {requests_per_second: 12, input_tokens: 800, output_tokens: 200}
    slo: {ttft_p95_ms: 2000, tpot_ms: 50}
    min_replicas: 2
    placement: {regions: [eu-west-1, europe-west4, westeurope], min_regions: 2}
  - name: summaries
    kind: batch
    model: qwen2.5-7b
    volume: {requests: 500000, input_tokens: 900, output_tokens: 120}
    deadline_hours: 8
    preemptible: true
    placement: {spot: true, max_spot_share: 1.0}
  - name: finetune
    kind: training
    gpu_hours: 256
    reference_accelerator: A100-80GB
    min_accelerator_memory_gb: 80
    gang_size: 8
    deadline_hours: 48
    placement: {providers: [aws, gcp]}
constraints:
  quotas:
    - {provider: aws, region: us-east-1, accelerator: H100, max_accelerators: 16}
    - {provider: gcp, region: us-central1, accelerator: A100-80GB, pricing: on_demand,
       max_accelerators: 8}
"""


@functools.cache
def mixed_spec():
    import planner

    return planner.parse_spec(MIXED_SPEC, "mixed.yaml")


# `from planner.solve import solve`, not `planner.solve`: once the planner.solve package has been
# imported (by any test), the attribute `planner.solve` is that package, not the function.


@functools.cache
def mixed_plan() -> Plan:
    """The mixed spec planned as `planner plan` plans it (with its annotations: baselines)."""
    from planner.app import plan

    return plan(mixed_spec())


@functools.cache
def moved_plan() -> Plan:
    """The mixed spec on a catalog lacking the first serving and the batch job's offerings."""
    from planner.catalog import Catalog, load_catalog
    from planner.solve import solve

    first = mixed_plan()
    dropped = {
        (a.provider, a.region, a.instance_type)
        for a in first.allocations
        if a.kind == "batch" or a == first.allocations[0]
    }
    catalog = load_catalog()
    kept = tuple(o for o in catalog if (o.provider, o.region, o.instance_type) not in dropped)
    return solve(mixed_spec(), Catalog(kept))


def write_spec(folder: Path) -> Path:
    path = folder / "mixed.yaml"
    path.write_text(MIXED_SPEC)
    return path


def write_plan(folder: Path, name: str, plan: Plan) -> Path:
    path = folder / name
    path.write_text(plan.model_dump_json(indent=2))
    return path


def alloc(workload: str = "chat", **fields) -> Allocation:
    """A serving allocation (1x H100 p5.4xlarge in aws us-east-1 at $6.88) with overrides."""
    values = {
        "workload": workload,
        "kind": "serving",
        "provider": "aws",
        "region": "us-east-1",
        "service": "ec2",
        "instance_type": "p5.4xlarge",
        "accelerator": "H100",
        "accelerators_per_instance": 1,
        "pricing": "on_demand",
        "count": 1,
        "tp": 1,
        "replicas_per_instance": 1,
        "price_per_hour": 6.88,
        "routed_rps": 5.0,
        "utilisation": 0.8,
        "ttft_ms": 100.0,
        "tpot_ms": 40.0,
    }
    values.update(fields)
    if values["kind"] != "serving":
        values.update(routed_rps=None, utilisation=None, ttft_ms=None, tpot_ms=None)
        values.setdefault("hours", 10.0)
    values["cost_per_hour"] = round(values["count"] * values["price_per_hour"], 6)
    if values["kind"] != "serving":
        values["job_cost"] = round(values["cost_per_hour"] * values["hours"], 6)
    return Allocation(**values)


def plan_of(allocations: list[Allocation], plan_id: str = "p1", **overrides) -> Plan:
    """A plan whose totals and workload results are summed from `allocations` (a workload in
    `missed` gets a predicted TPOT above its SLO)."""
    names = list(dict.fromkeys(a.workload for a in allocations))
    missed = set(overrides.pop("missed", ()))
    allocations = [
        a.model_copy(update={"tpot_ms": 60.0})
        if a.workload in missed and (a.tpot_ms or 0.0) <= 50.0
        else a
        for a in allocations
    ]
    workloads = []
    for name in names:
        mine = [a for a in allocations if a.workload == name]
        kind = mine[0].kind
        workloads.append(
            WorkloadResult(
                name=name,
                kind=kind,
                model="llama-3.1-8b",
                tpot_ms=50.0 if kind == "serving" else None,
                ttft_p95_ms=2000.0 if kind == "serving" else None,
                cost_per_hour=sum(a.cost_per_hour for a in mine if kind == "serving"),
                job_cost=sum(a.job_cost or 0.0 for a in mine),
                replicas=sum(a.count for a in mine),
                regions=sorted({f"{a.provider}/{a.region}" for a in mine}),
                meets_slo=name not in missed,
                slo_note="TPOT over target" if name in missed else "",
            )
        )
    hourly = sum(a.cost_per_hour for a in allocations if a.kind == "serving")
    jobs = sum(a.job_cost or 0.0 for a in allocations)
    values = {
        "plan_id": plan_id,
        "status": "optimal",
        "objective": "cost",
        "objective_value": hourly + jobs,
        "cost_per_hour": hourly,
        "cost_per_month": hourly * 730,
        "job_cost": jobs,
        "peak_cost_per_hour": sum(a.cost_per_hour for a in allocations),
        "lower_bound": (hourly + jobs) * (1 - overrides.get("gap", 0.0)),
        "gap": 0.0,
        "makespan_hours": max(
            (a.hours for a in allocations if a.kind != "serving" and a.hours), default=None
        ),
        "solve_seconds": 0.1,
        "solver": "test",
        "allocations": allocations,
        "workloads": workloads,
    }
    values.update(overrides)
    return Plan(**values)
