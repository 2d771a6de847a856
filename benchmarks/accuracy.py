"""Prediction accuracy against published engine measurements; rewrites its BENCHMARKS.md section.

    python -m benchmarks.accuracy [-o BENCHMARKS.md] [--previous DIR]

Every bundled measurement (planner/facts/data/engine_measurements.csv) is predicted by the
baseline model (benchmarks/baseline_model.py, the model before calibration) and by the planner's
model, and reported per figure and accelerator family, apart for the points the fit used and the
points held out of it (planner.perf.calibration.is_held_out). With --previous DIR (a checkout
of an earlier commit, e.g. `git archive REV | tar -x -C DIR`), that commit's model predicts
the same points in the same run ("previous model"). TTFT under load (2-256 requests in flight)
is reported per family and per TP as well.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.baseline_model import baseline
from planner.facts.accelerators import find_accelerator
from planner.facts.llms import find_llm
from planner.facts.measurements import MEASUREMENTS_FILE, Measurement, engine_measurements
from planner.perf.calibration import in_flight, is_held_out, predict

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Prediction accuracy"
TPOT_SLOS_MS = (25.0, 40.0, 60.0, 100.0)
FIGURE_NAMES = {
    "max_throughput": "max throughput",
    "output_tok_s": "throughput at a concurrency",
    "tpot_ms": "TPOT at a concurrency",
    "ttft_ms": "TTFT at a concurrency",
    "latency_s": "latency of a static batch",
    "ttft_load": "TTFT under load (2-256 in flight)",
    "max_rps_slo": "max rps at a TPOT SLO",
}
LOAD_RANGE = (2, 256)


@dataclass(frozen=True)
class Point:
    """One measured figure and what a model predicts for it (None: predicts it does not fit)."""

    figure: str
    family: str
    held_out: bool
    measured: float
    predicted: float | None
    tp: int = 1


def _old(m: Measurement, concurrency: float | None, slo: float | None = None):
    model, acc = find_llm(m.model), find_accelerator(m.accelerator)
    return baseline(model, acc, m.tp, m.input_tokens, m.output_tokens, m.weights_dtype,
                    m.kv_dtype, concurrency, slo)  # fmt: skip


def _old_figure(m: Measurement) -> float | None:
    point = _old(m, in_flight(m))
    if point is None:
        return None
    return {"max_throughput": point.tokens_per_s, "output_tok_s": point.tokens_per_s,
            "tpot_ms": point.tpot_ms, "ttft_ms": point.ttft_ms,
            "latency_s": (point.ttft_ms + (m.output_tokens - 1) * point.tpot_ms) / 1000,
            }[m.figure]  # fmt: skip


def _old_rps(m: Measurement, slo_ms: float, most_in_flight: float) -> float | None:
    point = _old(m, None, slo_ms)
    if point is not None and point.batch > most_in_flight:
        point = _old(m, most_in_flight)
    return None if point is None else point.tokens_per_s / m.output_tokens


def _new_figure(m: Measurement) -> float | None:
    return predict(m)


def _new_rps(m: Measurement, slo_ms: float, most_in_flight: float) -> float | None:
    return predict(m, tpot_slo_ms=slo_ms, most_in_flight=most_in_flight)


MODELS: dict[str, tuple[Callable, Callable]] = {
    "baseline (old model)": (_old_figure, _old_rps),
    "calibrated model": (_new_figure, _new_rps),
}


def _slo_points(rows: Iterable[Measurement]) -> list[tuple[Measurement, float, float, float]]:
    """(a row of the sweep, TPOT limit, measured max rps within it, the most requests in flight
    the sweep reached) from each concurrency sweep.

    The measured figure is the rate at which the sweep's TPOT reaches the limit: linear in TPOT
    between the best level that meets it and the next level (of a higher rate) that does not;
    the best level's own rate where no such level follows. A sweep measures a few levels only
    (concurrency 5 then 25, say), so the best level alone can sit far below the rate the engine
    sustains within the limit; the interpolation is still a lower bound where TPOT bends
    upwards between the two levels. A sweep whose client kept at most N requests in flight
    (Little's law: LLMPerf's A10G runs reach about 20 at a nominal 64) cannot show a rate that
    needs more, so the models are asked for their rate with at most N in flight as well."""
    sweeps: dict[tuple, dict[int, dict[str, Measurement]]] = defaultdict(lambda: defaultdict(dict))
    for m in rows:
        if m.concurrency is not None:
            key = m.config[:-1]
            sweeps[key][m.concurrency][m.figure] = m
    found = []
    for levels in sweeps.values():
        if len(levels) < 3:
            continue
        runs = sorted(
            (f["output_tok_s"].value / f["output_tok_s"].output_tokens, f["tpot_ms"].value,
             f["output_tok_s"])
            for f in levels.values() if "tpot_ms" in f and "output_tok_s" in f
        )  # fmt: skip
        for limit in TPOT_SLOS_MS:
            meeting = [r for r in runs if r[1] <= limit]
            if not meeting:
                continue
            rate, tpot, row = max(meeting, key=lambda r: r[0])
            reached = max(in_flight(r[2]) or 0.0 for r in runs)
            beyond = [r for r in runs if r[0] > rate and r[1] > limit]
            if beyond:
                next_rate, next_tpot, _ = min(beyond, key=lambda r: r[0])
                rate += (next_rate - rate) * (limit - tpot) / (next_tpot - tpot)
            found.append((row, limit, rate, reached))
    return found


def _key(m: Measurement, extra: object = None) -> str:
    return json.dumps([list(m.config), m.figure, extra], default=str)


PREVIOUS_SCRIPT = """
import json, os, pathlib
import planner.facts.measurements as facts
facts.MEASUREMENTS_FILE = pathlib.Path(os.environ["PLANNER_ACCURACY_MEASUREMENTS"])
from benchmarks.accuracy import _new_rps, _slo_points
from planner.perf.calibration import predict
def key(m, extra=None):
    return json.dumps([list(m.config), m.figure, extra], default=str)
