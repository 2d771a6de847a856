"""Sizing rules every consumer shares: how much useful work a spot instance delivers.

A spot instance is interrupted at the rate its cloud publishes for its region and type
(planner.catalog.spot_risk: a share of instances per month, so lambda = rate / 730 per hour).
Each interruption costs time:

- serving: the replica is gone until a replacement is running and has loaded the model
  (SERVING_REPLACEMENT_HOURS), so a spot replica carries its planned rate 1 / (1 + lambda x
  that) of the time on average and is sized by that share;
- batch and training jobs: the restart (JOB_RESTART_HOURS) plus the work since the last
  checkpoint, half an interval on average (CHECKPOINT_INTERVAL_HOURS / 2), is redone, so a job
  on spot needs 1 + lambda x (restart + interval / 2) times its hours: priced and checked
  against its deadline.

Interruptions of a whole spot pool at once (correlated reclaims) are not in these averages:
`max_spot_share` and `survive_region_loss` are the rules for them.
"""

from __future__ import annotations

from typing import Literal

from planner.catalog.offering import Offering
from planner.catalog.spot_risk import interruption_rate

HOURS_PER_MONTH = 730.0
SERVING_REPLACEMENT_HOURS = 0.5
"""Estimate: two minutes' notice, then a replacement found, booted and the model loaded."""
JOB_RESTART_HOURS = 0.25
"""Estimate: a job's relaunch on new capacity, with its model and data reloaded."""
CHECKPOINT_INTERVAL_HOURS = 1.0
"""Estimate: how often batch and training jobs save progress (half of it is lost on average)."""


def lost_hours(kind: Literal["serving", "job"]) -> float:
    """Hours of work one interruption costs."""
    if kind == "serving":
        return SERVING_REPLACEMENT_HOURS
    return JOB_RESTART_HOURS + CHECKPOINT_INTERVAL_HOURS / 2


def spot_efficiency(offering: Offering, kind: Literal["serving", "job"]) -> float:
    """Share of a spot instance's time doing useful work: 1 / (1 + lambda x lost hours)."""
    hourly = interruption_rate(offering) / HOURS_PER_MONTH
    return 1.0 / (1.0 + hourly * lost_hours(kind))


def efficiency(offering: Offering, pricing: str, kind: Literal["serving", "job"]) -> float:
    """spot_efficiency for spot capacity, 1 for everything else."""
    return spot_efficiency(offering, kind) if pricing == "spot" else 1.0
