"""The local executor: a process pool (concurrent.futures) on this machine.

Workers fork from a clean forkserver process that has the mapped function's module imported,
and receive the shared value once, when they start. A task that raises is resubmitted; a worker
that dies breaks the pool, which is started again for the tasks still to run.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from planner.compute.executors import DEFAULT_RETRIES, Failure, OnResult, describe

_shared: Any = None


def _install(shared: Any) -> None:
    """Worker start-up: keep the shared value for every task this worker runs."""
    global _shared
    _shared = shared


def _call(fn: Callable[[Any, Any], Any], item: Any) -> Any:
    return fn(_shared, item)


class LocalExecutor:
    """Runs tasks in `workers` processes (default: one per CPU)."""

    name = "local"

    def __init__(self, workers: int | None = None, retries: int = DEFAULT_RETRIES):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.retries = retries

    def __enter__(self) -> LocalExecutor:
        return self  # a pool is started per map: nothing is held between maps

    def __exit__(self, *exc: object) -> None:
        return None

    @property
    def parallelism(self) -> int:
        return self.workers

    def _pool(self, fn: Callable, shared: Any, tasks: int) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([fn.__module__])
        return ProcessPoolExecutor(
            max_workers=min(self.workers, max(1, tasks)),
            mp_context=context,
            initializer=_install,
            initargs=(shared,),
        )

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        shared: Any,
        items: Sequence[Any],
        on_result: OnResult | None = None,
    ) -> list[Any]:
        results: list[Any] = [None] * len(items)
        attempts = [0] * len(items)
        todo = list(range(len(items)))
        while todo:
            with self._pool(fn, shared, len(todo)) as pool:
                pending: dict[Future, int] = {pool.submit(_call, fn, items[i]): i for i in todo}
                todo = []
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in sorted(done, key=lambda f: pending[f]):
                        i = pending.pop(future)
                        attempts[i] += 1
                        try:
                            value = future.result()
                        except BrokenProcessPool as exc:
                            if attempts[i] <= self.retries:
                                todo.append(i)  # run again in a fresh pool
                                continue
                            value = Failure(describe(exc), attempts[i])
                        except Exception as exc:
                            if attempts[i] <= self.retries:
                                pending[pool.submit(_call, fn, items[i])] = i
                                continue
                            value = Failure(describe(exc), attempts[i])
                        results[i] = value
                        if on_result is not None:
                            on_result(i, value)
            todo.sort()
        return results
