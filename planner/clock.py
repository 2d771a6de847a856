"""The one place the planner reads the system clock.

Library code takes the date or time it works for as an argument; the command line reads
"today" or "now" here once, at the edge, and passes it down (`planner plan --date` overrides it).
A time limit is a `Deadline` made once, where the limit starts, and passed down: every phase asks
it how much time is left instead of reading the clock itself.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace


def now() -> dt.datetime:
    """The current time, in UTC."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's date in UTC (plans are made for a UTC date, whatever the machine's zone)."""
    return now().date()


def seconds() -> float:
    """Wall-clock seconds (time.time()): the same in every process of this machine, so a
    deadline in these units travels to worker processes as one number."""
    return time.time()


def slowdown() -> float:
    """Wall-clock seconds one second of CPU work takes now on this machine: its 1-minute load
    average over its cores, at least 1 (time limits are wall-clock ones, and on a shared
    machine a phase's wall time is its CPU time stretched by this)."""
    try:
        load = os.getloadavg()[0]
    except OSError:  # not every platform has a load average
        return 1.0
    return max(1.0, load / (os.cpu_count() or 1))


@dataclass(frozen=True)
class Deadline:
    """A point in time past which work stops: `at`, in the seconds of `clock` (wall-clock
    seconds by default; tests give a clock of their own).

    `watch`, where given, is told the name of each phase as it starts (`phase`): a progress
    display can show it, and a test can move its clock on there."""

    at: float
    clock: Callable[[], float] = seconds
    watch: Callable[[str], None] | None = None
    limit_s: float = 0.0
    """The time limit it was made from (for messages)."""

    @classmethod
    def after(
        cls,
        limit_s: float,
        clock: Callable[[], float] = seconds,
        watch: Callable[[str], None] | None = None,
    ) -> Deadline:
        """The deadline `limit_s` seconds from now on `clock`."""
        return cls(clock() + limit_s, clock, watch, limit_s)

    def left(self) -> float:
        """Seconds until the deadline (negative once it has passed)."""
        return self.at - self.clock()

    def passed(self) -> bool:
        """Whether the deadline has come."""
        return self.left() <= 0.0

    def earlier(self, seconds_s: float) -> Deadline:
        """This deadline moved `seconds_s` earlier (time kept for what comes after a phase)."""
        return replace(self, at=self.at - seconds_s)

    def within(self, seconds_s: float) -> Deadline:
        """The sooner of this deadline and `seconds_s` from now."""
        return replace(self, at=min(self.at, self.clock() + seconds_s))

    def wall(self) -> float:
        """The deadline in wall-clock seconds (time.time()), for worker processes and searches
        that compare it with the wall clock themselves."""
        return seconds() + self.left()

    def phase(self, name: str) -> None:
        """Say that the phase `name` starts (see `watch`)."""
        if self.watch is not None:
            self.watch(name)
