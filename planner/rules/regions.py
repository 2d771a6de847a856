"""The region-spread family: `placement.min_regions` with `placement.min_region_share`.

A serving workload with min_regions > 1 runs in at least that many regions, and a region counts
only if it carries at least min_region_share of the workload's requests (default
MIN_REGION_SHARE, 10%): one standby instance carrying 0.09 requests/s does not make a spread.
Batch and training jobs have no traffic to spread; the rule is for serving.

The MIP takes `rows` (binary y_r: region r counts, y_r <= its instances, its carried requests
>= min_region_share x total x y_r, sum_r y_r >= min_regions); the decomposition's LP leaves
them out (still a lower bound) and solves such a workload by a small MIP (`simple`); `verify`
calls `check`, and the diagnosis uses `diagnosis`. The spec refuses the fields on batch and
training jobs (planner.spec.models SERVING_ONLY_PLACEMENT).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from planner.plans.model import Allocation
from planner.rules.rows import Slot
from planner.spec.models import MIN_REGION_SHARE

__all__ = [
    "MIN_REGION_SHARE",
    "check",
    "counted_regions",
    "diagnosis",
    "region_rows",
    "rows",
    "simple",
    "spread",
]

FIELDS = ("min_regions", "min_region_share")
GROUPS = ("min_regions",)
KINDS = ("serving",)

_TOL = 1e-6


def spread(workload: Any) -> bool:
    """Whether the workload asks for more than one region."""
    return workload.placement.min_regions > 1


def region_rows(
    workload: Any, routed: Mapping[str, Iterable[Any]], total: float
) -> dict[str, tuple[Any, float]]:
    """Per region: (requests/s routed there, the least it must carry to count), from linear
    terms of any algebra (`routed`: region -> terms of requests/s); empty without a spread."""
    if not spread(workload):
        return {}
    floor = workload.placement.min_region_share * total
    out = {}
    for region, terms in sorted(routed.items()):
        acc: Any = 0
        for t in terms:
            acc = acc + t
        out[region] = (acc, floor)
    return out


def rows(m: Any, v: Any) -> None:
    """regions: at least min_regions regions (y_r: region r counts) each carry at least
    min_region_share of the requests (MIP only: `m` has binary columns)."""
    w = v.workload
    if not spread(w) or not m.group(f"min_regions:{w.name}"):
        return
    region_of = {i: c.region for i, c in v.sold}
    routed: dict[str, list] = {r: [] for r in region_of.values()}
    for (i, b), share in v.x.items():
        routed[region_of[i]].append(v.demand[b] * share)
    used = []
    for region, (carried, floor) in region_rows(w, routed, sum(v.demand)).items():
        y = m.binary(f"y[{m.tag(v.s)}{w.name},{region}]")
        m.add(carried >= floor * y)
        m.add(y <= m.sum(v.n[i] for i, r in region_of.items() if r == region))
        used.append(y)
    m.add(m.sum(used) >= w.placement.min_regions, f"regions[{m.tag(v.s)}{w.name}]")


def keeps_regions_apart(workload: Any) -> bool:
    """Pruning: a candidate may not stand in for one in another region."""
    return spread(workload)


def simple(workload: Any, cands: Any = ()) -> bool:
    """Whether a subproblem without the spread rows is still exact."""
    return not spread(workload)


def counted_regions(workload: Any, allocations: Sequence[Allocation]) -> list[tuple[str, str]]:
    """The (provider, region) pairs whose routed requests reach min_region_share of the
    workload's traffic (every region with an allocation when the plan records no rates)."""
    rates: dict[tuple[str, str], float] = defaultdict(float)
    for a in allocations:
        rates[(a.provider, a.region)] += a.routed_rps or 0.0
    if any(a.routed_rps is None for a in allocations):
        return sorted(rates)
    total = workload.traffic.requests_per_second
    floor = workload.placement.min_region_share * total
    return sorted(r for r, v in rates.items() if v >= floor * (1 - 1e-6) - _TOL)


def check(workload: Any, allocations: Sequence[Allocation]) -> list[str]:
    """What the plan breaks of the spread rule, in words (empty: kept)."""
    p = workload.placement
    if p.min_regions <= 1:
        return []
    counted = counted_regions(workload, allocations)
    if len(counted) >= p.min_regions:
        return []
    spans = len({(a.provider, a.region) for a in allocations})
    return [
        f"{len(counted)} of its {spans} region(s) carry at least {p.min_region_share:.0%} of the "
        f"requests, below min_regions {p.min_regions}"
    ]


def diagnosis(workload: Any) -> str:
    """The rule in words, for an infeasibility message."""
    p = workload.placement
    return (
        f"{workload.name} must run in at least {p.min_regions} regions, each carrying at least "
        f"{p.min_region_share:.0%} of its requests"
    )


def describe(spec: Any, kind: str, arg: str) -> str:
    """Constraint group `kind:arg` (one of GROUPS) in words."""
    return diagnosis(next(w for w in spec.workloads if w.name == arg))


SLOTS = (Slot("serving", 70, rows),)
"""MIP only (the spread's binary y_r per region)."""
