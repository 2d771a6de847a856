"""Where observations come from: a metrics source reads what a deployed plan served.

planner/observe holds no cloud SDK: Prometheus is read over HTTP here, and sources that need an
SDK live with their cloud in providers/ (CloudWatch: providers.aws.cloudwatch.CloudWatchSource).
"""

from __future__ import annotations

from typing import Protocol

from planner.observe.model import Observation
from planner.plans.model import Plan


class MetricsSource(Protocol):
    """Anything that can observe a plan's workloads over a window ending at `now`."""

    def observe(self, plan: Plan, window_s: float, step_s: float, now: float) -> Observation:
        """What the source recorded for each serving workload of `plan` (NO DATA where none)."""
        ...
