"""Whether a workload's allocations meet its SLO, from the predictions the plan records.

Serving: every allocation's predicted TTFT (before queueing, worst bucket) and TPOT within the
workload's SLO; batch and training: every allocation done by the deadline. The solver fills
`meets_slo` with this rule and every reader of a plan re-derives it with the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.plans.model import Allocation

TOLERANCE = 1e-6


def slo_misses(
    kind: str,
    allocations: Iterable[Allocation],
    *,
    ttft_ms: float | None = None,
    tpot_ms: float | None = None,
    deadline_hours: float | None = None,
) -> list[str]:
    """Why the allocations miss the SLO (empty when they meet it)."""
    out = []
    for a in allocations:
        where = f"{a.instance_type} in {a.region}"
        if kind == "serving":
            if tpot_ms and a.tpot_ms is not None and a.tpot_ms > tpot_ms * (1 + TOLERANCE):
                out.append(f"{where}: predicted TPOT {a.tpot_ms:g} ms above {tpot_ms:g} ms")
            if ttft_ms and a.ttft_ms is not None and a.ttft_ms > ttft_ms * (1 + TOLERANCE):
                out.append(f"{where}: predicted TTFT {a.ttft_ms:g} ms above {ttft_ms:g} ms")
        elif deadline_hours is not None and (
            end := (a.starts_at_hours or 0.0) + (a.hours or 0.0)
        ) > deadline_hours * (1 + TOLERANCE):
            out.append(f"{where}: ends at {end:g} h, past the {deadline_hours:g} h deadline")
    return out
