"""The registry of constraint families: which rows each model takes from which family, in
order, and who answers for exactness, diagnosis words and per-workload checks.

The placement MIP (planner.solve.mip), the decomposition (planner.solve.decompose), the
infeasibility diagnosis (planner.solve.diagnose) and verify ask this module, so adding a family
is its module in planner/rules, its lines here, and its spec field (planner.spec.models).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planner.rules import (
    budget,
    capacity,
    deadlines,
    edge_share,
    owned,
    quotas,
    region_loss,
    regions,
    replicas,
    routing,
    spot_share,
)
from planner.rules.rows import SharedRow

FAMILIES = (
    routing,
    capacity,
    replicas,
    edge_share,
    spot_share,
    regions,
    region_loss,
    deadlines,
    quotas,
    owned,
    budget,
)
"""Every constraint family."""

SERVING_ROWS = (
    routing.rows,
    edge_share.rows,
    capacity.rows,
    capacity.floor_rows,
    replicas.rows,
    spot_share.serving_rows,
    regions.rows,
    region_loss.rows,
)
"""The MIP's rows of a serving workload in one world, in the order they are written."""

LP_SERVING_ROWS = (routing.rows, capacity.rows, replicas.rows, capacity.floor_rows)
"""The rows the decomposition's fleet LP takes for a serving workload, in order: spread,
spot-, edge-share and region-loss rows are left out (the LP is still a lower bound, and a
workload one of them binds is solved by a small MIP: `exact_without_mip_rows`)."""

BATCH_ROWS = (deadlines.batch_rows, spot_share.batch_rows)
"""The MIP's rows of a batch job in one world, in order (its link rows h_c <= hours x n_c
come with its columns: they say what h_c is)."""

TRAINING_ROWS = (deadlines.training_rows, spot_share.training_rows)
"""The MIP's rows of a training job (once: a gang is chosen for every world)."""

LP_BATCH_ROWS = (deadlines.batch_rows,)
"""The rows the fleet LP takes for a batch job (the spot share is left out: `simple`)."""

SHARED_ROWS = (owned.rows, quotas.rows, budget.rows)
"""The rows that tie workloads together, per world, after every workload's rows."""


def coupling(spec: Any, owned_pools: Mapping[str, Any]) -> list[SharedRow]:
    """The decomposition's shared rows, in order: quotas, owned pools, the budget."""
    return [
        *quotas.coupling(spec.constraints.quotas),
        *owned.coupling(owned_pools),
        *budget.coupling(spec.constraints.budget_per_hour),
    ]


def exact_without_mip_rows(workload: Any, cands: Any) -> bool:
    """Whether a decomposition subproblem of `workload` that has only the LP's rows (the
    covering subproblem) is exact: every MIP-only family says so."""
    return all(f.simple(workload, cands) for f in FAMILIES if hasattr(f, "simple"))


def describe(spec: Any, group: str) -> str | None:
    """Constraint group `group` ("kind:arg") in the words of the family that owns it."""
    kind, _, arg = group.partition(":")
    for family in FAMILIES:
        if kind in getattr(family, "GROUPS", ()):
            return family.describe(spec, kind, arg)
    return None


def spread(workload: Any) -> bool:
    """Whether a family ties the workload to several regions (a spread or region loss): its
    candidates in one region may not stand in for those in another."""
    return any(f.keeps_regions_apart(workload) for f in (regions, region_loss))


def pruning(workload: Any, spot_allowed: bool) -> dict[str, bool]:
    """What candidate pruning must keep apart for `workload` (planner.solve.candidates'
    dominance rules): regions (a spread), exact counts (a replica cap), pricings (a spot cap)."""
    return {
        "spread": spread(workload),
        "exact_replicas": replicas.keeps_counts_exact(workload),
        "cross_pool": not spot_share.keeps_pools_apart(workload, spot_allowed),
    }


def gang_allowed(workload: Any, candidate: Any) -> bool:
    """Whether a training job may take `candidate`'s gang alone: the training families' rows
    (exactly one gang, the spot share) evaluated for that one choice. The decomposition
    enumerates gangs with it instead of solving a MIP."""
    amount = candidate.instances * candidate.accelerators
    row = spot_share.mip_row(workload, [(candidate.pricing, amount)])
    return row is None or row[0] <= row[1] + 1e-9


WORKLOAD_CHECKS = (spot_share.check,)
"""Per-workload checks verify runs for every kind (serving's own checks, region spread
included, run inside verify's serving check: region loss is tried only where they pass)."""
