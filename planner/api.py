"""The one-call Python API: plan a spec on a catalog and get the Plan back (solved, with its
hourly replica schedule), printing nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from planner.catalog import Catalog, load_catalog
from planner.perf import load_profiles
from planner.plans import Plan
from planner.solve import SolveOptions, solve
from planner.spec import Spec, load_spec


def plan(
    spec: Spec | str | Path,
    catalog: Catalog | Sequence[str | Path] | None = None,
    *,
    profiles: str | Path | None = None,
    time_limit_s: float = 60.0,
    relative_gap: float = 1e-4,
) -> Plan:
    """The best placement of `spec` (a Spec or a spec file) on `catalog` (a Catalog, catalog
    files, or None for the bundled one). Raises planner.InputError for bad input (exit 2 in
    the CLI) and planner.InfeasibleError, naming the conflicting constraints, when no plan
    exists (exit 3)."""
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    if not isinstance(catalog, Catalog):
        catalog = load_catalog(list(catalog) if catalog else None)
    measured = load_profiles(profiles, spec.user_llms()) if profiles else None
    from planner.schedule.hourly import with_schedule

    options = SolveOptions(time_limit_s=time_limit_s, relative_gap=relative_gap)
    solved = solve(spec, catalog, profiles=measured, options=options)
    return with_schedule(solved, spec, profiles=measured)
