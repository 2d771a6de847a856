"""Bisection with fewer calls gives the plain loop's answer, bit for bit (planner.perf.bisect),
and the queueing cap built on it is the one the plain halvings give."""

from __future__ import annotations

import math

from hypothesis import example, given, settings
from hypothesis import strategies as st

from planner.perf.bisect import bracket, halvings
from planner.perf.sizing import MAX_UTILISATION, _queueing_cap
from planner.queueing.mmc import mmc_wait_percentile


def _plain(ok, low: float, high: float, steps: int) -> float:
    for _ in range(steps):
        middle = (low + high) / 2
        low, high = (middle, high) if ok(middle) else (low, middle)
    return low


def _plain_queueing_cap(slots: int, max_rps: float, ttft_ms: float, ttft_p95_ms: float) -> float:
    slack_s = (ttft_p95_ms - ttft_ms) / 1000
    if slack_s <= 0:
        return 0.0
    mu = max_rps / slots

    def ok(rho: float) -> bool:
        return mmc_wait_percentile(rho * max_rps, mu, slots, 0.95) <= slack_s

    if ok(MAX_UTILISATION):
        return MAX_UTILISATION
    return _plain(ok, 0.0, MAX_UTILISATION, 24)


@settings(max_examples=300, deadline=None)
@given(
    threshold=st.floats(-1.0, 3.0),
    low=st.floats(-1.0, 1.0),
    span=st.floats(1e-6, 2.0),
    steps=st.integers(0, 40),
    shift=st.floats(-1e-3, 1e-3),
)
@example(threshold=0.5, low=0.0, span=1.0, steps=24, shift=0.0)
def test_halvings_with_a_bracket_end_where_the_plain_loop_ends(threshold, low, span, steps, shift):
    high = low + span
    calls: list[float] = []

    def ok(x: float) -> bool:
        calls.append(x)
        return x <= threshold

    # any true-at and false-at points that hold for ok: a bracket, a loose one, none
    true_to = min(threshold, threshold + shift)
    false_from = math.nextafter(max(threshold, threshold - shift), math.inf)
    plain = _plain(lambda x: x <= threshold, low, high, steps)
    assert halvings(ok, low, high, steps) == plain
    calls.clear()
    assert halvings(ok, low, high, steps, true_to, false_from) == plain
    assert all(true_to < x < false_from for x in calls)  # only where the bracket said nothing


@settings(max_examples=200, deadline=None)
@given(root=st.floats(0.0, 0.9), scale=st.floats(0.01, 100.0), power=st.integers(1, 5))
def test_bracket_holds_an_increasing_functions_zero(root, scale, power):
    def value(x: float) -> float:
        return scale * (x - root) ** power if x >= root else -scale * (root - x)

    a, b = bracket(value, 0.0, value(0.0), 1.0, value(1.0), 1e-9)
    assert value(a) <= 0 < value(b)
    assert 0.0 <= a < b <= 1.0


@settings(max_examples=300, deadline=None)
@given(
    slots=st.sampled_from([1, 2, 3, 5, 8, 16, 32, 64, 128, 256, 512]),
    max_rps=st.floats(0.01, 200.0),
    ttft_ms=st.floats(0.0, 4000.0),
    ttft_p95_ms=st.sampled_from([200.0, 300.0, 1000.0, 2000.0, 5000.0]),
)
@example(slots=64, max_rps=20.0, ttft_ms=400.0, ttft_p95_ms=1000.0)
def test_the_queueing_cap_is_the_plain_halvings_answer(slots, max_rps, ttft_ms, ttft_p95_ms):
    expected = _plain_queueing_cap(slots, max_rps, ttft_ms, ttft_p95_ms)
    assert _queueing_cap.__wrapped__(slots, max_rps, ttft_ms, ttft_p95_ms) == expected


def test_the_queueing_cap_calls_the_erlang_sum_fewer_times(monkeypatch):
    import planner.perf.sizing as sizing

    calls = 0
    wait = sizing.mmc_wait_percentile

    def counted(*args):
        nonlocal calls
        calls += 1
        return wait(*args)

    monkeypatch.setattr(sizing, "mmc_wait_percentile", counted)
    found = sizing._queueing_cap.__wrapped__(64, 20.0, 900.0, 1000.0)
    assert 0.0 < found < MAX_UTILISATION
    assert found == _plain_queueing_cap(64, 20.0, 900.0, 1000.0)
    assert calls < 25  # the plain loop: one check at the top, then 24 halvings
