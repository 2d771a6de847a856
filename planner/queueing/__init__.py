"""Queueing models for sizing replica counts: M/M/1, M/M/c (Erlang C) and M/G/1."""

from planner.queueing.metrics import QueueMetrics, UnstableQueueError
from planner.queueing.mg1 import mg1
from planner.queueing.mm1 import mm1, mm1_sojourn_tail, mm1_wait_tail
from planner.queueing.mmc import (
    erlang_b,
    erlang_c,
    mmc,
    mmc_sojourn_percentile,
    mmc_sojourn_tail,
    mmc_wait_percentile,
    mmc_wait_tail,
)
from planner.queueing.sizing import ServiceTime, Sizing, size_servers

__all__ = [
    "QueueMetrics",
    "ServiceTime",
    "Sizing",
    "UnstableQueueError",
    "erlang_b",
    "erlang_c",
    "mg1",
    "mm1",
    "mm1_sojourn_tail",
    "mm1_wait_tail",
    "mmc",
    "mmc_sojourn_percentile",
    "mmc_sojourn_tail",
    "mmc_wait_percentile",
    "mmc_wait_tail",
    "size_servers",
]
