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
