"""The routing family: every request-size bucket of a serving workload is routed.

    sum_c x_cb = 1          for every bucket b (route)

x_cb is the share of bucket b's requests sent to candidate c; only candidates with a planned
rate for the bucket (within the SLO) may take it. Applies to serving (batch and training have
no requests to route). Both the MIP and the decomposition's LP take these rows; the shares'
load on each candidate's instances is what the capacity family limits.

Independent check: `planner verify` re-routes the plan's instances with its own LP
(planner.verify.checks); the tie rule among equal-cost routings is planner.solve.routing.
"""

from __future__ import annotations

from typing import Any

from planner.rules.rows import Rows, ServingView, Slot

KINDS = ("serving",)
GROUP = None
"""Routing is never relaxed by the diagnosis: without it a plan serves nobody."""


def route(
    m: Rows, v: ServingView, sold: list[tuple[int, Any]], keep: bool = True
) -> tuple[dict[tuple[int, int], Any], dict[int, list[tuple[Any, float]]]]:
    """The route rows over `sold`: shares x by (candidate, bucket) and each candidate's load
    terms (share, instances it takes per unit share). `keep` names columns and rows (the
    MIP reads them back); a region-loss copy does not."""
    name, tag = v.workload.name, m.tag(v.s)
    x: dict[tuple[int, int], Any] = {}
    load: dict[int, list[tuple[Any, float]]] = {}
    for b, d in enumerate(v.demand):
        able = [(i, c) for i, c in sold if c.bucket_rps[b] > 0]
        names = (lambda j, able=able, b=b: f"x[{tag}{name},{able[j][0]},{b}]") if keep else None
        zeros = [0.0] * len(able)
        shares = list(m.columns(zeros, zeros, [1.0] * len(able), names))
        for (i, c), share in zip(able, shares, strict=True):
            x[(i, b)] = share
            load.setdefault(i, []).append((share, d / c.bucket_rps[b]))
        if not shares:  # nothing sold here serves this bucket: the world has no plan
            shares = list(m.columns([0.0], [0.0], [0.0]))
        m.row(shares, [1.0] * len(shares), 1.0, 1.0, f"route[{tag}{name},{b}]" if keep else "")
    return x, load


def rows(m: Rows, v: ServingView) -> None:
    """Route every bucket over the candidates sold in the view's world."""
    v.x, v.load = route(m, v, v.sold)


SLOTS = (Slot("serving", 10, rows), Slot("lp_serving", 10, rows))
"""Routing comes first in both models: the other serving rows read its shares."""
