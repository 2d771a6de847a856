"""The M/G/1 queue through the Pollaczek-Khinchine formula: only the mean and the squared
coefficient of variation (SCV) of the service time matter for the mean wait."""

from __future__ import annotations

import math

from planner.queueing.metrics import QueueMetrics, check_rates, unstable_metrics


def mg1(arrival_rate: float, mean_service_s: float, service_scv: float = 1.0) -> QueueMetrics:
    """Steady-state means: Wq = rho (1 + SCV) / (2 (1 - rho)) x E[S].

    SCV is Var[S] / E[S]^2: 1 for exponential service (M/M/1), 0 for constant service (M/D/1).
    prob_wait is rho, the chance an arrival finds the server busy.
    """
    if not (math.isfinite(mean_service_s) and mean_service_s > 0):
        raise ValueError(f"mean service time must be a positive number, got {mean_service_s!r}")
    if not (math.isfinite(service_scv) and service_scv >= 0):
        raise ValueError(f"service SCV must be a non-negative number, got {service_scv!r}")
    service_rate = 1 / mean_service_s
    check_rates(arrival_rate, service_rate)
    rho = arrival_rate * mean_service_s
    if rho >= 1:
        return unstable_metrics("M/G/1", arrival_rate, service_rate, 1)
    mean_wait = rho * (1 + service_scv) / (2 * (1 - rho)) * mean_service_s
    return QueueMetrics(
        model="M/G/1",
        arrival_rate=arrival_rate,
        service_rate=service_rate,
        servers=1,
        utilization=rho,
        stable=True,
        prob_wait=rho,
        mean_wait_s=mean_wait,
        mean_time_in_system_s=mean_wait + mean_service_s,
        mean_queue_length=arrival_rate * mean_wait,
        mean_in_system=arrival_rate * (mean_wait + mean_service_s),
    )
