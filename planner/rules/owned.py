"""The owned-capacity family: what runs on an owned pool (a cluster, edge devices, a
reservation or time window) fits its accelerators.

    sum_{candidates on pool p} accelerators_c x units_c <= accelerators_p   in every world

Applies to every kind (serving, batch and training all draw on owned pools). The MIP takes
`rows`, the decomposition prices `coupling`; usage is planner.rules.quotas.owned_used, the
one count verify and report use too.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from planner.rules.quotas import owned_covers, owned_used
from planner.rules.rows import SharedRow, Slot

__all__ = ["GROUP", "KINDS", "SLOTS", "check", "coupling", "owned_used", "rows"]

FIELD = "capacity"
KINDS = ("serving", "batch", "training")
GROUP = "owned"


def rows(m: Any, s: int, world: Any, ledger: Any) -> None:
    """owned: world s's accelerator terms on each owned pool stay within its size."""
    pools = ledger.pools
    for name in sorted(world.owned):
        terms = [t for pool, ts in pools.items() if owned_covers(name, pool) for t in ts]
        if terms:
            m.add(m.sum(terms) <= world.owned[name].accelerators, f"owned[{m.tag(s)}{name}]")


def coupling(spec: Any, owned: Mapping[str, Any]) -> list[SharedRow]:
    """The owned pools (sorted by name) as the decomposition's shared rows."""
    return [
        SharedRow(f"{GROUP}:{n}", float(owned[n].accelerators), partial(owned_covers, n))
        for n in sorted(owned)
    ]


def check(name: str, accelerators: int, allocations) -> str | None:
    """What the allocations break of owned pool `name`, in words (None: kept)."""
    used = owned_used(name, allocations)
    if used > accelerators:
        return f"uses {used} accelerators of {name}, which has {accelerators}"
    return None


def fleet_check(spec: Any, owned: Mapping[str, Any], allocations) -> list[str]:
    """verify's check: every owned pool (by name) holds what runs on it."""
    found = (check(name, owned[name].accelerators, allocations) for name in sorted(owned))
    return [words for words in found if words is not None]


SLOTS = (
    Slot("shared", 10, rows),
    Slot("coupling", 20, coupling),
    Slot("fleet_check", 10, fleet_check),
)
"""First of the MIP's shared rows, after the quotas in the decomposition's."""
