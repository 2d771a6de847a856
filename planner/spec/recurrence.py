"""When a recurring batch job runs: `schedule:` as a keyword or a five-field cron expression.

    schedule: daily            # hourly, daily, weekly (Sundays) or monthly (the 1st), 00:00 UTC
    schedule: "30 2 * * 1-5"   # cron: minute hour day-of-month month day-of-week, in UTC

Fields take `*`, numbers, lists (`1,15`), ranges (`1-5`) and steps (`*/6`, `0-30/10`);
day-of-week 0-7 (0 and 7 are Sunday). As in cron, when both day-of-month and day-of-week are
restricted, a day matching either runs. A month holds the runs whose start falls in it; the
average month (what $/month figures use) is a twelfth of the runs in a 365-day year, so a daily
job runs 365 / 12 = 30.42 times a month, as a month is 730 hours.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Annotated

from pydantic import AfterValidator

KEYWORDS = {
    "hourly": "0 * * * *",
    "daily": "0 0 * * *",
    "weekly": "0 0 * * 0",
    "monthly": "0 0 1 * *",
}
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day-of-month", 1, 31), ("month", 1, 12),
           ("day-of-week", 0, 7))  # fmt: skip
CRON_TEXT = re.compile(r"[0-9*,/ -]+")
"""What a cron expression may hold: ASCII digits (`isdigit` also takes '²' and Arabic digits),
the field punctuation and spaces (no tab or newline, which would reach every output)."""
MAX_SCHEDULE = 256
LONG_NUMBER = re.compile(r"[0-9]{5,}")
"""A number no cron field holds (a step of 5,000 digits is refused before int() reads it)."""
REFERENCE_YEAR = 2027
"""A 365-day year: the average month is a twelfth of its runs."""


@dataclass(frozen=True)
class Recurrence:
    """A parsed schedule: the allowed values of each cron field."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    """0 = Sunday ... 6 = Saturday."""
    any_day: bool
    any_weekday: bool

    def runs_on(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return dom and dow
        return dom or dow

    @property
    def runs_per_day(self) -> int:
        return len(self.minutes) * len(self.hours)

    def starts(self, start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
        """Start times in [start, end), in order (timezone of `start`)."""
        day = start.date()
        while day <= end.date():
            if self.runs_on(day):
                for h in sorted(self.hours):
                    for m in sorted(self.minutes):
                        moment = dt.datetime(day.year, day.month, day.day, h, m,
                                             tzinfo=start.tzinfo)  # fmt: skip
                        if start <= moment < end:
                            yield moment
            day += dt.timedelta(days=1)

    def runs_between(self, start: dt.date, end: dt.date) -> int:
        """Runs on the days in [start, end)."""
        days = (end - start).days
        on = sum(self.runs_on(start + dt.timedelta(days=i)) for i in range(days))
        return on * self.runs_per_day

    def runs_in_month(self, year: int, month: int) -> int:
        """Runs whose start falls in that calendar month."""
        first = dt.date(year, month, 1)
        last = calendar.monthrange(year, month)[1]
        return self.runs_between(first, first + dt.timedelta(days=last))

    @property
    def runs_per_month(self) -> float:
        """Runs in the average month: a twelfth of a 365-day year's."""
        return average_runs(self)


@cache
def average_runs(r: Recurrence) -> float:
    year = r.runs_between(dt.date(REFERENCE_YEAR, 1, 1), dt.date(REFERENCE_YEAR + 1, 1, 1))
    return year / 12


def _field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"{name}: step {step_text!r} is not a whole number above 0")
            step = int(step_text)
        if body == "*":
            first, last = low, high
        else:
            first_text, dash, last_text = body.partition("-")
            if not first_text.isdigit() or (dash and not last_text.isdigit()):
                raise ValueError(f"{name}: {part!r} is not *, a number, a range or a list")
            first = int(first_text)
            last = int(last_text) if dash else (high if step_text else first)
        if not low <= first <= last <= high:
            raise ValueError(f"{name}: {part!r} is outside {low}-{high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def checked_schedule(text: str) -> str:
    """`text` when it is a schedule parse_schedule reads (a plan's copy is checked on read)."""
    parse_schedule(text)
    return text


ScheduleText = Annotated[str, AfterValidator(checked_schedule)]
"""A schedule as text (keyword or cron), checked."""


@cache
def parse_schedule(text: str) -> Recurrence:
    """A keyword or cron expression as a Recurrence; ValueError saying what is wrong."""
    cron = KEYWORDS.get(text.strip().lower(), text.strip())
    if len(cron) > MAX_SCHEDULE or not CRON_TEXT.fullmatch(cron) or LONG_NUMBER.search(cron):
        raise ValueError(
            f"schedule {text[:40]!r}: give hourly, daily, weekly, monthly or five cron fields "
            f"of ASCII digits (numbers of at most 4), '*', ',', '-' and '/' separated by spaces "
            f"(at most {MAX_SCHEDULE} characters)"
        )
    parts = cron.split(" ")
    parts = [p for p in parts if p]
    if len(parts) != 5:
        raise ValueError(
            f"schedule {text!r}: give hourly, daily, weekly, monthly or five cron fields "
            "(minute hour day-of-month month day-of-week)"
        )
    found = [
        _field(p, name, low, high) for p, (name, low, high) in zip(parts, _FIELDS, strict=True)
    ]
    weekdays = frozenset(d % 7 for d in found[4])
    return Recurrence(
        text=text, minutes=found[0], hours=found[1], days=found[2], months=found[3],
        weekdays=weekdays, any_day=parts[2] == "*", any_weekday=parts[4] == "*",
    )  # fmt: skip
