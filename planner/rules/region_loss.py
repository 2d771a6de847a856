"""The region-loss family: `placement.survive_region_loss` of a serving workload.

Without any one region, the instances in the others still carry all of the demand: for every
region r the plan must admit a second routing over the candidates outside r within the same
instances (a copy of the routing and capacity rows per lost region, sharing n_c).

Serving only: the spec refuses the field on batch and training jobs (planner.spec.models
SERVING_ONLY_PLACEMENT). MIP only: the decomposition's LP leaves it out and solves such a
workload by a small MIP (`simple`).
"""

from __future__ import annotations

from typing import Any

from planner.rules import capacity, routing
from planner.rules.rows import Rows, ServingView, Slot

FIELD = "survive_region_loss"
GROUPS = (FIELD,)
KINDS = ("serving",)


def asked(workload: Any) -> bool:
    return bool(workload.placement.survive_region_loss)


def rows(m: Rows, v: ServingView) -> None:
    w = v.workload
    if not asked(w) or not m.group(f"{FIELD}:{w.name}"):
        return
    for region in sorted({c.region for _, c in v.sold}):
        left = [(i, c) for i, c in v.sold if c.region != region]
        _, load = routing.route(m, v, left, keep=False)
        capacity.capacity(m, v, load, keep=False)


def keeps_regions_apart(workload: Any) -> bool:
    """Pruning: a candidate may not stand in for one in another region."""
    return asked(workload)


def simple(workload: Any, cands: Any = ()) -> bool:
    """Whether a subproblem without these rows is still exact."""
    return not asked(workload)


def diagnosis(workload: Any) -> str:
    return f"{workload.name} must keep its demand served if any one region is lost"


def describe(spec: Any, kind: str, arg: str) -> str:
    """Constraint group `kind:arg` (one of GROUPS) in words."""
    return diagnosis(next(w for w in spec.workloads if w.name == arg))


SLOTS = (Slot("serving", 80, rows),)
"""MIP only, last of a serving workload's rows: a copy of routing and capacity per region."""
