"""Fleets whose workloads may share instances, at scale: a first plan and a lower bound from the
Lagrangian decomposition, which prices each workload alone and so cannot price an instance
bought for several.

The plan: the decomposition over each workload's dedicated candidates (every shared replica
slot has a dedicated twin, so it is a plan of the fleet). The bound: each shared slot becomes
an instance of its own, of the slot's GPUs at their share of the instance's price (`pro_rata`).
Every plan of the fleet is a plan of that problem at no higher cost (a group's instances hold
at least its slots' GPUs, at the same price per GPU), so a Lagrangian bound of it bounds the
fleet: the dedicated decomposition's, with the sharing workloads' subproblems solved again over
their pro-rata slots too (`wider_bound`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from planner.plans.model import Allocation
from planner.solve.assemble import capacity_use
from planner.solve.backend import SolveOptions
from planner.solve.candidates import Candidate
from planner.solve.decompose import decompose, eligible, wider_bound
from planner.solve.mip import PlacementProblem
from planner.solve.solution import Solution, positions
from planner.solve.usage import over_quota

FIRST_PLAN_SHARE = 0.8
"""The share of the time left the dedicated decomposition gets; the bound's subproblems may
take the rest (they stop at the deadline with the bound they proved)."""


@dataclass(frozen=True)
class FirstPlan:
    """A plan of a fleet with shared instances, keyed by its problem's candidate indices (None
    where none was found in time), a lower bound on its optimum (0 where none was proved) and
    how long the decomposition's fleet LP took."""

    solution: Solution | None
    bound: float
    lp_seconds: float = 0.0


def pro_rata(c: Candidate) -> Candidate:
    """A shared replica slot as an instance of its own: its TP GPUs at their share of the
    instance's price."""
    size = c.offering.accelerator_count
    return replace(
        c,
        shared=False,
        price=c.price * c.tp / size,
        offering=replace(c.offering, accelerator_count=c.tp),
    )


def keeps_shared_limits(problem: PlacementProblem, allocations: list[Allocation]) -> bool:
    """Whether a plan's allocations keep the quotas, the owned pools and the budget (what ties
    workloads together; each workload's own rows hold by construction)."""
    budget = problem.spec.constraints.budget_per_hour
    peak = sum(a.cost_per_hour for a in allocations)
    owned_full = any(p.used > p.accelerators for p in capacity_use(problem, allocations, None))
    over_budget = budget is not None and peak > budget + 1e-9
    return not (over_quota(problem.spec, allocations) or owned_full or over_budget)


def first_plan(problem: PlacementProblem, options: SolveOptions) -> FirstPlan:
    """A first plan and a bound for `problem` (see the module's docstring), the plan within
    FIRST_PLAN_SHARE of the time left and the bound by the deadline; FirstPlan(None, 0) where
    no candidate is shared, the decomposition does not apply (commitments, time windows) or a
    workload has no dedicated candidate."""
    keep = {w: tuple(c for c in cands if not c.shared) for w, cands in problem.candidates.items()}
    if all(len(keep[w]) == len(cands) for w, cands in problem.candidates.items()):
        return FirstPlan(None, 0.0)  # nothing is shared: the decomposition itself plans it
    dedicated = replace(problem, candidates=keep)
    if not all(keep.values()) or not eligible(dedicated):
        return FirstPlan(None, 0.0)
    options = options.with_deadline()
    deadline = options.deadline
    assert deadline is not None
    share = deadline.within(FIRST_PLAN_SHARE * max(0.0, deadline.left()))
    found = decompose(dedicated, replace(options, deadline=share))
    if found.solution is None:
        return FirstPlan(None, 0.0, found.lp_seconds)
    plan = found.solution.reindexed(positions(problem, dedicated))
    sharing = [w for w, cands in problem.candidates.items() if any(c.shared for c in cands)]
    wider = {
        w: tuple(pro_rata(c) if c.shared else c for c in problem.candidates[w]) for w in sharing
    }
    deadline.phase("pro-rata bound")
    bound = wider_bound(replace(problem, candidates=keep | wider), sharing, found, options)
    return FirstPlan(plan, bound if math.isfinite(bound) else 0.0, found.lp_seconds)
