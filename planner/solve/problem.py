"""The problem a spec poses: each workload's candidates over the catalog and owned capacity."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from planner import clock
from planner.catalog import Catalog
from planner.catalog.commitments import covers_of, with_negotiated_discounts
from planner.compute.executors import Executor
from planner.errors import InfeasibleError, out_of_time
from planner.perf import DEFAULT_SETTINGS, PerfSettings, Profiles
from planner.perf.owned import owned_capacity
from planner.solve.candidates import (
    Candidate,
    batch_candidates,
    serving_candidates,
    training_candidates,
)
from planner.solve.diagnose import why_no_candidates
from planner.solve.mip import PlacementProblem
from planner.solve.parallel import parallel_map
from planner.spec.models import BatchWorkload, ServingWorkload, Spec, Workload


def make_problem(
    spec: Spec,
    catalog: Catalog,
    settings: PerfSettings = DEFAULT_SETTINGS,
    profiles: Profiles | None = None,
    today: dt.date | None = None,
    workers: int = 1,
    executor: Executor | None = None,
    deadline: clock.Deadline | None = None,
) -> PlacementProblem:
    """Each workload's candidates over the catalog and the spec's own capacity (reservations
    whose term has ended by `today`, default the clock's, are left out) at the prices its
    negotiated discounts leave, with its commitments, over `workers`
    processes (or `executor`); InfeasibleError if a workload has none. Each workload first
    looks at `deadline`: once it has passed the rest are not made and OutOfTime is raised."""
    extra, owned, _ = owned_capacity(spec, catalog, today or clock.today())
    offerings = (*with_negotiated_discounts(catalog.offerings, spec.commitments), *extra)
    candidates: dict[str, tuple[Candidate, ...]] = {}
    missing: list[str] = []
    state = (spec, offerings, settings, profiles, owned, deadline)
    # workloads of one model side by side, one contiguous share per worker process: each
    # fills its capacity caches for its own few models, not every worker for every model (on
    # the 1,000-workload fleets of benchmarks/fleet.py, 7-8 s of CPU over two workers against
    # 9-10 s with four chunks each taken in turn, and less wall time)
    order = sorted(range(len(spec.workloads)), key=lambda i: _affinity(spec.workloads[i]))
    found_sorted = parallel_map(
        _candidates_of,
        state,
        [spec.workloads[i] for i in order],
        workers,
        executor=executor,
        chunks_per_worker=1,
    )
    if deadline is not None and any(found is None for found in found_sorted):
        raise out_of_time(deadline.limit_s)
    found_all: list[tuple[Candidate, ...]] = [()] * len(order)
    for i, found in zip(order, found_sorted, strict=True):
        found_all[i] = found
    for w, found in zip(spec.workloads, found_all, strict=True):
        candidates[w.name] = found
        if not found:
            missing.append(why_no_candidates(spec, w, catalog.offerings))
    if missing:
        raise InfeasibleError(
            "No plan: some workloads cannot run on any offering:\n  - " + "\n  - ".join(missing)
        )
    return PlacementProblem(spec, candidates, owned, covers_of(spec.commitments))


def _affinity(w: Workload) -> tuple:
    """What workloads whose candidates share capacity figures have in common."""
    buckets = ()
    if isinstance(w, ServingWorkload):
        buckets = tuple((b.input_tokens, b.output_tokens) for b in w.traffic.request_buckets())
    return (getattr(w, "model", None) or "", w.kind, buckets)


def _candidates_of(state, w: Workload) -> tuple[Candidate, ...] | None:
    """`w`'s candidates; None once the deadline in `state` has passed."""
    spec, offerings, settings, profiles, owned, deadline = state
    if deadline is not None and deadline.passed():
        return None
    if isinstance(w, ServingWorkload):
        return tuple(serving_candidates(spec, w, offerings, settings, profiles, owned))
    if isinstance(w, BatchWorkload):
        return tuple(batch_candidates(spec, w, offerings, settings, owned))
    return tuple(training_candidates(spec, w, offerings, settings, owned))


def widened(
    problem: PlacementProblem,
    catalog: Catalog,
    name: str,
    settings: PerfSettings = DEFAULT_SETTINGS,
    profiles: Profiles | None = None,
    today: dt.date | None = None,
) -> PlacementProblem:
    """`problem` with workload `name`'s residency (allowed regions, countries and providers)
    lifted: its candidates over the whole catalog, every other workload's as they were. The
    diagnosis asks it whether a residency rule takes part in a conflict."""
    spec = problem.spec
    workloads = []
    for w in spec.workloads:
        if w.name == name:
            free = w.placement.model_copy(
                update={"regions": None, "countries": None, "providers": None}
            )
            w = w.model_copy(update={"placement": free})
        workloads.append(w)
    wide = spec.model_copy(update={"workloads": tuple(workloads)})
    extra, owned, _ = owned_capacity(wide, catalog, today or clock.today())
    offerings = (*catalog.offerings, *extra)
    target = next(w for w in wide.workloads if w.name == name)
    found = _candidates_of((wide, offerings, settings, profiles, owned, None), target)
    assert found is not None
    return replace(problem, spec=wide, candidates={**problem.candidates, name: found})
