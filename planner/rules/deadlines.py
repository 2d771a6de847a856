"""The deadline family: batch and training jobs finish by `deadline_hours`.

    batch     h_c <= hours_c n_c                     (link: instance-hours on the instances
                                                      bought, within the deadline or a time
                                                      window's usable hours)
              sum_c 3600 r_c h_c >= requests         (volume: the job done in time)
    training  sum_c z_c = 1                          (gang: one gang shape, each of which
                                                      finishes by the deadline)

A training gang's deadline is applied when its candidates are made (planner.solve.candidates
keeps only shapes that finish in time; a time window must fit before it): its `pruning` face.
Both the MIP and the decomposition's LP take these rows.

Independent check: `planner verify` re-derives each job's hours from its allocations and the
shared sizing rules and compares them with the deadline (planner.verify.checks).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from planner.rules.rows import JobView, Rows, Slot

FIELD = "deadline_hours"
KINDS = ("batch", "training")


def link_row(m: Rows, hours_col: Any, count_col: Any, hours: float) -> None:
    """link: a candidate's instance-hours fit on its instances within `hours`."""
    m.row([hours_col, count_col], [1.0, -hours], -math.inf, 0.0)


def volume_row(
    m: Rows, s: int, workload: Any, hours_cols: Sequence[Any], rates: Sequence[float],
    requests: float,
) -> None:  # fmt: skip
    """volume: the instance-hours do `requests` (requests/s per instance: `rates`)."""
    m.row(list(hours_cols), [r * 3600 for r in rates], float(requests), math.inf,
          f"volume[{m.tag(s)}{workload.name}]")  # fmt: skip


def batch_rows(m: Rows, v: JobView) -> None:
    """volume: the batch job's instance-hours on what is sold in the view's world."""
    rates = [v.cands[i].batch_rps for i in v.sold]
    volume_row(m, v.s, v.workload, [v.hours[i] for i in v.sold], rates, v.requests)


def training_rows(m: Rows, v: JobView) -> None:
    """gang: one of the training job's gang shapes."""
    gang_row(m, v.workload, v.units)


def gang_row(m: Rows, workload: Any, chosen: Sequence[Any]) -> None:
    """gang: exactly one gang shape."""
    m.row(list(chosen), [1.0] * len(chosen), 1.0, 1.0, f"gang[{workload.name}]")


SLOTS = (
    Slot("batch", 10, batch_rows),
    Slot("lp_batch", 10, batch_rows),
    Slot("training", 10, training_rows),
    Slot("lp_training", 10, training_rows),
)
