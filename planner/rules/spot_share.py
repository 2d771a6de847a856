"""The spot-share family: `placement.max_spot_share`, for every workload kind.

What it limits: the share of a workload's accelerator-hours that runs on spot capacity.
- serving: every instance runs all the time, so the share of its accelerators;
- batch: accelerator-hours (instances x accelerators x hours each), the work actually bought;
- training: the gang is one pricing, so a cap below 1 rules spot out for it.

Each face of the rule lives here, and the solver, the decomposition and `verify` ask it:
`weight` (what one instance or allocation counts), `mip_row` (the MIP's row over linear terms
of any algebra: OR-Tools expressions or plain numbers), `keeps_pools_apart` (candidate pruning
must not swap a spot candidate for an on-demand one), `simple` (a subproblem without the row
is still exact), `diagnosis` (its words in an infeasibility message) and `check` (the
independent re-check of a plan, from the plan's allocations only).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from planner.plans.model import Allocation
from planner.rules.rows import Slot

FIELD = "max_spot_share"
KINDS = ("serving", "batch", "training")
"""Workload kinds the field applies to (all of them)."""
GROUP = "spot_share"
"""Name of its constraint group in the MIP (group `spot_share:<workload>`)."""
GROUPS = (GROUP,)
_TOL = 1e-6


def cap(workload: Any) -> float | None:
    """The workload's cap, or None when it allows everything on spot (1.0)."""
    share = workload.placement.max_spot_share
    return None if share >= 1 else float(share)


def mip_row(workload: Any, terms: Iterable[tuple[str, Any]]) -> tuple[Any, Any] | None:
    """(spot, limit) with spot <= limit the row, over (pricing, accelerator-hours term) pairs
    of one workload; None when the cap does not bind (no cap, or no spot term)."""
    share = cap(workload)
    terms = list(terms)
    spot = [t for pricing, t in terms if pricing == "spot"]
    if share is None or not spot:
        return None
    return _total(spot), share * _total(t for _, t in terms)


def rows(m: Any, s: int, workload: Any, terms: Iterable[tuple[str, Any]]) -> None:
    """spot_share: spot holds at most max_spot_share of the accelerator-hours (MIP only: the
    decomposition's LP leaves it out, and `simple` says when a subproblem needs it)."""
    row = mip_row(workload, terms)
    if row is not None and m.group(f"{GROUP}:{workload.name}"):
        m.add(row[0] <= row[1], f"spot_share[{m.tag(s)}{workload.name}]")


def serving_rows(m: Any, v: Any) -> None:
    """The row for a serving workload in one world: its accelerators on what is sold there."""
    rows(m, v.s, v.workload, [(c.pricing, c.accelerators * v.n[i]) for i, c in v.sold])


def batch_rows(m: Any, v: Any) -> None:
    """The row for a batch job in one world: accelerator-hours on what is sold there."""
    h, cands = v.hours, v.cands
    rows(m, v.s, v.workload, [(cands[i].pricing, cands[i].accelerators * h[i]) for i in v.sold])


def training_rows(m: Any, v: Any) -> None:
    """The row for a training job: the chosen gang's accelerators (a gang is one pricing)."""
    gangs = [
        (c.pricing, c.instances * c.accelerators * z) for c, z in zip(v.cands, v.units, strict=True)
    ]
    rows(m, v.s, v.workload, gangs)


def _total(terms: Iterable[Any]) -> Any:
    out: Any = 0
    for t in terms:
        out = out + t
    return out


def keeps_pools_apart(workload: Any, spot_allowed: bool) -> bool:
    """Whether candidate pruning must keep spot and on-demand candidates apart (the cap counts
    accelerators per pricing, so one may not stand in for the other)."""
    return spot_allowed and cap(workload) is not None


def simple(workload: Any, cands: Any = ()) -> bool:
    """Whether a subproblem that leaves the row out is still exact for this workload (no cap,
    or no spot candidate)."""
    return cap(workload) is None or not any(c.pricing == "spot" for c in cands)


def gang_allowed(workload: Any, candidate: Any) -> bool:
    """Whether a training job may take `candidate`'s gang alone: its row for that one choice
    (the decomposition enumerates gangs with this instead of solving a MIP)."""
    amount = candidate.instances * candidate.accelerators
    row = mip_row(workload, [(candidate.pricing, amount)])
    return row is None or row[0] <= row[1] + 1e-9


def cheapest_rate_exact(workload: Any) -> bool:
    """Whether a batch job all on its cheapest work rate keeps the row: only without a cap
    (the cheapest rate may be spot)."""
    return cap(workload) is None


def weight(a: Allocation) -> float:
    """Accelerator-hours per hour an allocation holds: its accelerators (a shared allocation's
    replicas' GPUs), times its hours against the longest for batch (work bought)."""
    gpus = a.count * (a.tp if a.shared_group else a.accelerators_per_instance)
    if a.kind == "batch":
        return gpus * (a.hours or 0.0)
    return float(gpus)


def spot_share(allocations: Sequence[Allocation]) -> float | None:
    """Share of the allocations' accelerator-hours on spot (None when they hold none)."""
    total = sum(weight(a) for a in allocations)
    if total <= 0:
        return None
    return sum(weight(a) for a in allocations if a.pricing == "spot") / total


def check(workload: Any, allocations: Sequence[Allocation]) -> list[str]:
    """What a plan's allocations of `workload` break of the cap, in words (empty: kept)."""
    share = cap(workload)
    used = spot_share(allocations)
    if share is None or used is None or used <= share + _TOL:
        return []
    what = "accelerator-hours" if workload.kind == "batch" else "accelerators"
    return [f"{used:.0%} of {what} on spot, above max_spot_share {share:.0%}"]


def diagnosis(workload: Any) -> str:
    """The rule in words, for an infeasibility message."""
    share = workload.placement.max_spot_share
    return f"{workload.name} may put at most {share:.0%} of its capacity on spot"


def describe(spec: Any, kind: str, arg: str) -> str:
    """Constraint group `kind:arg` (one of GROUPS) in words."""
    return diagnosis(next(w for w in spec.workloads if w.name == arg))


SLOTS = (
    Slot("serving", 60, serving_rows),
    Slot("batch", 20, batch_rows),
    Slot("training", 20, training_rows),
    Slot("workload_check", 10, check),
)
"""MIP only: the fleet LP leaves the row out (`simple` says when a subproblem needs it)."""
