"""Both cores: map a function over items in worker processes (fork), in order.

Workers inherit the parent's state at the fork (the problem, caches), so only the items and
the results cross process boundaries. One worker, or few items, runs in this process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import Any

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
) -> list:
    """[fn(state, item) for item in items], over `workers` forked processes (in this one when
    there are fewer than `per_worker` items per worker)."""
    global _STATE, _FN
    if (
        workers <= 1
        or len(items) < per_worker * workers
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return [fn(state, item) for item in items]
    size = -(-len(items) // (workers * 4))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    _STATE, _FN = state, fn
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_call, chunks)
    finally:
        _STATE, _FN = None, None
    return [r for part in parts for r in part]
