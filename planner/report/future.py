"""Optional plan parts the report draws when a plan has them: a cost/time frontier, a schedule,
both from the plan's annotations document (planner.plans.annotations).

Both are read by duck typing (items may be objects or mappings), so the report keeps working
while these parts of the annotations evolve, and a plan without them simply gets no chart.

- `plan.annotations.frontier` (`planner frontier`): points, each with a cost (`objective_value`,
  `cost`, `total_cost` or `job_cost`, dollars) and a completion time (`completion_hours`,
  `completion_time_hours`, `makespan_hours` or `hours`). The plan's own point is the one flagged
  `chosen`/`selected`, else the one at the plan's `makespan_hours`.
- `plan.annotations.schedule`: replicas per UTC hour for each workload, as a mapping
  `{workload: [r0, r1, ...]}`, or a list of entries with `workload` and either a list
  (`replicas`, `counts`, `hourly_replicas`) or one `hour` with its `replicas`/`count`.
  Entries for the same workload and hour add up (several allocations of one workload).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

COST_KEYS = ("objective_value", "cost", "total_cost", "job_cost")
TIME_KEYS = ("completion_hours", "completion_time_hours", "makespan_hours", "hours")
CHOSEN_KEYS = ("chosen", "selected")
SERIES_KEYS = ("replicas", "counts", "hourly_replicas")
COUNT_KEYS = ("replicas", "count")


def _field(item: Any, names: Sequence[str]) -> Any:
    """The first of `names` that `item` has (as a key or an attribute) and that is not None."""
    for name in names:
        value = item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)
        if value is not None:
            return value
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@dataclass(frozen=True)
class FrontierPoint:
    """One plan on the cost/completion-time frontier."""

    hours: float
    cost: float
    chosen: bool = False


def _annotation(plan: Any, name: str) -> Any:
    """The plan's annotation `name`; None when it has no annotations or not that one."""
    return getattr(getattr(plan, "annotations", None), name, None)


def frontier_points(plan: Any) -> list[FrontierPoint]:
    """The plan's frontier sorted by completion time; empty when it has none."""
    points = []
    for item in _annotation(plan, "frontier") or ():
        cost, hours = _number(_field(item, COST_KEYS)), _number(_field(item, TIME_KEYS))
        if cost is not None and hours is not None:
            points.append(FrontierPoint(hours, cost, bool(_field(item, CHOSEN_KEYS))))
    makespan = _number(getattr(plan, "makespan_hours", None))
    if points and not any(p.chosen for p in points) and makespan is not None:
        points = [
            FrontierPoint(p.hours, p.cost, abs(p.hours - makespan) <= 1e-6 * max(1.0, makespan))
            for p in points
        ]
    return sorted(points, key=lambda p: (p.hours, p.cost))


def _add(series: dict[str, dict[int, float]], workload: str, hour: int, count: float) -> None:
    hours = series.setdefault(workload, {})
    hours[hour] = hours.get(hour, 0.0) + count


def _add_list(series: dict[str, dict[int, float]], workload: str, values: Sequence[Any]) -> None:
    for hour, value in enumerate(values):
        count = _number(value)
        if count is not None:
            _add(series, workload, hour, count)


def schedule_series(plan: Any) -> dict[str, list[float]]:
    """Replicas per hour for each workload (hours 0..last, gaps as 0); empty without a schedule."""
    raw = _annotation(plan, "schedule")
    series: dict[str, dict[int, float]] = {}
    if isinstance(raw, Mapping):
        for workload, values in raw.items():
            if isinstance(values, Sequence) and not isinstance(values, str):
                _add_list(series, str(workload), values)
    elif isinstance(raw, Sequence) and not isinstance(raw, str):
        for entry in raw:
            workload = _field(entry, ("workload", "name"))
            if workload is None:
                continue
            values = _field(entry, SERIES_KEYS)
            hour = _number(_field(entry, ("hour",)))
            if isinstance(values, Sequence) and not isinstance(values, str):
                _add_list(series, str(workload), values)
            elif hour is not None and _number(_field(entry, COUNT_KEYS)) is not None:
                _add(series, str(workload), int(hour), float(_field(entry, COUNT_KEYS)))
    out = {}
    for workload in sorted(series):
        hours = series[workload]
        out[workload] = [hours.get(h, 0.0) for h in range(max(hours) + 1)] if hours else []
    return {w: v for w, v in out.items() if v}
