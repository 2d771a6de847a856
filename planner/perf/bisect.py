"""Bisection with fewer calls and the same answer.

The sizing rules find the largest utilisation or batch that still meets a target by halving an
interval a fixed number of times (`halvings`): a fixed grid, so the answer never depends on
where a search happened to start. Each call of the condition can be costly (an Erlang sum over
every slot of a replica), and most of the halvings only confirm what the shape of the function
already says. `bracket` finds, with a bracketing secant search (the Illinois variant of regula
falsi), two points close around where an increasing function crosses zero; `halvings` given them
replays the same halvings and calls the condition only for midpoints between them. The result is
the plain loop's, bit for bit, whenever the condition is monotone (true up to a point, false
after it), which the plain loop assumes too.
"""

from __future__ import annotations

import math
from collections.abc import Callable


def halvings(
    ok: Callable[[float], bool],
    low: float,
    high: float,
    steps: int,
    true_to: float = -math.inf,
    false_from: float = math.inf,
) -> float:
    """`low` after `steps` halvings of [low, high], keeping the half whose lower end `ok`
    accepts: the plain loop

        for _ in range(steps):
            middle = (low + high) / 2
            low, high = (middle, high) if ok(middle) else (low, middle)

    where `ok` is known true at and below `true_to` and false at and above `false_from` (it is
    called only between them, and what it answers there narrows them)."""
    for _ in range(steps):
        middle = (low + high) / 2
        if middle <= true_to:
            accepted = True
        elif middle >= false_from:
            accepted = False
        else:
            accepted = ok(middle)
            if accepted:
                true_to = middle
            else:
                false_from = middle
        if accepted:
            low = middle
        else:
            high = middle
    return low


def bracket(
    value: Callable[[float], float],
    low: float,
    value_low: float,
    high: float,
    value_high: float,
    width: float,
    tries: int = 30,
) -> tuple[float, float]:
    """(a, b) with value(a) <= 0 < value(b) and b - a <= `width` (or as close as `tries` calls
    of `value` got), for `value` increasing on [low, high] with value(low) = `value_low` <= 0 <
    `value_high` = value(high). A point where `value` is not finite is taken as above zero; at
    an end where it is infinite the step halves instead."""
    a, fa, b, fb = low, value_low, high, value_high
    kept = 0  # which end the last step kept: -1 the low one, +1 the high one
    for _ in range(tries):
        if b - a <= width:
            break
        secant = math.isfinite(fa) and math.isfinite(fb) and fb != fa
        x = (a * fb - b * fa) / (fb - fa) if secant else (a + b) / 2
        if not a < x < b:
            x = (a + b) / 2
        fx = value(x)
        if fx <= 0:
            a, fa = x, fx
            if kept == 1:  # the high end kept twice: weigh it down (Illinois)
                fb /= 2
            kept = 1
        else:
            b, fb = x, fx if not math.isnan(fx) else math.inf
            if kept == -1:
                fa /= 2
            kept = -1
    return a, b
