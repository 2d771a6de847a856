"""Right-sizing a spec from an observation: observed traffic, sizes and hourly profile.

Only workloads with observed traffic change. A workload without series, or with no requests in
the window, keeps its planned traffic: a missing metric never scales an endpoint to nothing.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from planner.observe.model import Observation, WorkloadObservation
from planner.spec.models import Bucket, ServingWorkload, Spec, Traffic

DAY_S = 86400.0


@dataclass(frozen=True)
class TrafficChange:
    """A serving workload's traffic before and after right-sizing, and why."""

    workload: str
    updated: bool
    reason: str
    before: Traffic
    after: Traffic
    changes: tuple[str, ...] = ()
    detail: str = ""


def _scaled(buckets: tuple[Bucket, ...], inputs: float | None, outputs: float | None):
    """The histogram with its means moved to the observed ones (shape and fractions kept)."""
    mean_in = math.fsum(b.input_tokens * b.fraction for b in buckets)
    mean_out = math.fsum(b.output_tokens * b.fraction for b in buckets)
    k_in = inputs / mean_in if inputs else 1.0
    k_out = outputs / mean_out if outputs else 1.0
    return [
        {
            "input_tokens": max(1, round(b.input_tokens * k_in)),
            "output_tokens": max(1, round(b.output_tokens * k_out)),
            "fraction": b.fraction,
        }
        for b in buckets
    ]


def _describe(before: Traffic, after: Traffic) -> tuple[str, ...]:
    out = []
    for name in ("requests_per_second", "input_tokens", "output_tokens"):
        a, b = getattr(before, name), getattr(after, name)
        if a != b:
            out.append(f"{name} {a:g} -> {b:g}")
    if before.buckets != after.buckets:
        out.append("buckets rescaled to the observed mean sizes")
    if before.hourly_profile != after.hourly_profile:
        out.append("hourly_profile from the observation")
    return tuple(out)


def rightsized_traffic(
    w: ServingWorkload, o: WorkloadObservation | None, source: str
) -> TrafficChange:
    """The workload's traffic at what was observed, or unchanged with the reason."""
    before = w.traffic
    if o is None or o.status != "ok":
        why = o.note if o is not None and o.note else "not in the observation"
        return TrafficChange(w.name, False, f"no data from {source}", before, before, (), why)
    if not o.has_traffic:
        return TrafficChange(w.name, False, "no requests in the window", before, before)
    data: dict[str, Any] = before.model_dump(mode="json", exclude_none=True)
    data["requests_per_second"] = round(o.rps_p95, 4)  # type: ignore[arg-type]
    if before.buckets is not None:
        data["buckets"] = _scaled(before.buckets, o.input_tokens, o.output_tokens)
    else:
        for name in ("input_tokens", "output_tokens"):
            if getattr(o, name) is not None:
                data[name] = max(1, round(getattr(o, name)))
    if o.hourly_profile is not None:
        data["hourly_profile"] = list(o.hourly_profile)
    after = Traffic.model_validate(data)
    return TrafficChange(w.name, True, "observed", before, after, _describe(before, after))


def rightsize_spec(spec: Spec, observation: Observation) -> tuple[TrafficChange, ...]:
    """A traffic change (or the reason for none) for every serving workload of the spec."""
    return tuple(
        rightsized_traffic(w, observation.of(w.name), observation.source)
        for w in spec.workloads
        if isinstance(w, ServingWorkload)
    )


def updated_document(document: dict[str, Any], changes: tuple[TrafficChange, ...]) -> dict:
    """A copy of the spec document (as read from YAML) with the updated traffic put in."""
    out = copy.deepcopy(document)
    after = {c.workload: c.after for c in changes if c.updated}
    for item in out.get("workloads", []):
        if isinstance(item, dict) and item.get("name") in after:
            item["traffic"] = after[item["name"]].model_dump(mode="json", exclude_none=True)
    return out


def short_window(observation: Observation) -> bool:
    """Less than a day observed: the daily peak may have been missed."""
    return observation.window_s < DAY_S
