"""The capacity family: what is routed to a candidate fits its instances' SLO capacity.

    sum_b d_b / r_cb x_cb <= n_c      for every candidate c (cap)
    sum_c n_c >= floor                 (instances: a valid cut, it removes no plan)

r_cb is the requests/s one instance of c serves of bucket b within the latency SLO at the
utilisation cap (planner.perf); d_b the bucket's peak requests/s. The floor is the fewest
instances any plan needs (each bucket's load at the best rate for it, and min_replicas at
the most replicas per instance). Applies to serving; both the MIP and the decomposition's LP
take these rows.

Independent check: `planner verify` re-derives each allocation's rates and utilisation from
the shared sizing rules (planner.perf) and re-routes the instances (planner.verify.checks).
"""

from __future__ import annotations

import math
from typing import Any

from planner.rules.rows import Rows, ServingView, Slot

KINDS = ("serving",)


def capacity(
    m: Rows, v: ServingView, load: dict[int, list[tuple[Any, float]]], keep: bool = True
) -> None:
    """cap rows for `load` (from the routing family) on the view's instance columns."""
    tag, name = m.tag(v.s), v.workload.name
    for i, terms in load.items():
        cols = [col for col, _ in terms] + [v.n[i]]
        coefs = [amount for _, amount in terms] + [-1.0]
        m.row(cols, coefs, -math.inf, 0.0, f"cap[{tag}{name},{i}]" if keep else "")


def rows(m: Rows, v: ServingView) -> None:
    """The routed load fits the instances."""
    capacity(m, v, v.load)


def instance_floor(workload: Any, demand: tuple[float, ...], cands: tuple[Any, ...]) -> int:
    """Fewest instances any plan of `workload` needs: a valid cut that tightens the LP."""
    if not cands:
        return 0
    by_load = sum(d / max(c.bucket_rps[b] for c in cands) for b, d in enumerate(demand) if d > 0)
    by_replicas = workload.min_replicas / max(c.replicas_per_instance for c in cands)
    return max(math.ceil(by_load - 1e-9), math.ceil(by_replicas - 1e-9))


def floor_rows(m: Rows, v: ServingView) -> None:
    """instances: no plan needs fewer instances than the floor."""
    floor = instance_floor(v.workload, v.demand, tuple(c for _, c in v.sold))
    if floor > 0:
        cols = [v.n[i] for i, _ in v.sold]
        m.row(cols, [1.0] * len(cols), float(floor), math.inf,
              f"instances[{m.tag(v.s)}{v.workload.name}]")  # fmt: skip


SLOTS = (
    Slot("serving", 30, rows),
    Slot("serving", 40, floor_rows),
    Slot("lp_serving", 30, rows),
    Slot("lp_serving", 55, floor_rows),
)
"""In the fleet LP the floor comes after the replica rows (50), where it has always been: the
LP's row order is part of what fixes its duals, and so the decomposition's plans."""
