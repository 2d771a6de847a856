"""The registry of constraint families, found rather than listed: every module of
planner.rules that declares SLOTS is a family, and each row group's functions are its
families' slots in increasing order key. The placement MIP (planner.solve.mip), the
decomposition (planner.solve.decompose), the infeasibility diagnosis (planner.solve.diagnose),
candidate pruning and verify ask this module, so adding a family is its module in
planner/rules (with its SLOTS) and its spec field (planner.spec.models): no line here.

Each family declares
- SLOTS: where its functions go (planner.rules.rows.Slot: a row group of ROW_GROUPS and an
  order key there; the keys fix every model's row order, so its proto and plan);
- optional hooks, asked of every family that has them: `simple(workload, cands)` (a
  decomposition subproblem without its MIP-only rows is still exact), `keeps_regions_apart`,
  `keeps_counts_exact(workload)` and `keeps_pools_apart(workload, spot_allowed)` (what
  candidate pruning must keep apart), `gang_allowed(workload, candidate)` (a training gang
  alone keeps its rows), `cheapest_rate_exact(workload)` (a batch job all on its cheapest
  work rate keeps the family's MIP-only batch rows), and GROUPS with
  `describe(spec, kind, arg)` (its constraint groups in words, for the diagnosis).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from planner.rules.rows import ROW_GROUPS, SharedRow


class RegistryError(Exception):
    """The families' declarations do not make one registry (a programming error, found on
    import): a duplicate order key, an unknown row group, a module with rows but no SLOTS."""


def row_writers(module: ModuleType) -> list[str]:
    """The row writers a module defines (functions named `rows` or `*_rows`)."""
    return sorted(
        name
        for name, fn in vars(module).items()
        if inspect.isfunction(fn)
        and fn.__module__ == module.__name__
        and (name == "rows" or name.endswith("_rows"))
    )


def discover(package: ModuleType) -> tuple[ModuleType, ...]:
    """The families of `package` (its modules with SLOTS), sorted by name. A module that
    writes rows without SLOTS is refused: no model would take them."""
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        name = f"{package.__name__}.{info.name}"
        if name == __name__:
            continue
        module = importlib.import_module(name)
        if hasattr(module, "SLOTS"):
            found.append(module)
        elif writers := row_writers(module):
            raise RegistryError(
                f"{name} writes rows ({', '.join(writers)}) but declares no SLOTS: "
                "no model would take them"
            )
    return tuple(found)


def row_groups(found: tuple[ModuleType, ...]) -> dict[str, tuple[Callable[..., Any], ...]]:
    """Every row group's functions in increasing order key. An unknown group, or two slots of
    one group with the same key, is refused (the row order would be ambiguous)."""
    slots: dict[str, dict[int, tuple[str, Callable[..., Any]]]] = {g: {} for g in ROW_GROUPS}
    for family in found:
        for slot in family.SLOTS:
            if slot.group not in slots:
                raise RegistryError(
                    f"{family.__name__}: unknown row group {slot.group!r} "
                    f"(one of {', '.join(ROW_GROUPS)})"
                )
            taken = slots[slot.group].get(slot.order)
            if taken is not None:
                raise RegistryError(
                    f"{family.__name__}.{slot.write.__name__} and {taken[0]} share order key "
                    f"{slot.order} in row group {slot.group!r}"
                )
            slots[slot.group][slot.order] = (f"{family.__name__}.{slot.write.__name__}", slot.write)
    return {g: tuple(write for _, (_, write) in sorted(by.items())) for g, by in slots.items()}


def _with(hook: str) -> tuple[ModuleType, ...]:
    return tuple(f for f in FAMILIES if hasattr(f, hook))


FAMILIES = discover(importlib.import_module(__package__ or "planner.rules"))
"""Every constraint family, sorted by module name (no answer below depends on their order;
the row order is the slots')."""

_GROUPS = row_groups(FAMILIES)

SERVING_ROWS = _GROUPS["serving"]
"""The MIP's rows of a serving workload in one world, in the order they are written."""

LP_SERVING_ROWS = _GROUPS["lp_serving"]
"""The rows the decomposition's fleet LP takes for a serving workload, in order: spread,
spot-, edge-share and region-loss rows are left out (the LP is still a lower bound, and a
workload one of them binds is solved by a small MIP: `exact_without_mip_rows`)."""

BATCH_ROWS = _GROUPS["batch"]
"""The MIP's rows of a batch job in one world, in order (its link rows h_c <= hours x n_c
come with its columns: they say what h_c is)."""

LP_BATCH_ROWS = _GROUPS["lp_batch"]
"""The rows the fleet LP takes for a batch job (the spot share is left out: `simple`)."""

TRAINING_ROWS = _GROUPS["training"]
"""The MIP's rows of a training job (once: a gang is chosen for every world)."""

LP_TRAINING_ROWS = _GROUPS["lp_training"]
"""The rows the fleet LP takes for a training job."""

SHARED_ROWS = _GROUPS["shared"]
"""The rows that tie workloads together, per world, after every workload's rows."""

WORKLOAD_CHECKS = _GROUPS["workload_check"]
"""Per-workload checks verify runs for every kind (serving's own checks, region spread
included, run inside verify's serving check: region loss is tried only where they pass)."""


FLEET_CHECKS = _GROUPS["fleet_check"]
"""verify's checks of what the fleet shares (owned pools, quotas, the budget), from the plan's
allocations only."""


def coupling(spec: Any, owned_pools: Mapping[str, Any]) -> list[SharedRow]:
    """The decomposition's shared rows, in the order of their slots."""
    return [row for rows in _GROUPS["coupling"] for row in rows(spec, owned_pools)]


def exact_without_mip_rows(workload: Any, cands: Any) -> bool:
    """Whether a decomposition subproblem of `workload` that has only the LP's rows (the
    covering subproblem) is exact: every MIP-only family says so."""
    return all(f.simple(workload, cands) for f in _with("simple"))


def describe(spec: Any, group: str) -> str | None:
    """Constraint group `group` ("kind:arg") in the words of the family that owns it."""
    kind, _, arg = group.partition(":")
    for family in _with("GROUPS"):
        if kind in family.GROUPS:
            return family.describe(spec, kind, arg)
    return None


def spread(workload: Any) -> bool:
    """Whether a family ties the workload to several regions (a spread or region loss): its
    candidates in one region may not stand in for those in another."""
    return any(f.keeps_regions_apart(workload) for f in _with("keeps_regions_apart"))


def pruning(workload: Any, spot_allowed: bool) -> dict[str, bool]:
    """What candidate pruning must keep apart for `workload` (planner.solve.candidates'
    dominance rules): regions (a spread), exact counts (a replica cap), pricings (a spot cap)."""
    return {
        "spread": spread(workload),
        "exact_replicas": any(f.keeps_counts_exact(workload) for f in _with("keeps_counts_exact")),
        "cross_pool": not any(
            f.keeps_pools_apart(workload, spot_allowed) for f in _with("keeps_pools_apart")
        ),
    }


def gang_allowed(workload: Any, candidate: Any) -> bool:
    """Whether a training job may take `candidate`'s gang alone: every training family's rows
    evaluated for that one choice. The decomposition enumerates gangs with it instead of
    solving a MIP."""
    return all(f.gang_allowed(workload, candidate) for f in _with("gang_allowed"))


def cheapest_rate_exact(workload: Any, found: tuple[ModuleType, ...] = FAMILIES) -> bool:
    """Whether a batch job's unpriced decomposition answer, all its work on the candidate with
    the least dollars per request, keeps every family's MIP-only batch rows (those the fleet LP
    leaves out): each such family says so (`cheapest_rate_exact`); one that has no such hook is
    taken to forbid the shortcut."""
    lp = {slot.write for f in found for slot in f.SLOTS if slot.group == "lp_batch"}
    mip_only = [
        f for f in found
        if any(s.group == "batch" and s.write not in lp for s in f.SLOTS)
    ]  # fmt: skip
    return all(getattr(f, "cheapest_rate_exact", _never)(workload) for f in mip_only)


def _never(workload: Any) -> bool:
    return False
