"""Gantt charts of schedules (PNG, SVG or PDF by the file's extension), one panel per policy.

matplotlib is optional (the `plots` extra) and imported only here, only when a chart is asked
for; without it the user gets an InputError saying how to install it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from planner._writefile import write_output
from planner.errors import InputError
from planner.extras import require
from planner.schedule.problem import Schedule, SchedulingProblem

_MIN_PER_H = 60.0


def write_gantt(
    problem: SchedulingProblem, schedules: Sequence[Schedule], path: str | Path
) -> Path:
    """Draw each schedule as bars per job (colour: pool; red tick: deadline) and save."""
    require("matplotlib", "plots", "--chart")
    from matplotlib.figure import Figure

    path = Path(path)
    names = [t.name for t in problem.tasks]
    rows = {name: i for i, name in enumerate(names)}
    colours = {p.name: f"C{i % 10}" for i, p in enumerate(problem.pools)}
    height = max(2.0, 0.28 * len(names) + 0.9)
    figure = Figure(figsize=(10, height * len(schedules)), layout="constrained")
    axes = figure.subplots(len(schedules), 1, sharex=True, squeeze=False)[:, 0]
    for ax, schedule in zip(axes, schedules, strict=True):
        for s in schedule.segments:
            ax.broken_barh(
                [(s.start / _MIN_PER_H, (s.end - s.start) / _MIN_PER_H)],
                (rows[s.task] - 0.4, 0.8),
                facecolors=colours[s.pool],
                edgecolor="black",
                linewidth=0.4,
            )
        for t in problem.tasks:
            if t.deadline is not None:
                ax.plot([t.deadline / _MIN_PER_H] * 2, [rows[t.name] - 0.45, rows[t.name] + 0.45],
                        color="red", linewidth=1.2)  # fmt: skip
        ax.set_yticks(range(len(names)), names, fontsize=7)
        ax.invert_yaxis()
        ax.set_title(f"{schedule.policy} ({schedule.status})", fontsize=9, loc="left")
        ax.grid(axis="x", linewidth=0.3)
    axes[-1].set_xlabel("hours")
    handles = [axes[0].bar(0, 0, color=colour, label=pool) for pool, colour in colours.items()]
    figure.legend(handles=handles, loc="outside upper right", fontsize=8, ncols=len(handles))
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format=Path(path).suffix.lstrip(".").lower() or "png")
    except (OSError, ValueError) as err:
        raise InputError(f"Cannot write chart {path}: {err}") from None
    write_output(Path(path), buffer.getvalue())
    return path
