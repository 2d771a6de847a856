"""Held-out accuracy per accelerator family (and chip) of the fitted model, beside what the
family's figures were before it had a fit of its own (the `default` row: the median of the
other fitted families, what an uncalibrated chip gets).

    python -m benchmarks.family_holdout

Prints a markdown table: for every family with published measurements, the points of the fixed
held-out split (planner.perf.calibration.is_held_out) and the ones fitted on, the median ratio
predicted/measured and the share within 0.75-1.33x (a prediction that the configuration does
not fit counts as outside).
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from planner.facts.accelerators import find_accelerator
from planner.facts.measurements import engine_measurements
from planner.perf.calibration import is_held_out, predict
from planner.perf.efficiency import fitted_efficiencies


def _summary(ratios: list[float]) -> str:
    within = sum(1 for r in ratios if 0.75 <= r <= 1.33) / len(ratios)
    return f"{len(ratios)} | {statistics.median(ratios):.2f} | {within:.0%}"


def table() -> str:
    default = fitted_efficiencies()["default"]
    fitted: dict[tuple[str, str], list[float]] = defaultdict(list)
    median: dict[tuple[str, str], list[float]] = defaultdict(list)
    for m in engine_measurements():
        chip = find_accelerator(m.accelerator)
        split = "held out" if is_held_out(m) else "fitted"
        value = predict(m)
        before = predict(m, default)
        for group in (chip.family, f"{chip.family}: {chip.name}"):
            fitted[(group, split)].append((value or 0.0) / m.value)
            median[(group, split)].append((before or 0.0) / m.value)
    lines = [
        "| family (chip) | split | points | median ratio | within 0.75-1.33x "
        "| with the `default` row: median ratio | within |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for key in sorted(fitted):
        before = median[key]
        within = sum(1 for r in before if 0.75 <= r <= 1.33) / len(before)
        lines.append(
            f"| {key[0]} | {key[1]} | {_summary(fitted[key])} | "
            f"{statistics.median(before):.2f} | {within:.0%} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
