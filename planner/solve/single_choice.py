"""One workload on one candidate alone: what it costs and how many instances it takes (the
per-task view that baselines, alternatives and the LP-guided restriction compare against)."""

from __future__ import annotations

import math

from planner.solve.candidates import Candidate
from planner.spec.models import BatchWorkload, ServingWorkload, Workload


def single_choice_cost(w: Workload, c: Candidate, demand: tuple[float, ...]) -> float | None:
    """Cost of running `w` entirely on one candidate (hourly for serving, per job otherwise)."""
    if c.shared:
        return None
    if isinstance(w, ServingWorkload):
        if any(r <= 0 for r in c.bucket_rps):
            return None
        load = sum(d / r for d, r in zip(demand, c.bucket_rps, strict=True))
        n = max(math.ceil(load - 1e-9), math.ceil(w.min_replicas / c.replicas_per_instance))
        if w.max_replicas is not None and n * c.replicas_per_instance > w.max_replicas:
            return None
        return n * c.price
    if isinstance(w, BatchWorkload):
        hours = w.volume.request_count / (c.batch_rps * 3600)
        if c.billed_hours:  # a time window paid in full: every instance for all of it
            return single_instances(w, c, demand) * c.billed_hours * c.price
        return hours * c.price
    return c.instances * c.price * (c.billed_hours or c.hours)


def single_instances(w: Workload, c: Candidate, demand: tuple[float, ...]) -> int:
    if isinstance(w, ServingWorkload):
        load = sum(d / r for d, r in zip(demand, c.bucket_rps, strict=True))
        return max(math.ceil(load - 1e-9), math.ceil(w.min_replicas / c.replicas_per_instance))
    if isinstance(w, BatchWorkload):
        hours = w.volume.request_count / (c.batch_rps * 3600)
        return math.ceil(hours / (c.window_hours or w.deadline_hours) - 1e-9)
    return c.instances
