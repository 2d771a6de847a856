"""The one place the planner reads the system clock.

Library code takes the date or time it works for as an argument; the command line reads
"today" or "now" here once, at the edge, and passes it down (`planner plan --date` overrides it).
"""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """The current time, in UTC."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's date in UTC (plans are made for a UTC date, whatever the machine's zone)."""
    return now().date()
