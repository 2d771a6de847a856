"""Leave-one-model-out check of `planner calibrate`: a few published runs of one model on a
chip, refitted from efficiencies that know nothing of the chip's family, against the other
models' published figures on the same chip.

    python -m benchmarks.lomo

For each chip and each (model, TP) measured on it (planner/facts/data/engine_measurements.csv,
TensorRT-LLM 0.17 max-throughput tables), the start is what a chip without fitted data gets:
the median of the other families' fitted rows. The first three request sizes of that model are
the user's runs; every figure of the other models on the chip is the test.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import replace

from planner.facts.accelerators import find_accelerator
from planner.facts.llms import find_llm
from planner.facts.measurements import Measurement, engine_measurements
from planner.perf.calibration import START, settings_for
from planner.perf.efficiency import PARAMETERS, Efficiency, fitted_efficiencies
from planner.perf.refit import RunPoint, log_errors, refit

SOURCE = "trtllm-0.17"
RUNS_PER_USER = 3


def _point(m: Measurement) -> RunPoint:
    model, chip = find_llm(m.model), find_accelerator(m.accelerator)
    return RunPoint(m.source, model, chip, m.tp, m.input_tokens, m.output_tokens,
                    m.weights_dtype, m.kv_dtype, m.value)  # fmt: skip


def unfitted(family: str) -> Efficiency:
    """What a chip of `family` would get with no fitted data: the other families' median."""
    rows = [e for f, e in fitted_efficiencies().items() if f not in (family, "default")]
    return Efficiency(**{n: statistics.median(getattr(e, n) for e in rows) for n in PARAMETERS})


def folds(chips: tuple[str, ...] = ("A100-80GB", "L40S", "H100"), start: str = "unfitted"):
    """(chip, model, tp, median |ln error| on the other models before, after) per fold; the
    start is `unfitted` (other families' median) or `generic` (the fit's generic start, the
    model before any calibration)."""
    rows = [m for m in engine_measurements()
            if m.source == SOURCE and m.concurrency is None and m.accelerator in chips]  # fmt: skip
    by_chip: dict[str, dict[tuple[str, int], list[Measurement]]] = defaultdict(dict)
    for m in rows:
        by_chip[m.accelerator].setdefault((m.model, m.tp), []).append(m)
    out = []
    for chip, groups in sorted(by_chip.items()):
        family = find_accelerator(chip).family
        base = unfitted(family) if start == "unfitted" else START
        for (model, tp), mine in sorted(groups.items()):
            settings = replace(settings_for(mine[0]),
                               **{n: getattr(base, n) for n in PARAMETERS})  # fmt: skip
            user = [_point(m) for m in mine[:RUNS_PER_USER]]
            (row,) = refit(user, "family", settings)
            tuned = replace(settings, **{n: getattr(row.efficiency, n) for n in PARAMETERS})
            others = [_point(m) for key, ms in groups.items() if key != (model, tp) for m in ms]
            before = statistics.median(abs(e) for e in log_errors(others, settings))
            after = statistics.median(abs(e) for e in log_errors(others, tuned))
            out.append((chip, model, tp, len(others), before, after))
    return out


def main() -> None:
    for start in ("unfitted", "generic"):
        print(f"\nStart: {start}\n")
        _table(folds(start=start))


def _table(results) -> None:
    print("| chip | user's model (TP) | other figures | median abs ln error before | after |")
    print("|---|---|---:|---:|---:|")
    for chip, model, tp, n, before, after in results:
        print(f"| {chip} | {model} (TP {tp}) | {n} | {before:.3f} | {after:.3f} |")
    improved = sum(1 for r in results if r[5] < r[4])
    print(f"\nImproved in {improved} of {len(results)} folds; median over folds "
          f"{statistics.median(r[4] for r in results):.3f} -> "
          f"{statistics.median(r[5] for r in results):.3f} "
          f"(ratio {math.exp(statistics.median(r[5] for r in results)):.2f}x off "
          "at the median)")  # fmt: skip


if __name__ == "__main__":
    main()
