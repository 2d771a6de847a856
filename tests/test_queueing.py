"""Queueing formulas against textbook values and independent computations, and replica sizing."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.queueing import (
    UnstableQueueError,
    erlang_b,
    erlang_c,
    mg1,
    mm1,
    mm1_sojourn_tail,
    mm1_wait_tail,
    mmc,
    mmc_sojourn_percentile,
    mmc_sojourn_tail,
    mmc_wait_percentile,
    mmc_wait_tail,
    size_servers,
)


def erlang_c_by_factorials(c: int, a: float) -> float:
    """The textbook closed form, with factorials: fine for small c."""
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) * c / (c - a)
    return tail / (head + tail)


def erlang_c_in_logs(c: int, a: float) -> float:
    """The same closed form evaluated through log-gamma and log-sum-exp, for large c."""
    logs = [k * math.log(a) - math.lgamma(k + 1) for k in range(c)]
    log_tail = c * math.log(a) - math.lgamma(c + 1) + math.log(c / (c - a))
    peak = max(*logs, log_tail)
    head = sum(math.exp(x - peak) for x in logs)
    tail = math.exp(log_tail - peak)
    return tail / (head + tail)


@pytest.mark.parametrize("c", [1, 2, 3, 5, 10, 20, 40])
@pytest.mark.parametrize("utilization", [0.05, 0.3, 0.7, 0.95, 0.999])
def test_erlang_c_matches_the_factorial_formula(c, utilization):
    a = c * utilization
    assert erlang_c(c, a) == pytest.approx(erlang_c_by_factorials(c, a), rel=1e-9, abs=1e-12)


def test_textbook_values():
    assert erlang_b(2, 1.0) == pytest.approx(0.2, abs=1e-12)
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_c(3, 2.5) == pytest.approx(125 / 178, abs=1e-12)
    assert erlang_c(1, 0.6) == pytest.approx(0.6, abs=1e-12)
    metrics = mmc(10, 4, 3)
    assert metrics.prob_wait == pytest.approx(125 / 178, abs=1e-12)
    assert metrics.mean_wait_s == pytest.approx(125 / 178 / 2, abs=1e-12)
    assert metrics.mean_time_in_system_s == pytest.approx(125 / 178 / 2 + 0.25, abs=1e-12)
    assert metrics.utilization == pytest.approx(10 / 12, abs=1e-12)
    assert metrics.mean_queue_length == pytest.approx(10 * 125 / 178 / 2, abs=1e-12)


@pytest.mark.parametrize("c,utilization", [(1000, 0.95), (1000, 0.5), (5000, 0.99), (300, 0.9)])
def test_erlang_c_for_thousands_of_servers(c, utilization):
    a = c * utilization
    value = erlang_c(c, a)
    assert 0 < value < 1
    assert value == pytest.approx(erlang_c_in_logs(c, a), rel=1e-9)
    assert math.isfinite(mmc(a, 1.0, c).mean_wait_s)


def test_mm1_formulas():
    metrics = mm1(2, 3)
    assert metrics.utilization == pytest.approx(2 / 3, abs=1e-12)
    assert metrics.prob_wait == pytest.approx(2 / 3, abs=1e-12)
    assert metrics.mean_wait_s == pytest.approx(2 / 3, abs=1e-12)
    assert metrics.mean_time_in_system_s == pytest.approx(1.0, abs=1e-12)
    assert metrics.mean_queue_length == pytest.approx(4 / 3, abs=1e-12)
    assert metrics.mean_in_system == pytest.approx(2.0, abs=1e-12)
    assert mm1_wait_tail(2, 3, 0.5) == pytest.approx(2 / 3 * math.exp(-0.5), abs=1e-12)
    assert mm1_sojourn_tail(2, 3, 0.5) == pytest.approx(math.exp(-0.5), abs=1e-12)


@given(
    arrival=st.floats(0.01, 100),
    utilization=st.floats(0.01, 0.99),
    t=st.floats(0, 10),
)
def test_mmc_with_one_server_is_mm1(arrival, utilization, t):
    service = arrival / utilization
    one, many = mm1(arrival, service), mmc(arrival, service, 1)
    assert many.prob_wait == pytest.approx(one.prob_wait, rel=1e-9)
    assert many.mean_wait_s == pytest.approx(one.mean_wait_s, rel=1e-9)
    assert many.mean_time_in_system_s == pytest.approx(one.mean_time_in_system_s, rel=1e-9)
    assert mmc_wait_tail(arrival, service, 1, t) == pytest.approx(
        mm1_wait_tail(arrival, service, t), rel=1e-9, abs=1e-300
    )
    assert mmc_sojourn_tail(arrival, service, 1, t) == pytest.approx(
        mm1_sojourn_tail(arrival, service, t), rel=1e-7, abs=1e-300
    )


def test_mmc_wait_tail_and_percentile():
    c_value = 125 / 178
    assert mmc_wait_tail(10, 4, 3, 0) == pytest.approx(c_value, abs=1e-12)
    assert mmc_wait_tail(10, 4, 3, 0.1) == pytest.approx(c_value * math.exp(-0.2), abs=1e-12)
    p95 = mmc_wait_percentile(10, 4, 3, 0.95)
    assert mmc_wait_tail(10, 4, 3, p95) == pytest.approx(0.05, abs=1e-12)
    assert mmc_wait_percentile(1, 4, 3, 0.95) == 0.0


@pytest.mark.parametrize("arrival,service,c", [(10, 4, 3), (1, 1, 2), (99, 1, 100), (3, 4, 1)])
def test_mmc_sojourn_percentile_inverts_the_tail(arrival, service, c):
    for p in (0.5, 0.95, 0.99):
        t = mmc_sojourn_percentile(arrival, service, c, p)
        assert mmc_sojourn_tail(arrival, service, c, t) == pytest.approx(1 - p, rel=1e-9)


def test_sojourn_tail_when_drain_equals_service_rate():
    # c mu - lambda == mu: wait (when any) and service are exponential at the same rate.
    arrival, service, c, t = 4.0, 2.0, 3, 0.7
    prob_wait = erlang_c(c, arrival / service)
    expected = (1 - prob_wait) * math.exp(-service * t) + prob_wait * (1 + service * t) * math.exp(
        -service * t
    )
    assert mmc_sojourn_tail(arrival, service, c, t) == pytest.approx(expected, rel=1e-12)


def test_pollaczek_khinchine():
    deterministic = mg1(0.5, 1.0, service_scv=0.0)
    assert deterministic.mean_wait_s == pytest.approx(0.5, abs=1e-12)
    assert deterministic.mean_time_in_system_s == pytest.approx(1.5, abs=1e-12)
    exponential = mg1(2, 1 / 3, service_scv=1.0)
    assert exponential.mean_wait_s == pytest.approx(mm1(2, 3).mean_wait_s, abs=1e-12)
    assert mg1(0.8, 1.0, service_scv=4.0).mean_wait_s == pytest.approx(
        0.8 * 5 / (2 * 0.2), abs=1e-9
    )


def test_unstable_queues_are_reported_not_nan():
    for metrics in (mm1(5, 5), mmc(13, 4, 3), mg1(2, 0.5)):
        assert not metrics.stable and metrics.utilization >= 1
        assert metrics.mean_wait_s is None and metrics.mean_time_in_system_s is None
        assert "unstable" in metrics.reason
    with pytest.raises(UnstableQueueError, match="unstable"):
        erlang_c(3, 3.0)
    with pytest.raises(UnstableQueueError):
        mmc_wait_tail(13, 4, 3, 1.0)
    with pytest.raises(UnstableQueueError):
        mm1_wait_tail(3, 2, 1.0)


def test_bad_inputs_raise_value_errors():
    with pytest.raises(ValueError, match="service rate"):
        mmc(1, 0, 1)
    with pytest.raises(ValueError, match="arrival rate"):
        mm1(-1, 1)
    with pytest.raises(ValueError, match="servers"):
        mmc(1, 1, 0)
    with pytest.raises(ValueError, match="percentile"):
        mmc_wait_percentile(1, 2, 1, 1.0)
    with pytest.raises(ValueError, match="SCV"):
        mg1(1, 0.5, service_scv=-1)


def _brute_force(arrival, service, slo, percentile, cap, mode):
    service_alone = 1 / service
    if mode == "exponential":
        service_alone *= -math.log(1 - percentile)
    if slo < service_alone:
        return None
    for c in range(1, 100_000):
        capacity = c * service
        if arrival > cap * capacity or arrival >= capacity:
            continue
        if mode == "exponential":
            latency = mmc_sojourn_percentile(arrival, service, c, percentile)
        else:
            latency = mmc_wait_percentile(arrival, service, c, percentile) + 1 / service
        if latency <= slo:
            return c
    raise AssertionError("no server count found")


@settings(max_examples=150, deadline=None)
@given(
    arrival=st.floats(0, 200),
    service=st.floats(0.2, 20),
    slo_factor=st.floats(0.5, 20),
    percentile=st.sampled_from([0.5, 0.9, 0.95, 0.99]),
    cap=st.floats(0.3, 1.0),
    mode=st.sampled_from(["exponential", "mean"]),
)
def test_sizing_returns_the_fewest_servers(arrival, service, slo_factor, percentile, cap, mode):
    slo = slo_factor / service
    sizing = size_servers(arrival, service, slo, percentile, cap, mode)
    expected = _brute_force(arrival, service, slo, percentile, cap, mode)
    assert sizing.servers == expected
    assert sizing.feasible == (expected is not None)
    if sizing.feasible:
        assert sizing.utilization <= cap + 1e-12 and sizing.latency_s <= slo
    else:
        assert sizing.reason


def test_sizing_defaults_and_large_fleets():
    sizing = size_servers(10, 4, 1.0)
    assert sizing.feasible and sizing.servers == 4
    assert sizing.latency_s == pytest.approx(mmc_sojourn_percentile(10, 4, 4, 0.95))
    assert mmc_sojourn_percentile(10, 4, 3, 0.95) > 1.0
    assert size_servers(10, 4, 1.6, service="mean").servers == 3
    big = size_servers(5000, 1.0, 3.5)
    assert big.feasible and 5000 / 0.9 <= big.servers <= 5600
    impossible = size_servers(10, 4, 0.5)
    assert not impossible.feasible and "below the service time" in impossible.reason


def test_erlang_b_stops_once_blocking_underflows_with_the_same_answer():
    from planner.queueing.mmc import erlang_b

    def plain(servers: int, load: float) -> float:
        blocking = 1.0
        for k in range(1, servers + 1):
            blocking = load * blocking / (k + load * blocking)
        return blocking

    for servers, load in [(1, 0.5), (50, 40.0), (3000, 5.0), (3000, 2900.0)]:
        assert erlang_b(servers, load) == plain(servers, load)
    assert erlang_b(10**15, 5.0) == 0.0  # a step per server would never end


def test_a_queue_of_more_servers_than_the_recursion_takes_exits_2(cli):
    result = cli("queue", "--arrival-rate", "1", "--service-rate", "2", "--servers", "1000000000")
    assert result.exit_code == 2 and "servers must be" in result.stderr, result.stderr
    assert "1,000,000" in result.stderr
