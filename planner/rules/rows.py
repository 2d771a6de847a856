"""What a constraint family writes its rows into: one small protocol, two models.

The placement MIP (planner.solve.mip, OR-Tools variables) and the decomposition's fleet LP
(planner.solve.lp, sparse arrays) both implement it, so a family writes each of its rows once
and both models get the same row. A column handle is whatever the model uses (a variable, a
column index); coefficients are plain floats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class Rows(Protocol):
    """A model a family adds columns and rows to."""

    def columns(
        self,
        cost: Sequence[float],
        lo: Sequence[float],
        hi: Sequence[float],
        names: Callable[[int], str] | None = None,
    ) -> Sequence[Any]:
        """New continuous columns; their handles."""
        ...

    def row(
        self, cols: Sequence[Any], coefs: Sequence[float], lo: float, hi: float, name: str = ""
    ) -> None:
        """A new row lo <= sum(coefs x cols) <= hi."""
        ...

    def group(self, name: str) -> bool:
        """Whether the constraint group `name` is kept (the diagnosis leaves groups out)."""
        ...

    def tag(self, s: int) -> str:
        """Prefix of world s's row names (empty with one world)."""
        ...


@dataclass
class ServingView:
    """One serving workload in one world, as the serving families see it: its demand per
    bucket, its candidates (all, and those sold in this world, by index), its instance
    columns, and what the routing family adds (shares x and the load they put on each
    candidate's instances)."""

    s: int
    workload: Any
    demand: tuple[float, ...]
    cands: tuple[Any, ...]
    sold: list[tuple[int, Any]]
    n: Sequence[Any]
    x: dict[tuple[int, int], Any] = field(default_factory=dict)
    load: dict[int, list[tuple[Any, float]]] = field(default_factory=dict)


@dataclass(frozen=True)
class JobView:
    """One batch or training job in one world, as the job families see it: its candidates,
    the indices of those sold in this world, its unit columns (batch: instances; training: the
    gang choice), batch instance-hours, and the requests it must finish in this world."""

    s: int
    workload: Any
    cands: tuple[Any, ...]
    sold: list[int]
    units: Sequence[Any]
    hours: Sequence[Any] = ()
    requests: float = 0.0


@dataclass(frozen=True)
class SharedRow:
    """A row that ties workloads together (a quota, an owned pool, the budget), as the
    decomposition prices it: its name, its capacity, and what a candidate puts on it."""

    name: str
    capacity: float
    covers: Callable[[Any], bool] | None
    """Whether the row limits a pool (accelerators drawn from it count); None: the row counts
    dollars per hour (the budget)."""


ROW_GROUPS = {
    "serving": "the MIP's rows of a serving workload, per world (f(model, ServingView))",
    "lp_serving": "the decomposition's fleet LP rows of a serving workload (f(model, ServingView))",
    "batch": "the MIP's rows of a batch job, per world (f(model, JobView))",
    "lp_batch": "the fleet LP rows of a batch job (f(model, JobView))",
    "training": "the MIP's rows of a training job, once (f(model, JobView))",
    "lp_training": "the fleet LP rows of a training job (f(model, JobView))",
    "shared": "the MIP's rows that tie workloads together, per world, after every workload's "
    "(f(model, world index, world, ledger))",
    "coupling": "the decomposition's priced shared rows (f(spec, owned pools) -> [SharedRow])",
    "workload_check": "verify's per-workload check for every kind (f(workload, allocations) -> "
    "[words])",
    "fleet_check": "verify's check of what the fleet shares (f(spec, owned pools, allocations) -> "
    "[words])",
}
"""Where a family's functions go (planner.rules.families builds one ordered tuple per group)."""


@dataclass(frozen=True)
class Slot:
    """One function of a family in row group `group` (a key of ROW_GROUPS), at position
    `order` there: the models call a group's functions in increasing `order`, so the keys fix
    the row order of every model (and its proto, and its plan). Two slots of one group may not
    share a key; leave gaps (10, 20, ...) so that a new family can go between two."""

    group: str
    order: int
    write: Callable[..., Any]
