"""The edge-share family: `edge_share_max` of a serving workload.

    sum_{c at the edge, b} d_b x_cb <= edge_share_max x sum_b d_b

Edge devices serve at most that share of the workload's requests. A serving field (the spec
has none for batch or training). MIP only: the decomposition's LP leaves it out (still a lower
bound) and solves such a workload by a small MIP (`simple`).
"""

from __future__ import annotations

import math
from typing import Any

from planner.rules.rows import Rows, ServingView, Slot

FIELD = "edge_share_max"
KINDS = ("serving",)


def rows(m: Rows, v: ServingView) -> None:
    at_edge = [(share, v.demand[b]) for (i, b), share in v.x.items()
               if v.cands[i].offering.service_kind == "edge"]  # fmt: skip
    if at_edge:
        limit = v.workload.edge_share_max * sum(v.demand)
        m.row([s for s, _ in at_edge], [d for _, d in at_edge], -math.inf, limit,
              f"edge_share[{m.tag(v.s)}{v.workload.name}]")  # fmt: skip


def simple(workload: Any, cands: Any = ()) -> bool:
    """Whether a subproblem that leaves the row out is still exact (no cap, or no edge
    candidate)."""
    return workload.edge_share_max >= 1 or not any(c.offering.service_kind == "edge" for c in cands)


SLOTS = (Slot("serving", 20, rows),)
"""MIP only (after routing, whose shares it caps)."""
