"""Drift, calibration and right-sizing results as table rows, Markdown and JSON-ready data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from planner.figures import ms, number, pct, signed_pct, usd
from planner.markup import md
from planner.observe.calibrate import Calibration
from planner.observe.drift import Figure, Value, WorkloadDrift
from planner.observe.model import NO_DATA, Observation
from planner.observe.window import duration_text

DRIFT_COLUMNS = ["workload", "metric", "planned", "observed", "drift", "slo"]
CALIBRATION_COLUMNS = [
    "workload",
    "accelerator",
    "tp",
    "load/replica",
    "TPOT seen",
    "TPOT roofline",
    "TPOT error",
    "TTFT seen",
    "TTFT roofline",
    "TTFT error",
    "max rps roofline",
    "max rps calibrated",
]
_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: tuple[float, ...]) -> str:
    """24 fractions of the peak as bar characters (one per hour)."""
    return "".join(_BARS[min(len(_BARS) - 1, max(0, round(v * (len(_BARS) - 1))))] for v in values)


def show(unit: str, value: Value) -> str:
    """A figure in its unit, as text; '-' when missing."""
    if value is None:
        return "-"
    if isinstance(value, tuple):
        return sparkline(value)
    return {
        "rps": lambda v: f"{number(v, 3)} req/s",
        "tokens": lambda v: f"{v:,.0f}",
        "ms": ms,
        "fraction": lambda v: pct(v, 1),
        "gib": lambda v: f"{v:,.1f} GiB",
        "replicas": lambda v: number(v, 1),
        "count": lambda v: number(v, 2),
        "usd_per_hour": lambda v: f"{usd(v)}/h",
        "usd_per_mtok": lambda v: usd(v, 3),
    }.get(unit, lambda v: number(v, 3))(value)


def show_drift(f: Figure) -> str:
    if f.drift is None:
        return "-"
    if f.unit == "profile":
        return f"max {f.drift * 100:.0f} pts"
    return signed_pct(f.drift)


def drift_rows(drifts: tuple[WorkloadDrift, ...]) -> list[dict[str, str]]:
    """One row per figure that was planned or observed; one row for a workload with no data."""
    rows = []
    for d in drifts:
        if d.status == NO_DATA:
            rows.append(
                dict(
                    workload=d.workload,
                    metric="status",
                    planned="-",
                    observed=f"NO DATA: {d.note}",
                    drift="-",
                    slo="-",
                )
            )
            continue
        for f in d.figures:
            if f.planned is None and f.observed is None:
                continue
            rows.append(
                {
                    "workload": d.workload,
                    "metric": f.metric,
                    "planned": show(f.unit, f.planned),
                    "observed": show(f.unit, f.observed),
                    "drift": show_drift(f),
                    "slo": ms(f.target) if f.target is not None else "",
                }
            )
        rows += [
            dict(workload=d.workload, metric="SLO risk", planned="", observed=r, drift="", slo="")
            for r in d.slo_risk
        ]
    return rows


def _error(value: float | None) -> str:
    return "-" if value is None else signed_pct(value)


def calibration_rows(calibrations: tuple[Calibration, ...]) -> list[dict[str, str]]:
    """How far the roofline was from what was observed, per calibrated workload."""
    return [
        {
            "workload": c.workload,
            "accelerator": c.shape.accelerator.name,
            "tp": str(c.shape.tp),
            "load/replica": f"{number(c.load_per_replica, 3)} req/s",
            "TPOT seen": f"{c.observed_tpot_ms:,.1f} ms",
            "TPOT roofline": f"{c.predicted_tpot_ms:,.1f} ms",
            "TPOT error": _error(c.tpot_error),
            "TTFT seen": ms(c.observed_ttft_ms),
            "TTFT roofline": ms(c.predicted_ttft_ms),
            "TTFT error": _error(c.ttft_error),
            "max rps roofline": number(c.roofline_max_rps, 3),
            "max rps calibrated": number(c.max_rps, 3),
        }
        for c in calibrations
    ]


def _utc(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def headline(observation: Observation) -> str:
    """Which source, which plan, which window."""
    label = f", workloads by label '{observation.label}'" if observation.label else ""
    return (
        f"Observed plan {observation.plan_id} through {observation.source} at {observation.url}: "
        f"{_utc(observation.start)} to {_utc(observation.end)} "
        f"({duration_text(observation.window_s)} in {duration_text(observation.step_s)} steps"
        f"{label})"
    )


def _md_table(rows: list[dict[str, str]], columns: list[str]) -> list[str]:
    lines = ["| " + " | ".join(md(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(md(r.get(c, "")) for c in columns) + " |" for r in rows]
    return lines


def observe_markdown(
    observation: Observation,
    drifts: tuple[WorkloadDrift, ...],
    calibrations: tuple[Calibration, ...],
    notes: tuple[str, ...],
) -> str:
    """The observation, drift and calibration as Markdown."""
    lines = [f"### {md(headline(observation))}", "", *_md_table(drift_rows(drifts), DRIFT_COLUMNS)]
    if calibrations:
        lines += ["", "**Roofline against observation**", ""]
        lines += _md_table(calibration_rows(calibrations), CALIBRATION_COLUMNS)
    if notes:
        lines += ["", *(f"- {md(n)}" for n in notes)]
    return "\n".join(lines) + "\n"


def _figure_json(f: Figure) -> dict[str, Any]:
    return {
        "metric": f.metric,
        "unit": f.unit,
        "planned": list(f.planned) if isinstance(f.planned, tuple) else f.planned,
        "observed": list(f.observed) if isinstance(f.observed, tuple) else f.observed,
        "drift": f.drift,
        "slo": f.target,
    }


def calibration_json(c: Calibration) -> dict[str, Any]:
    s = c.shape
    return {
        "workload": c.workload,
        "model": s.model.name,
        "accelerator": s.accelerator.name,
        "tp": s.tp,
        "input_tokens": s.input_tokens,
        "output_tokens": s.output_tokens,
        "load_per_replica": c.load_per_replica,
        "observed_tpot_ms": c.observed_tpot_ms,
        "predicted_tpot_ms": c.predicted_tpot_ms,
        "tpot_error": c.tpot_error,
        "observed_ttft_ms": c.observed_ttft_ms,
        "predicted_ttft_ms": c.predicted_ttft_ms,
        "ttft_error": c.ttft_error,
        "roofline_max_rps": c.roofline_max_rps,
        "calibrated_max_rps": c.max_rps,
    }


def observe_json(
    observation: Observation,
    drifts: tuple[WorkloadDrift, ...],
    calibrations: tuple[Calibration, ...],
    notes: tuple[str, ...],
) -> dict[str, Any]:
    """Everything as JSON-ready data; `observation` reads back with Observation.model_validate."""
    return {
        "observation": observation.model_dump(mode="json"),
        "workloads": [
            {
                "workload": d.workload,
                "status": d.status,
                "note": d.note,
                "slo_risk": list(d.slo_risk),
                "figures": [_figure_json(f) for f in d.figures],
            }
            for d in drifts
        ],
        "calibration": [calibration_json(c) for c in calibrations],
        "notes": list(notes),
    }
