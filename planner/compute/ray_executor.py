"""The Ray executor: one Ray task per item, on a local Ray or an existing cluster.

The shared value goes into the object store once (`ray.put`); tasks get its reference inside
a list, so Ray does not resolve it per task, and each worker process fetches and unpickles it
once. A task that raises is retried by Ray (`max_retries`, `retry_exceptions`) and, if it
still fails, reported in its place. Importing this module imports Ray: only do so when asked.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

import ray
from ray.exceptions import RayError, RayTaskError

from planner.compute.executors import DEFAULT_RETRIES, Failure, OnResult, describe

_cache: dict[str, Any] = {}


def _shared(holder: list) -> Any:
    """The shared value in this worker process, fetched from the object store on first use."""
    ref = holder[0]
    key = ref.hex()
    if key not in _cache:
        _cache.clear()
        _cache[key] = ray.get(ref)
    return _cache[key]


def _call(fn: Callable[[Any, Any], Any], holder: list, item: Any) -> Any:
    return fn(_shared(holder), item)


class RayExecutor:
    """Runs tasks on Ray: the cluster at `address`, or a local Ray of `workers` CPUs."""

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        retries: int = DEFAULT_RETRIES,
    ):
        self.address = address
        self.workers = workers
        self.retries = retries
        self._held = False

    def __enter__(self) -> RayExecutor:
        self._held = self._connect()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._held:
            self._held = False
            ray.shutdown()

    @property
    def parallelism(self) -> int:
        """The CPUs Ray has (the cluster's once joined), else `workers` or this machine's."""
        if ray.is_initialized():
            return max(1, int(ray.cluster_resources().get("CPU", 1)))
        return self.workers or os.cpu_count() or 1

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_held": False}  # a copy in a task holds no connection

    def _connect(self) -> bool:
        """Start or join Ray unless this process already has; True when this call did."""
        if ray.is_initialized():
            return False
        common = {"logging_level": logging.WARNING, "log_to_driver": False}
        if self.address:
            ray.init(address=self.address, **common)
        else:
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            ray.init(
                num_cpus=self.workers or os.cpu_count() or 1, include_dashboard=False, **common
            )
        return True

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        shared: Any,
        items: Sequence[Any],
        on_result: OnResult | None = None,
    ) -> list[Any]:
        started = self._connect()
        try:
            holder = [ray.put(shared)]
            remote = ray.remote(_call).options(
                num_cpus=1, max_retries=self.retries, retry_exceptions=True
            )
            pending = {remote.remote(fn, holder, item): i for i, item in enumerate(items)}
            results: list[Any] = [None] * len(items)
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    i = pending.pop(ref)
                    try:
                        value = ray.get(ref)
                    except RayTaskError as err:
                        cause = err.cause if isinstance(err.cause, BaseException) else err
                        value = Failure(describe(cause), self.retries + 1)
                    except RayError as err:
                        value = Failure(describe(err), self.retries + 1)
                    results[i] = value
                    if on_result is not None:
                        on_result(i, value)
            return results
        finally:
            if started:
                ray.shutdown()
