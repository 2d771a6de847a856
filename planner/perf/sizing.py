"""Sizing rules every consumer shares: how much useful work a spot instance delivers, how hot
a replica may run (MAX_UTILISATION and the queueing cap for a TTFT SLO), what an edge device's
round trip leaves of the SLO, and the training memory per parameter. The solver's candidates,
`verify` and the schedule import them from here, so a re-check never reaches into the solver.

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

import math
from functools import lru_cache
from typing import Any, Literal

from planner.catalog.offering import Offering
from planner.catalog.spot_risk import interruption_rate
from planner.perf.bisect import bracket, halvings
from planner.perf.capacity import Capacity
from planner.perf.slo import SLO
from planner.queueing.mmc import mmc_wait_percentile

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


MAX_UTILISATION = 0.9
"""Highest planned utilisation of a replica's sustainable rate, SLO or not (headroom for bursts)."""
TRAINING_BYTES_PER_PARAM = 16.0
"""Training memory per parameter: mixed precision with Adam (weights, grads, master, moments)."""


def queueing_cap(capacity: Capacity, ttft_p95_ms: float | None) -> float:
    """Highest utilisation of a replica at which the p95 queueing wait still fits the TTFT SLO.

    A replica is an M/M/c queue with c = its mean batch (concurrent slots) and the slot rate
    max_rps / c; the wait comes on top of the unqueued TTFT.
    """
    if ttft_p95_ms is None or capacity.max_rps <= 0:
        return MAX_UTILISATION
    slots = max(1, math.floor(capacity.batch))
    return _queueing_cap(slots, capacity.max_rps, capacity.ttft_ms or 0.0, ttft_p95_ms)


@lru_cache(maxsize=65536)
def _queueing_cap(slots: int, max_rps: float, ttft_ms: float, ttft_p95_ms: float) -> float:
    """queueing_cap of a replica with `slots` slots, `max_rps` and unqueued TTFT `ttft_ms`
    (cached: SLOs that differ only where the replica's operating point does not share it)."""
    slack_s = (ttft_p95_ms - ttft_ms) / 1000
    if slack_s <= 0:
        return 0.0
    mu = max_rps / slots

    def wait(rho: float) -> float:
        return mmc_wait_percentile(rho * max_rps, mu, slots, 0.95)

    at_most = wait(MAX_UTILISATION)
    if at_most <= slack_s:
        return MAX_UTILISATION
    # 24 halvings of [0, MAX_UTILISATION]: the wait grows with the load, so a secant search
    # brackets where it meets the slack first and the halvings call it only inside (the same
    # answer with a third of the Erlang sums)
    true_to, false_from = bracket(
        lambda rho: wait(rho) - slack_s, 0.0, -slack_s, MAX_UTILISATION, at_most - slack_s,
        MAX_UTILISATION / 2**26,
    )  # fmt: skip
    return halvings(lambda rho: wait(rho) <= slack_s, 0.0, MAX_UTILISATION, 24, true_to,
                    false_from)  # fmt: skip


def edge_terms(workload: Any, pool: Any, slo: SLO) -> tuple[str, SLO] | None:
    """The precision and SLO a replica on an edge device must meet: the round trip to the
    device (`pool.rtt_ms`) is spent before its first token; `pool.weights_dtype`, when set,
    replaces the workload's precision."""
    ttft = slo.ttft_ms
    if ttft is not None:
        ttft -= pool.rtt_ms
        if ttft <= 0:
            return None
    return pool.weights_dtype or workload.weights_dtype, SLO(tpot_ms=slo.tpot_ms, ttft_ms=ttft)
