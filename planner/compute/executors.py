"""Where tasks run (a sweep's scenarios, chunks of a fleet solve): a local process pool or Ray,
behind one small interface.

An executor maps a module-level function over items with a shared value (sent to each worker
once), retries a task that raises, and reports a task that still fails as a `Failure` in its
place, so one bad scenario never drops the others. Results come back in item order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from planner.errors import InputError
from planner.extras import require

DEFAULT_RETRIES = 2
"""A failing task is run up to 1 + DEFAULT_RETRIES times before it is reported."""

OnResult = Callable[[int, Any], None]


@dataclass(frozen=True)
class Failure:
    """A task that raised on every attempt: the last error, as `Type: message`."""

    error: str
    attempts: int


def describe(exc: BaseException) -> str:
    """An exception as `Type: message` (the same text whichever executor caught it)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Executor(Protocol):
    """Runs `fn(shared, item)` for every item; results (or Failures) in item order.

    `with executor:` holds its resources (a Ray connection) across several maps; outside such
    a block each map acquires and releases them itself. `parallelism` is how many tasks run at
    once (a cluster's CPUs once joined)."""

    name: str

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...

    @property
    def parallelism(self) -> int: ...

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        shared: Any,
        items: Sequence[Any],
        on_result: OnResult | None = None,
    ) -> list[Any]: ...


def make_executor(
    kind: str,
    *,
    workers: int | None = None,
    address: str | None = None,
    retries: int = DEFAULT_RETRIES,
) -> Executor:
    """The executor called `kind` ('local' or 'ray'); Ray is imported only when asked for."""
    if kind == "local":
        if address:
            raise InputError("--address needs --executor ray")
        from planner.compute.local import LocalExecutor

        return LocalExecutor(workers=workers, retries=retries)
    if kind == "ray":
        require("ray", "ray", "--executor ray")
        from planner.compute.ray_executor import RayExecutor

        return RayExecutor(address=address, workers=workers, retries=retries)
    raise InputError(f"unknown executor {kind!r}; use local or ray")
