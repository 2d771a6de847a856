"""The use cases: one function per thing a user does with the planner, each taking typed inputs
and returning a typed, immutable result. The CLI (`planner.cli`) and the Python API
(`import planner`) both call these, so a spec gives the same plan, with the same annotations
(baselines, hourly schedule, frontier, robust coverage), whichever way it is planned.

    import planner.app as app
    plan = app.plan("fleet.yaml", quotas=["quotas.yaml"], fit="fit.csv", as_of="2026-12-01")
    checked = app.verify(plan, "fleet.yaml")          # every check `planner verify` runs
    app.emit(plan, "kubernetes", "deploy/")           # the files `planner emit` writes

Modules: `inputs` (specs, catalogs, profiles, fits as every use case reads them), `planning`
(plan, frontier, sweep), `review` (verify, report, diff, check, export), `deploy` (emit),
`launching` (launch and teardown calls), `operate` (observed, rightsize, schedule, simulate,
autoscale), `observing` (metrics sources, saved observations), `replica` (estimate, queue),
`listing` (models, accelerators, offerings, spot risk, commitment advice, spec validation),
`refresh` (catalog and quotas from the clouds), `calibrate` and `profiles` (benchmark runs).
Names are imported lazily: the CLI's start-up stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "load_spec": "planner.app.inputs",
    "load_catalog": "planner.app.inputs",
    "load_profiles": "planner.app.inputs",
    "perf_settings": "planner.app.inputs",
    "plan_date": "planner.app.inputs",
    "read_plan": "planner.app.inputs",
    "plan": "planner.app.planning",
    "frontier": "planner.app.planning",
    "sweep": "planner.app.planning",
    "verify": "planner.app.review",
    "Verification": "planner.app.review",
    "report": "planner.app.review",
    "Report": "planner.app.review",
    "diff": "planner.app.review",
    "Diff": "planner.app.review",
    "check": "planner.app.review",
    "Check": "planner.app.review",
    "export": "planner.app.review",
    "Export": "planner.app.review",
    "emit": "planner.app.deploy",
    "Emitted": "planner.app.deploy",
    "estimate": "planner.app.replica",
    "Estimate": "planner.app.replica",
    "queue": "planner.app.replica",
    "QueueFigures": "planner.app.replica",
    "observed": "planner.app.operate",
    "simulate": "planner.app.operate",
    "autoscale": "planner.app.operate",
    "Observed": "planner.app.operate",
    "rightsize": "planner.app.operate",
    "schedule": "planner.app.operate",
    "Schedules": "planner.app.operate",
    "Listing": "planner.app.listing",
    "SpotRisk": "planner.app.listing",
    "Validation": "planner.app.listing",
    "SpecSchema": "planner.app.listing",
    "models": "planner.app.listing",
    "accelerators": "planner.app.listing",
    "offerings": "planner.app.listing",
    "spot_risk": "planner.app.listing",
    "commit_advice": "planner.app.listing",
    "validate": "planner.app.listing",
    "spec_schema": "planner.app.listing",
    "CatalogRefreshed": "planner.app.refresh",
    "QuotasRefreshed": "planner.app.refresh",
    "Fetch": "planner.app.refresh",
    "refresh_catalog": "planner.app.refresh",
    "refresh_quotas": "planner.app.refresh",
    "Calibrated": "planner.app.calibrate",
    "calibrate": "planner.app.calibrate",
    "ProfilesImported": "planner.app.profiles",
    "SageMakerJobs": "planner.app.profiles",
    "import_profiles": "planner.app.profiles",
    "LaunchCalls": "planner.app.launching",
    "Launched": "planner.app.launching",
    "launch_target": "planner.app.launching",
    "launch_calls": "planner.app.launching",
    "launch_apply": "planner.app.launching",
    "MetricsQuery": "planner.app.observing",
    "Rightsized": "planner.app.observing",
    "observe": "planner.app.observing",
    "read_observation": "planner.app.observing",
}

__all__ = [
    "Calibrated",
    "CatalogRefreshed",
    "Check",
    "Diff",
    "Emitted",
    "Estimate",
    "Export",
    "Fetch",
    "LaunchCalls",
    "Launched",
    "Listing",
    "MetricsQuery",
    "Observed",
    "ProfilesImported",
    "QueueFigures",
    "QuotasRefreshed",
    "Report",
    "Rightsized",
    "SageMakerJobs",
    "Schedules",
    "SpecSchema",
    "SpotRisk",
    "Validation",
    "Verification",
    "accelerators",
    "autoscale",
    "calibrate",
    "check",
    "commit_advice",
    "diff",
    "emit",
    "estimate",
    "export",
    "frontier",
    "import_profiles",
    "launch_apply",
    "launch_calls",
    "launch_target",
    "load_catalog",
    "load_profiles",
    "load_spec",
    "models",
    "observe",
    "observed",
    "offerings",
    "perf_settings",
    "plan",
    "plan_date",
    "queue",
    "read_observation",
    "read_plan",
    "refresh_catalog",
    "refresh_quotas",
    "report",
    "rightsize",
    "schedule",
    "simulate",
    "spec_schema",
    "spot_risk",
    "sweep",
    "validate",
    "verify",
]

if TYPE_CHECKING:
    from planner.app.calibrate import Calibrated, calibrate
    from planner.app.deploy import Emitted, emit
    from planner.app.inputs import (
        load_catalog,
        load_profiles,
        load_spec,
        perf_settings,
        plan_date,
        read_plan,
    )
    from planner.app.launching import (
        LaunchCalls,
        Launched,
        launch_apply,
        launch_calls,
        launch_target,
    )
    from planner.app.listing import (
        Listing,
        SpecSchema,
        SpotRisk,
        Validation,
        accelerators,
        commit_advice,
        models,
        offerings,
        spec_schema,
        spot_risk,
        validate,
    )
    from planner.app.observing import MetricsQuery, Rightsized, observe, read_observation
    from planner.app.operate import (
        Observed,
        Schedules,
        autoscale,
        observed,
        rightsize,
        schedule,
        simulate,
    )
    from planner.app.planning import frontier, plan, sweep
    from planner.app.profiles import ProfilesImported, SageMakerJobs, import_profiles
    from planner.app.refresh import (
        CatalogRefreshed,
        Fetch,
        QuotasRefreshed,
        refresh_catalog,
        refresh_quotas,
    )
    from planner.app.replica import Estimate, QueueFigures, estimate, queue
    from planner.app.review import (
        Check,
        Diff,
        Export,
        Report,
        Verification,
        check,
        diff,
        export,
        report,
        verify,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'planner.app' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
