"""`planner rightsize`: from an observation to a proposal: right-sized spec, new plan, diff and
recommendations. A driver above observe, solve and report (it uses all three).

Everything here is data to data except the solver call; the CLI reads and writes the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml

from planner.catalog import Catalog
from planner.markup import comment
from planner.observe.calibrate import Calibration, calibrate, profile_points
from planner.observe.drift import WorkloadDrift, drift
from planner.observe.model import Observation
from planner.observe.recommend import recommendations
from planner.observe.rightsize import (
    TrafficChange,
    rightsize_spec,
    short_window,
    updated_document,
)
from planner.perf import DEFAULT_SETTINGS, PerfSettings, Profiles
from planner.plans.annotations import Baseline
from planner.plans.model import Plan
from planner.report.diff import PlanDiff, diff_plans
from planner.solve import SolveOptions, solved
from planner.spec import Spec, parse_spec


@dataclass(frozen=True)
class Proposal:
    """What `planner rightsize` proposes, and what it rests on."""

    changes: tuple[TrafficChange, ...]
    spec_text: str
    spec: Spec
    plan: Plan
    diff: PlanDiff
    drifts: tuple[WorkloadDrift, ...]
    calibrations: tuple[Calibration, ...]
    recommendations: tuple[str, ...]
    notes: tuple[str, ...]
    baselines: tuple[Baseline, ...] = ()
    """What the new plan beat (for its annotations, attached by the use case)."""


def _day(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")


def spec_text(
    document: dict[str, Any], changes: tuple[TrafficChange, ...], obs: Observation, origin: str
) -> str:
    """The right-sized spec as YAML, headed by a comment saying where its traffic came from."""
    updated = ", ".join(c.workload for c in changes if c.updated) or "none"
    kept = ", ".join(f"{c.workload} ({c.reason})" for c in changes if not c.updated) or "none"
    header = (
        f"# Right-sized by `planner rightsize` from {comment(origin)}, with traffic observed "
        f"through\n# {comment(obs.source)} from {_day(obs.start)} to {_day(obs.end)} (plan "
        f"{comment(obs.plan_id)}).\n# Traffic updated: {comment(updated)}. Kept as planned: "
        f"{comment(kept)}.\n"
    )
    body = yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None
    )
    return header + body


def propose(
    old_plan: Plan,
    spec: Spec,
    document: dict[str, Any],
    observation: Observation,
    catalog: Catalog | None,
    *,
    origin: str = "the spec",
    profiles: Profiles | None = None,
    use_calibration: bool = False,
    solve_options: Any = None,
    settings: PerfSettings = DEFAULT_SETTINGS,
) -> Proposal:
    """Right-size the spec to the observation and plan it again (with calibrated profiles when
    `use_calibration`), sizing capacity with `settings` (an efficiency fit, say)."""
    changes = rightsize_spec(spec, observation)
    text = spec_text(updated_document(document, changes), changes, observation, origin)
    new_spec = parse_spec(text, f"right-sized {origin}")
    calibrations, notes = calibrate(old_plan, observation, spec, settings)
    measured = profiles
    if use_calibration and calibrations:
        points = profile_points(calibrations).points
        measured = Profiles(points + (profiles.points if profiles else ()))
    found = solved(
        new_spec, catalog, profiles=measured, settings=settings,
        options=solve_options or SolveOptions(),
    )  # fmt: skip
    new_plan = found.plan
    drifts = drift(old_plan, observation, spec)
    extra = list(observation.notes) + list(notes)
    if observation.plan_id != old_plan.plan_id:
        extra.append(
            f"the observation was made for plan {observation.plan_id}, not {old_plan.plan_id}"
        )
    if short_window(observation):
        extra.append(
            "observed for less than a day: the daily peak may have been missed "
            "(observe --window 24h or more before applying)"
        )
    return Proposal(
        changes=changes,
        spec_text=text,
        spec=new_spec,
        plan=new_plan,
        diff=diff_plans(old_plan, new_plan),
        drifts=drifts,
        calibrations=calibrations,
        recommendations=tuple(recommendations(old_plan, new_plan, changes, drifts)),
        notes=tuple(extra),
        baselines=found.baselines,
    )
