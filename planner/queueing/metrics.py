"""The value every queueing model returns, and the error for a queue that never drains."""

from __future__ import annotations

import math
from dataclasses import dataclass


class UnstableQueueError(ValueError):
    """Raised when a figure is asked of a queue whose load reaches its capacity (rho >= 1)."""


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state figures of a queue; rates per second, times in seconds.

    When the queue is unstable (utilization >= 1) the waiting figures are None and `reason`
    says why, rather than carrying inf or NaN.
    """

    model: str
    arrival_rate: float
    service_rate: float
    servers: int
    utilization: float
    stable: bool
    prob_wait: float | None
    mean_wait_s: float | None
    mean_time_in_system_s: float | None
    mean_queue_length: float | None
    mean_in_system: float | None
    reason: str = ""


MAX_SERVERS = 1_000_000
"""Most servers of one queue (Erlang's recursion takes a step per server up to the load)."""


def check_rates(arrival_rate: float, service_rate: float, servers: int = 1) -> None:
    """ValueError unless the arrival rate is >= 0, the service rate > 0 and servers >= 1."""
    if not (math.isfinite(arrival_rate) and arrival_rate >= 0):
        raise ValueError(f"arrival rate must be a non-negative number, got {arrival_rate!r}")
    if not (math.isfinite(service_rate) and service_rate > 0):
        raise ValueError(f"service rate must be a positive number, got {service_rate!r}")
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < 1:
        raise ValueError(f"servers must be a whole number of at least 1, got {servers!r}")
    if servers > MAX_SERVERS:
        raise ValueError(
            f"servers must be at most {MAX_SERVERS:,} (the figures come from a recursion over "
            f"the servers), got {servers:,}"
        )


def unstable_reason(arrival_rate: float, capacity: float) -> str:
    """The message for a queue whose arrivals reach its total service rate."""
    return (
        f"unstable: arrival rate {arrival_rate:g}/s reaches the total service rate "
        f"{capacity:g}/s, so the queue grows without bound"
    )


def unstable_metrics(
    model: str, arrival_rate: float, service_rate: float, servers: int
) -> QueueMetrics:
    """Figures for an unstable queue: utilization only."""
    capacity = servers * service_rate
    return QueueMetrics(
        model=model,
        arrival_rate=arrival_rate,
        service_rate=service_rate,
        servers=servers,
        utilization=arrival_rate / capacity,
        stable=False,
        prob_wait=1.0,
        mean_wait_s=None,
        mean_time_in_system_s=None,
        mean_queue_length=None,
        mean_in_system=None,
        reason=unstable_reason(arrival_rate, capacity),
    )
