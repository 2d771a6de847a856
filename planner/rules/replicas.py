"""The replica family: `min_replicas` and `max_replicas` of a serving workload.

    sum_c replicas_c n_c >= min_replicas    in every world, on what is sold there
    sum_c replicas_c n_c <= max_replicas    on the fleet (once)

Fields of serving workloads only (the spec has no such field for batch or training). Both the
MIP and the decomposition's LP take the rows; a workload with max_replicas is solved by a small
MIP in the decomposition (`simple`).
"""

from __future__ import annotations

import math
from typing import Any

from planner.rules.rows import Rows, ServingView, Slot

FIELDS = ("min_replicas", "max_replicas")
GROUPS = FIELDS
KINDS = ("serving",)


def rows(m: Rows, v: ServingView) -> None:
    w = v.workload
    if w.min_replicas and m.group(f"min_replicas:{w.name}"):
        cols = [v.n[i] for i, _ in v.sold]
        reps = [float(c.replicas_per_instance) for _, c in v.sold]
        m.row(cols, reps, float(w.min_replicas), math.inf, f"min_replicas[{m.tag(v.s)}{w.name}]")
    if v.s == 0 and w.max_replicas is not None and m.group(f"max_replicas:{w.name}"):
        cols = [v.n[i] for i in range(len(v.cands))]
        reps = [float(c.replicas_per_instance) for c in v.cands]
        m.row(cols, reps, -math.inf, float(w.max_replicas), f"max_replicas[{w.name}]")


def check(workload: Any, allocations) -> list[str]:
    """What the plan's allocations of `workload` break of its replica bounds, in words."""
    count = sum(a.count * a.replicas_per_instance for a in allocations)
    out = []
    if count < workload.min_replicas:
        out.append(f"{count} replicas, below min_replicas {workload.min_replicas}")
    if workload.max_replicas is not None and count > workload.max_replicas:
        out.append(f"{count} replicas, above max_replicas {workload.max_replicas}")
    return out


def keeps_counts_exact(workload: Any) -> bool:
    """Pruning: with a replica cap, fewer bigger instances may not stand in for more small."""
    return getattr(workload, "max_replicas", None) is not None


def simple(workload: Any, cands: Any = ()) -> bool:
    """Whether a per-workload subproblem without the max row is still exact."""
    return workload.max_replicas is None


def diagnosis(workload: Any, group: str) -> str:
    if group == "min_replicas":
        return f"{workload.name} needs at least {workload.min_replicas} replicas"
    return f"{workload.name} may use at most {workload.max_replicas} replicas"


def describe(spec: Any, kind: str, arg: str) -> str:
    """Constraint group `kind:arg` (one of GROUPS) in words."""
    return diagnosis(next(w for w in spec.workloads if w.name == arg), kind)


SLOTS = (Slot("serving", 50, rows), Slot("lp_serving", 50, rows))
