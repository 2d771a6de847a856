"""The M/M/1 queue: Poisson arrivals, one server with exponential service."""

from __future__ import annotations

import math

from planner.queueing.metrics import (
    QueueMetrics,
    UnstableQueueError,
    check_rates,
    unstable_metrics,
    unstable_reason,
)


def mm1(arrival_rate: float, service_rate: float) -> QueueMetrics:
    """Steady-state figures: rho = lambda/mu, Wq = rho / (mu - lambda), W = 1 / (mu - lambda)."""
    check_rates(arrival_rate, service_rate)
    if arrival_rate >= service_rate:
        return unstable_metrics("M/M/1", arrival_rate, service_rate, 1)
    rho = arrival_rate / service_rate
    drain = service_rate - arrival_rate
    return QueueMetrics(
        model="M/M/1",
        arrival_rate=arrival_rate,
        service_rate=service_rate,
        servers=1,
        utilization=rho,
        stable=True,
        prob_wait=rho,
        mean_wait_s=rho / drain,
        mean_time_in_system_s=1 / drain,
        mean_queue_length=rho**2 / (1 - rho),
        mean_in_system=rho / (1 - rho),
    )


def mm1_wait_tail(arrival_rate: float, service_rate: float, t: float) -> float:
    """P(wait > t) = rho exp(-(mu - lambda) t) for t >= 0."""
    check_rates(arrival_rate, service_rate)
    if not t >= 0:
        raise ValueError(f"t must be non-negative, got {t!r}")
    if arrival_rate >= service_rate:
        raise UnstableQueueError(unstable_reason(arrival_rate, service_rate))
    return arrival_rate / service_rate * math.exp(-(service_rate - arrival_rate) * t)


def mm1_sojourn_tail(arrival_rate: float, service_rate: float, t: float) -> float:
    """P(wait + service > t) = exp(-(mu - lambda) t) for t >= 0."""
    check_rates(arrival_rate, service_rate)
    if not t >= 0:
        raise ValueError(f"t must be non-negative, got {t!r}")
    if arrival_rate >= service_rate:
        raise UnstableQueueError(unstable_reason(arrival_rate, service_rate))
    return math.exp(-(service_rate - arrival_rate) * t)
