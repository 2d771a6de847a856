"""Replica sizing: the fewest servers whose tail latency meets an SLO at bounded utilization."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from planner.queueing.metrics import check_rates
from planner.queueing.mmc import mmc_sojourn_percentile, mmc_wait_percentile


class ServiceTime(enum.StrEnum):
    """How service time enters the latency percentile."""

    exponential = "exponential"
    """The percentile of wait + exponential service (the M/M/c time in system)."""
    mean = "mean"
    """The percentile of the wait plus the mean service time (near-constant service)."""


@dataclass(frozen=True)
class Sizing:
    """The smallest M/M/c that meets the latency objective, or why none does."""

    feasible: bool
    servers: int | None
    utilization: float | None
    latency_s: float | None
    """The latency percentile reached with `servers`."""
    reason: str = ""


def _latency(
    arrival_rate: float, service_rate: float, servers: int, percentile: float, service: ServiceTime
) -> float:
    if service is ServiceTime.exponential:
        return mmc_sojourn_percentile(arrival_rate, service_rate, servers, percentile)
    wait = mmc_wait_percentile(arrival_rate, service_rate, servers, percentile)
    return wait + 1 / service_rate


def _fewest_for_utilization(arrival_rate: float, service_rate: float, cap: float) -> int:
    def ok(servers: int) -> bool:
        capacity = servers * service_rate
        return arrival_rate <= cap * capacity and arrival_rate < capacity

    servers = max(1, math.ceil(arrival_rate / (service_rate * cap)) - 1)
    while not ok(servers):
        servers += 1
    return servers


def size_servers(
    arrival_rate: float,
    service_rate: float,
    slo_s: float,
    percentile: float = 0.95,
    max_utilization: float = 0.9,
    service: ServiceTime | str = ServiceTime.exponential,
    max_servers: int = 1_000_000,
) -> Sizing:
    """The fewest servers c with utilization <= `max_utilization` whose `percentile` latency
    (waiting plus service, see ServiceTime) is at most `slo_s`.

    Latency falls as servers are added, so the answer is found by doubling then bisection.
    """
    check_rates(arrival_rate, service_rate)
    service = ServiceTime(service)
    if not (math.isfinite(slo_s) and slo_s > 0):
        raise ValueError(f"slo_s must be a positive number, got {slo_s!r}")
    if not 0 < percentile < 1:
        raise ValueError(f"percentile must be between 0 and 1, got {percentile!r}")
    if not 0 < max_utilization <= 1:
        raise ValueError(f"max_utilization must be in (0, 1], got {max_utilization!r}")
    floor = 1 / service_rate
    if service is ServiceTime.exponential:
        floor *= -math.log(1 - percentile)
    if slo_s < floor:
        return Sizing(
            False,
            None,
            None,
            None,
            f"the SLO {slo_s:g} s is below the service time alone ({floor:g} s at p"
            f"{percentile * 100:g}); no number of servers meets it",
        )

    def meets(servers: int) -> bool:
        return _latency(arrival_rate, service_rate, servers, percentile, service) <= slo_s

    low = _fewest_for_utilization(arrival_rate, service_rate, max_utilization)
    if low > max_servers:
        return Sizing(False, None, None, None, f"needs more than {max_servers} servers")
    high = low
    if not meets(low):
        while not meets(high):
            if high >= max_servers:
                return Sizing(False, None, None, None, f"needs more than {max_servers} servers")
            low, high = high, min(max_servers, high * 2)
        while high - low > 1:
            middle = (low + high) // 2
            if meets(middle):
                high = middle
            else:
                low = middle
    return Sizing(
        True,
        high,
        arrival_rate / (high * service_rate),
        _latency(arrival_rate, service_rate, high, percentile, service),
    )
