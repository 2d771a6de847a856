"""Both cores, or a cluster: map a function over items in worker processes, in order.

By default workers fork from this process and inherit its state (the problem, caches), so only
the items and the results cross process boundaries; one worker, or few items, runs in this
process. Given an executor (`SolveOptions.executor`, a Ray cluster say), the items go to it in
chunks with the state sent once per map, and a chunk that fails on every retry stops the solve.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import Any

from planner.compute.executors import Executor, Failure
from planner.errors import PlannerError

_STATE: Any = None
_FN: Callable | None = None


def _call(chunk: Sequence) -> list:
    assert _FN is not None
    return [_FN(_STATE, item) for item in chunk]


def parallel_map(
    fn: Callable[[Any, Any], Any],
    state: Any,
    items: Sequence,
    workers: int,
    *,
    per_worker: int = 2,
    executor: Executor | None = None,
    chunks_per_worker: int = 4,
) -> list:
    """[fn(state, item) for item in items], over `executor` when given, else over `workers`
    forked processes (in this one when there are fewer than `per_worker` items per worker).
    The items go out in `chunks_per_worker` contiguous chunks per worker: more balance the
    load, fewer keep neighbouring items (which may share a worker's caches) in one process."""
    global _STATE, _FN
    if executor is not None and len(items) >= per_worker:
        return _on_executor(executor, fn, state, items)
    if (
        workers <= 1
        or len(items) < per_worker * workers
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return [fn(state, item) for item in items]
    size = -(-len(items) // (workers * chunks_per_worker))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    _STATE, _FN = state, fn
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_call, chunks)
    finally:
        _STATE, _FN = None, None
    return [r for part in parts for r in part]


def _call_one(_: Any) -> Any:
    assert _FN is not None
    return _FN(_STATE)


def beside(fn: Callable[[Any], Any], state: Any, workers: int) -> Callable[[], Any]:
    """fn(state) in one forked worker process while this one goes on, where there are two or
    more workers and processes can fork (else here, when the result is asked for): returns
    what waits for the result (a failure in the worker is raised there)."""
    global _STATE, _FN
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return lambda: fn(state)
    _STATE, _FN = state, fn
    try:
        pool = multiprocessing.get_context("fork").Pool(1)  # forks now, with the state
    finally:
        _STATE, _FN = None, None
    pending = pool.apply_async(_call_one, (None,))

    def result() -> Any:
        try:
            return pending.get()
        finally:
            pool.terminate()
            pool.join()

    return result


def _chunk(shared: tuple[Callable, Any], chunk: Sequence) -> list:
    fn, state = shared
    return [fn(state, item) for item in chunk]


def _on_executor(executor: Executor, fn: Callable, state: Any, items: Sequence) -> list:
    slots = max(2, executor.parallelism)
    size = -(-len(items) // (slots * 4))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    parts = executor.map(_chunk, (fn, state), chunks)
    for part in parts:
        if isinstance(part, Failure):
            raise PlannerError(
                f"a solve task failed on the {executor.name} executor after "
                f"{part.attempts} attempt(s): {part.error}"
            )
    return [r for part in parts for r in part]