def guess(f, *args):
    try:
        return f(*args)
    except (KeyError, ValueError):
        return None
rows = facts.engine_measurements()
out = {key(m): guess(predict, m) for m in rows}
out.update({key(m, lim): guess(_new_rps, m, lim, most) for m, lim, _, most in _slo_points(rows)})
print(json.dumps(out))
"""
"""Run in the earlier checkout: only what benchmarks.accuracy and planner had there, on this
checkout's measurements (a point that checkout's model cannot take, such as an engine or TP
degree it did not know, counts as no prediction)."""


def previous_predictions(directory: Path) -> dict[str, float | None]:
    """What the model of the checkout in `directory` predicts for every bundled point."""
    env = {**os.environ, "PYTHONPATH": str(directory),
           "PLANNER_ACCURACY_MEASUREMENTS": str(MEASUREMENTS_FILE)}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", PREVIOUS_SCRIPT], cwd=directory, env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(done.stdout)


def _under_load(m: Measurement) -> bool:
    flight = in_flight(m)
    return m.figure == "ttft_ms" and flight is not None and LOAD_RANGE[0] <= flight <= LOAD_RANGE[1]


def points(model: str, previous: dict[str, float | None] | None = None) -> list[Point]:
    """Every measured figure with `model`'s prediction (`previous`: the predictions of an
    earlier commit, by _key, for the model "previous model")."""
    figure_of, rps_of = MODELS.get(model, (None, None))
    rows = engine_measurements()
    found = []
    for m in rows:
        family = find_accelerator(m.accelerator).family
        guess = previous.get(_key(m)) if previous is not None else figure_of(m)
        found.append(Point(m.figure, family, is_held_out(m), m.value, guess, m.tp))
        if _under_load(m):
            found.append(Point("ttft_load", family, is_held_out(m), m.value, guess, m.tp))
    for m, limit, measured, reached in _slo_points(rows):
        family = find_accelerator(m.accelerator).family
        if previous is not None:
            predicted = previous.get(_key(m, limit))
        else:
            predicted = rps_of(m, limit, reached)
        found.append(Point("max_rps_slo", family, is_held_out(m), measured, predicted, m.tp))
    return found


@dataclass(frozen=True)
class Summary:
    """Accuracy of one group of points."""

    n: int
    missing: int
    median_ratio: float
    median_abs_log: float
    within: float
    """Share with predicted/measured in [0.75, 1.33]."""
    within_2x: float = 0.0
    """Share with predicted/measured in [0.5, 2]."""


def summarize(group: list[Point]) -> Summary:
    """Median ratio predicted/measured, median |ln ratio| and the share within 0.75-1.33x;
    a prediction that the configuration does not fit counts as outside and as ratio 0."""
    ratios = [(p.predicted or 0.0) / p.measured for p in group]
    logs = [abs(math.log(r)) if r > 0 else math.inf for r in ratios]
    return Summary(
        n=len(group),
        missing=sum(1 for p in group if not p.predicted),
        median_ratio=statistics.median(ratios),
        median_abs_log=statistics.median(logs),
        within=sum(1 for r in ratios if 0.75 <= r <= 1.33) / len(group),
        within_2x=sum(1 for r in ratios if 0.5 <= r <= 2) / len(group),
    )


def table(previous: dict[str, float | None] | None = None
          ) -> tuple[str, dict[tuple[str, str, str, str], Summary]]:  # fmt: skip
    """The markdown table and the summaries keyed by (model, figure, family, split); TTFT
    under load also per TP ("TP n" in the family column)."""
    lines = ["| model | figure | family | split | points | no fit | median ratio | "
             "median abs log | within 0.75-1.33x | within 0.5-2x |",
             "|---|---|---|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    summaries = {}
    models = list(MODELS) if previous is None else ["previous model", *MODELS]
    for model in models:
        groups: dict[tuple[str, str, str], list[Point]] = defaultdict(list)
        for p in points(model, previous if model == "previous model" else None):
            split = "held out" if p.held_out else "fitted"
            groups[(p.figure, p.family, split)].append(p)
            groups[(p.figure, "all", split)].append(p)
            if p.figure == "ttft_load":
                groups[(p.figure, f"TP {p.tp}", split)].append(p)
        for key in sorted(groups, key=lambda k: (list(FIGURE_NAMES).index(k[0]), k[1] == "all",
                                                 k[1], k[2])):  # fmt: skip
            s = summarize(groups[key])
            summaries[(model, *key)] = s
            lines.append(f"| {model} | {FIGURE_NAMES[key[0]]} | {key[1]} | {key[2]} | {s.n} | "
                         f"{s.missing} | {s.median_ratio:.2f} | {s.median_abs_log:.3f} | "
                         f"{s.within:.0%} | {s.within_2x:.0%} |")  # fmt: skip
    return "\n".join(lines), summaries


def _replace_section(text: str, section: str) -> str:
    start = text.find(SECTION)
    if start < 0:
        return text.rstrip() + "\n\n" + section.rstrip() + "\n"
    end = text.find("\n## ", start + len(SECTION))
    tail = "" if end < 0 else text[end:]
    return text[:start] + section.rstrip() + "\n" + tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument(
        "--notes",
        type=Path,
        default=ROOT / "benchmarks" / "accuracy_notes.md",
        help="Markdown appended under the table (the targets and what limits them).",
    )
    parser.add_argument(
        "--previous",
        type=Path,
        default=None,
        help="A checkout of an earlier commit whose model to show beside.",
    )
    args = parser.parse_args()
    body, _ = table(previous_predictions(args.previous) if args.previous else None)
    notes = args.notes.read_text(encoding="utf-8").strip() if args.notes.exists() else ""
    section = (f"{SECTION}\n\nWritten by `python -m benchmarks.accuracy` (deterministic: "
               "no timing, "
               "no randomness). Points: the published measurements in "
               "`planner/facts/data/engine_measurements.csv`; `fitted` points were used by the fit "
               "(`python -m planner.perf.calibration`), `held out` points were not. Ratio is "
               "predicted / measured; `no fit` counts points the model says do not fit in memory "
               "(counted as ratio 0).\n\n" + body + ("\n\n" + notes if notes else ""))  # fmt: skip
    text = args.output.read_text(encoding="utf-8") if args.output.exists() else "# Benchmarks\n"
    args.output.write_text(_replace_section(text, section), encoding="utf-8")
    print(body)


if __name__ == "__main__":
    main()
