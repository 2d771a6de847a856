"""M/M/c queues (Poisson arrivals, exponential service, c servers) through Erlang B and C.

Erlang B comes from its recursion B(k) = a B(k-1) / (k + a B(k-1)), which stays in [0, 1]
for any number of servers, so no factorial or power ever overflows.
"""

from __future__ import annotations

import math

from planner.queueing.metrics import (
    QueueMetrics,
    UnstableQueueError,
    check_rates,
    unstable_metrics,
    unstable_reason,
)


def erlang_b(servers: int, offered_load: float) -> float:
    """Blocking probability of an M/M/c/c loss system with offered load a = lambda / mu."""
    if servers < 0 or not (math.isfinite(offered_load) and offered_load >= 0):
        raise ValueError(f"need servers >= 0 and a finite load >= 0, got {servers}, {offered_load}")
    blocking = 1.0
    for k in range(1, servers + 1):
        carried = offered_load * blocking
        blocking = carried / (k + carried)
        if blocking == 0.0:  # past the load it falls faster than geometrically: 0 from here on
            break
    return blocking


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability an arrival waits in an M/M/c queue with offered load a = lambda / mu < c."""
    if servers < 1:
        raise ValueError(f"servers must be at least 1, got {servers}")
    rho = offered_load / servers
    if rho >= 1:
        raise UnstableQueueError(unstable_reason(offered_load, servers))
    blocking = erlang_b(servers, offered_load)
    return blocking / (1 - rho * (1 - blocking))


def _stable(arrival_rate: float, service_rate: float, servers: int) -> float:
    """The probability of waiting, after checking the inputs and stability."""
    check_rates(arrival_rate, service_rate, servers)
    if arrival_rate >= servers * service_rate:
        raise UnstableQueueError(unstable_reason(arrival_rate, servers * service_rate))
    return erlang_c(servers, arrival_rate / service_rate)


def mmc(arrival_rate: float, service_rate: float, servers: int) -> QueueMetrics:
    """Steady-state figures of an M/M/c queue (unstable ones are reported, not raised)."""
    check_rates(arrival_rate, service_rate, servers)
    if arrival_rate >= servers * service_rate:
        return unstable_metrics("M/M/c", arrival_rate, service_rate, servers)
    prob_wait = _stable(arrival_rate, service_rate, servers)
    mean_wait = prob_wait / (servers * service_rate - arrival_rate)
    return QueueMetrics(
        model="M/M/c",
        arrival_rate=arrival_rate,
        service_rate=service_rate,
        servers=servers,
        utilization=arrival_rate / (servers * service_rate),
        stable=True,
        prob_wait=prob_wait,
        mean_wait_s=mean_wait,
        mean_time_in_system_s=mean_wait + 1 / service_rate,
        mean_queue_length=arrival_rate * mean_wait,
        mean_in_system=arrival_rate * (mean_wait + 1 / service_rate),
    )


def mmc_wait_tail(arrival_rate: float, service_rate: float, servers: int, t: float) -> float:
    """P(wait > t) = C exp(-(c mu - lambda) t) for t >= 0."""
    if not t >= 0:
        raise ValueError(f"t must be non-negative, got {t!r}")
    prob_wait = _stable(arrival_rate, service_rate, servers)
    return prob_wait * math.exp(-(servers * service_rate - arrival_rate) * t)


def mmc_wait_percentile(
    arrival_rate: float, service_rate: float, servers: int, percentile: float = 0.95
) -> float:
    """The wait a `percentile` share of arrivals do not exceed (0 when few enough ever wait)."""
    _check_percentile(percentile)
    prob_wait = _stable(arrival_rate, service_rate, servers)
    if prob_wait <= 1 - percentile:
        return 0.0
    return math.log(prob_wait / (1 - percentile)) / (servers * service_rate - arrival_rate)


def _two_exponentials_tail(rate_a: float, rate_b: float, t: float) -> float:
    """P(X + Y > t) for independent exponentials X, Y, written so nothing overflows or cancels."""
    slow, fast = sorted((rate_a, rate_b))
    gap = fast - slow
    spread = t * (1 - gap * t / 2) if gap * t < 1e-8 else -math.expm1(-gap * t) / gap
    return math.exp(-slow * t) * (1 + slow * spread)


def _sojourn_tail(prob_wait: float, drain: float, service_rate: float, t: float) -> float:
    return (1 - prob_wait) * math.exp(-service_rate * t) + prob_wait * _two_exponentials_tail(
        drain, service_rate, t
    )


def mmc_sojourn_tail(arrival_rate: float, service_rate: float, servers: int, t: float) -> float:
    """P(wait + service > t) with exponential service: the wait is zero with probability 1 - C
    and exponential at rate c mu - lambda otherwise."""
    if not t >= 0:
        raise ValueError(f"t must be non-negative, got {t!r}")
    prob_wait = _stable(arrival_rate, service_rate, servers)
    return _sojourn_tail(prob_wait, servers * service_rate - arrival_rate, service_rate, t)


def mmc_sojourn_percentile(
    arrival_rate: float, service_rate: float, servers: int, percentile: float = 0.95
) -> float:
    """The time in system (wait + exponential service) a `percentile` share do not exceed."""
    _check_percentile(percentile)
    prob_wait = _stable(arrival_rate, service_rate, servers)
    drain = servers * service_rate - arrival_rate
    target = 1 - percentile
    low, high = 0.0, -math.log(target) / service_rate
    while _sojourn_tail(prob_wait, drain, service_rate, high) > target:
        low, high = high, high * 2
    for _ in range(200):
        middle = (low + high) / 2
        if _sojourn_tail(prob_wait, drain, service_rate, middle) > target:
            low = middle
        else:
            high = middle
        if high - low <= 1e-13 * high:
            break
    return high


def _check_percentile(percentile: float) -> None:
    if not 0 < percentile < 1:
        raise ValueError(f"percentile must be between 0 and 1, got {percentile!r}")
