"""Recommendations for idle committed capacity: which workload's placement keeps it off a
pool, and what letting it on would save (a driver: one re-solve per workload tried)."""

from __future__ import annotations

from planner.clouds import allows_service, in_countries, is_cloud
from planner.errors import PlannerError
from planner.perf.owned import owned_capacity
from planner.solve.placement import place
from planner.spec.models import TrainingWorkload, Workload


def _widened(w: Workload, offering) -> Workload:
    """`w` with its placement opened just enough to admit `offering`."""
    p = w.placement
    update = {}
    if p.regions and offering.region not in p.regions:
        update["regions"] = (*p.regions, offering.region)
    if p.countries and not in_countries(offering.provider, offering.region, p.countries):
        update["countries"] = None
    cloud = is_cloud(offering.provider)
    if p.providers and cloud and offering.provider not in p.providers:
        update["providers"] = (*p.providers, offering.provider)
    if p.accelerators and offering.accelerator not in p.accelerators:
        update["accelerators"] = (*p.accelerators, offering.accelerator)
    if (
        p.services
        and offering.service_kind == "vm"
        and not allows_service(p.services, offering.service)
    ):
        update["services"] = (*p.services, "vm")
    if not update:
        return w
    return w.model_copy(update={"placement": p.model_copy(update=update)})


def recommend(use, problem, catalog, plan_value, profiles, settings, options, today):
    """For idle committed capacity: the workload whose placement keeps it off the pool and
    what letting it on would save (one re-solve per workload, at most three)."""
    pool = problem.owned[use.name]
    if not use.idle or not pool.committed_per_hour:
        return use
    spec = problem.spec
    extra, _, _ = owned_capacity(spec, catalog, today)
    offering = next(o for o in extra if o.owned == use.name)
    best = None
    tried = 0
    for w in spec.workloads:
        wider = _widened(w, offering)
        if isinstance(w, TrainingWorkload) or wider is w:
            continue
        tried += 1
        if tried > 3:
            break
        workloads = tuple(wider if x.name == w.name else x for x in spec.workloads)
        try:
            moved = place(spec.model_copy(update={"workloads": workloads}), catalog,
                          profiles=profiles, settings=settings, options=options,
                          diagnose=False, as_of=today).plan  # fmt: skip
        except PlannerError:
            continue
        saving = plan_value - moved.objective_value
        if saving > 1e-6 and (best is None or saving > best[0]):
            best = (saving, w.name)
    if best is None:
        return use
    note = (
        f"{use.note}; {best[1]} could move onto it if its placement allowed "
        f"{offering.provider} {offering.region} {offering.accelerator}: saves "
        f"${best[0]:,.2f}/h"
    )
    return use.model_copy(update={"note": note})
