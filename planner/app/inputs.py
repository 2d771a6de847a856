"""The inputs every use case reads, read one way: a spec with its quota and rate files, a
catalog, measured profiles, an efficiency fit, a plan date, a plan file. Each accepts what it
would otherwise load (a Spec, a Catalog, a Plan ...) so Python callers can pass either."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from planner.app.arguments import checked
from planner.errors import ArgumentError, InputError, names_argument

if TYPE_CHECKING:
    from planner.catalog import Catalog
    from planner.perf import PerfSettings, Profiles
    from planner.plans import Plan
    from planner.spec import Spec

PathLike = str | os.PathLike[str]


@checked()
def load_spec(
    spec: Spec | PathLike,
    quotas: Sequence[PathLike] | PathLike | None = None,
    rates: Sequence[PathLike] | PathLike | None = None,
) -> Spec:
    """The spec (a Spec, or a YAML/JSON file), with the quota files (`planner quotas refresh`;
    the spec's own quotas win) and rate files (`commitments:` lists) merged in."""
    from planner.quotas import load_quotas, merge_quotas
    from planner.spec import Spec
    from planner.spec import load_spec as read_spec
    from planner.spec.load import load_rates, with_rates

    if not isinstance(spec, Spec):
        if not isinstance(spec, (str, os.PathLike)):
            raise ArgumentError(f"spec must be a Spec or a file name, not {type(spec).__name__}")
        spec = read_spec(spec)
    for quota_file in names_argument(quotas, "load_spec", "quotas"):
        spec = merge_quotas(spec, load_quotas(quota_file))
    for rate_file in names_argument(rates, "load_spec", "rates"):
        spec = with_rates(spec, load_rates(rate_file), str(rate_file))
    return spec


@checked()
def load_catalog(catalog: Catalog | Sequence[PathLike] | PathLike | None = None) -> Catalog:
    """The catalog: a Catalog as it is, else the files or folders named ('bundled' for the
    bundled one; None: the bundled catalog). Its `warnings` say what was skipped."""
    from planner.catalog import Catalog
    from planner.catalog import load_catalog as read_catalog

    if isinstance(catalog, Catalog):
        return catalog
    names = names_argument(catalog, "load_catalog", "catalog")
    return read_catalog(list(names) or None)


@checked()
def load_profiles(profiles: Profiles | PathLike | None, spec: Spec) -> Profiles | None:
    """Measured profiles: as given, or read from a profiles CSV (the spec's own models known)."""
    from planner.perf import Profiles
    from planner.perf import load_profiles as read_profiles

    if profiles is None or isinstance(profiles, Profiles):
        return profiles
    return read_profiles(profiles, spec.user_llms())


@checked()
def perf_settings(fit: PerfSettings | PathLike | None = None) -> PerfSettings:
    """The performance model's settings, with the efficiency fit of `planner calibrate` when a
    fit file is given (plans made with it name it)."""
    from dataclasses import replace

    from planner.perf import DEFAULT_SETTINGS, PerfSettings
    from planner.perf.efficiency import load_fit

    if fit is None:
        return DEFAULT_SETTINGS
    if isinstance(fit, PerfSettings):
        return fit
    if not isinstance(fit, (str, os.PathLike)):
        raise ArgumentError(f"fit must be a fit file name, not {type(fit).__name__}")
    return replace(DEFAULT_SETTINGS, fit=load_fit(fit))


@checked()
def plan_date(value: dt.date | str | None, what: str = "as_of") -> dt.date:
    """The date to plan for: a date, a YYYY-MM-DD text, or None for today (UTC)."""
    from planner import clock

    if value is None:
        return clock.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ArgumentError(f"{what} must be a date or YYYY-MM-DD, not {type(value).__name__}")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{what} {value!r}: not a date (YYYY-MM-DD)") from None


@checked()
def read_plan(plan: Plan | PathLike, spec: Spec | None = None) -> Plan:
    """A plan: as given, or read and checked from its JSON file (and checked to belong to
    `spec`, when given)."""
    from planner.plans import Plan
    from planner.plans.io import check_pair, load_plan

    if isinstance(plan, Plan):
        if spec is not None:
            check_pair(plan, spec, "the plan")
        return plan
    if not isinstance(plan, (str, os.PathLike)):
        raise ArgumentError(f"plan must be a Plan or a file name, not {type(plan).__name__}")
    return load_plan(Path(plan), spec=spec)
