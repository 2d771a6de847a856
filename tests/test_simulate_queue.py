"""The queue engines against queueing theory, and the disciplines against each other."""

from __future__ import annotations

import numpy as np
import pytest

from planner.queueing import mm1, mmc
from planner.schedule.queue_sim import serve


def _poisson(rate: float, n: int, rng: np.random.Generator) -> np.ndarray:
    return np.cumsum(rng.exponential(1 / rate, n))


@pytest.mark.parametrize(
    ("servers", "utilisation", "requests"),
    [
        (1, 0.5, 1_000_000),
        (1, 0.7, 1_000_000),
        (1, 0.9, 4_000_000),
        (4, 0.5, 1_000_000),
        (4, 0.7, 1_000_000),
        (4, 0.9, 4_000_000),
    ],
)
def test_fcfs_mean_wait_matches_mm1_and_mmc_within_3_percent(servers, utilisation, requests):
    rng = np.random.default_rng(20261125)
    service_rate = 2.0
    arrival_rate = utilisation * servers * service_rate
    arrival = _poisson(arrival_rate, requests, rng)
    service = rng.exponential(1 / service_rate, requests)
    result = serve(arrival, service, servers, "fcfs")
    simulated = float(np.mean(result.start - arrival))
    theory = (mm1 if servers == 1 else lambda a, m: mmc(a, m, servers))(
        arrival_rate, service_rate
    ).mean_wait_s
    assert simulated == pytest.approx(theory, rel=0.03)


def test_one_slot_fcfs_closed_form_equals_the_event_loop():
    rng = np.random.default_rng(1)
    arrival = _poisson(0.8, 20_000, rng)
    service = rng.exponential(1.0, 20_000)
    vectorised = serve(arrival, service, 1, "fcfs")
    looped = serve(arrival, service, 1, "priority", priority=np.zeros(20_000))
    np.testing.assert_allclose(vectorised.start, looped.start, rtol=0, atol=1e-9)


@pytest.mark.parametrize("policy", ["priority", "priority-preemptive", "rr"])
@pytest.mark.parametrize("servers", [1, 3])
def test_disciplines_reduce_to_fcfs_without_classes_or_slicing(policy, servers):
    rng = np.random.default_rng(2)
    arrival = _poisson(0.8 * servers, 20_000, rng)
    service = rng.exponential(1.0, 20_000)
    fcfs = serve(arrival, service, servers, "fcfs")
    other = serve(arrival, service, servers, policy, np.zeros(20_000), quantum=1e12)
    np.testing.assert_allclose(other.finish, fcfs.finish, rtol=1e-12)


def test_sjf_waits_less_than_fcfs_on_a_heavy_tailed_mix():
    rng = np.random.default_rng(3)
    n = 200_000
    service = (rng.pareto(1.5, n) + 1) / 3  # Pareto, mean 1: a few huge requests
    arrival = _poisson(0.8 / service.mean(), n, rng)
    fcfs = serve(arrival, service, 1, "fcfs").waits(arrival, service).mean()
    sjf = serve(arrival, service, 1, "sjf").waits(arrival, service).mean()
    assert sjf < 0.5 * fcfs


def test_preemptive_priority_serves_the_high_class_as_if_alone():
    rng = np.random.default_rng(4)
    n, high_rate, low_rate = 300_000, 0.3, 0.5
    arrival = _poisson(high_rate + low_rate, n, rng)
    service = rng.exponential(1.0, n)
    high = rng.random(n) < high_rate / (high_rate + low_rate)
    fcfs = serve(arrival, service, 1, "fcfs").waits(arrival, service)
    result = serve(arrival, service, 1, "priority-preemptive", high.astype(int))
    waits = result.waits(arrival, service)
    assert waits[high].mean() < 0.5 * fcfs[high].mean()
    # preemptive-resume: the high class sees an M/M/1 of its own
    sojourn = (result.finish - arrival)[high].mean()
    assert sojourn == pytest.approx(mm1(high_rate, 1.0).mean_time_in_system_s, rel=0.03)
    assert waits[~high].mean() > fcfs[~high].mean()  # the low class pays for it


def test_non_preemptive_priority_matches_cobham():
    rng = np.random.default_rng(5)
    n, high_rate, low_rate = 400_000, 0.3, 0.4
    arrival = _poisson(high_rate + low_rate, n, rng)
    service = rng.exponential(1.0, n)
    high = rng.random(n) < high_rate / (high_rate + low_rate)
    waits = serve(arrival, service, 1, "priority", high.astype(int)).waits(arrival, service)
    residual = (high_rate + low_rate) * 2.0 / 2  # sum of lambda_i E[S^2] / 2, E[S^2] = 2
    assert waits[high].mean() == pytest.approx(residual / (1 - high_rate), rel=0.03)
    low_theory = residual / ((1 - high_rate) * (1 - high_rate - low_rate))
    assert waits[~high].mean() == pytest.approx(low_theory, rel=0.03)


def test_round_robin_with_a_small_quantum_approaches_processor_sharing():
    rng = np.random.default_rng(6)
    n, rate = 30_000, 0.6
    arrival = _poisson(rate, n, rng)
    service = rng.exponential(1.0, n)
    finish = serve(arrival, service, 1, "rr", quantum=0.05).finish
    long = service > 2  # PS: E[T | x] = x / (1 - rho)
    slowdown = ((finish - arrival)[long] / service[long]).mean()
    assert slowdown == pytest.approx(1 / (1 - rate), rel=0.05)


@pytest.mark.parametrize("policy", ["fcfs", "sjf", "priority", "priority-preemptive", "rr"])
def test_every_discipline_keeps_work_and_never_uses_more_slots_than_it_has(policy):
    rng = np.random.default_rng(7)
    n, slots = 3_000, 3
    arrival = _poisson(2.5, n, rng)
    service = rng.exponential(1.0, n)
    priority = rng.integers(0, 3, n)
    result = serve(arrival, service, slots, policy, priority, quantum=0.3)
    assert np.all(result.start >= arrival - 1e-12)
    assert np.all(result.finish >= result.start + service - 1e-9)
    # at any instant at most `slots` requests are in service: busy time <= slots x span
    span = result.finish.max() - arrival.min()
    assert service.sum() <= slots * span
    if policy in ("fcfs", "sjf", "priority"):  # non-preemptive: one stretch each
        np.testing.assert_allclose(result.finish - result.start, service, rtol=1e-9)
        events = np.concatenate(
            [np.c_[result.start, np.ones(n)], np.c_[result.finish, -np.ones(n)]]
        )
        events = events[np.lexsort((events[:, 1], events[:, 0]))]
        assert np.cumsum(events[:, 1]).max() <= slots


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="sorted"):
        serve(np.array([1.0, 0.5]), np.array([1.0, 1.0]))
    with pytest.raises(ValueError, match="unknown policy"):
        serve(np.array([1.0]), np.array([1.0]), policy="lifo")
    with pytest.raises(ValueError, match="slots"):
        serve(np.array([1.0]), np.array([1.0]), slots=0)
    assert serve(np.array([]), np.array([])).finish.size == 0
