"""Apply a scenario: the spec and catalog as the what-if describes them (data to data).

Traffic multiplies serving request rates and batch volumes (training work is left alone);
price multiplies catalog prices; an outage removes a region's offerings and the owned capacity
there (reservations and clusters in it; edge pools lose its sites); spot unavailability
removes spot prices; quota scale multiplies quotas (rounded down). The objective is cost.
"""

from __future__ import annotations

import math
from dataclasses import replace

from planner.catalog import Catalog, Offering
from planner.spec.capacity import EdgePool
from planner.spec.models import BatchWorkload, ServingWorkload, Spec, Workload
from planner.sweep.scenarios import Axis, Scenario, Value

PRICE_DECIMALS = 6


def _scale_workload(w: Workload, factor: float) -> Workload:
    if isinstance(w, ServingWorkload):
        traffic = w.traffic.model_copy(
            update={"requests_per_second": w.traffic.requests_per_second * factor}
        )
        return w.model_copy(update={"traffic": traffic})
    if isinstance(w, BatchWorkload):
        v = w.volume
        if v.requests is not None:
            volume = v.model_copy(
                update={"requests": max(1, math.ceil(v.requests * factor - 1e-9))}
            )
        else:
            volume = v.model_copy(update={"total_tokens": (v.total_tokens or 0.0) * factor})
        return w.model_copy(update={"volume": volume})
    return w


def _spec_setting(spec: Spec, axis: Axis, value: Value) -> Spec:
    if axis.kind == "traffic":
        chosen = set(axis.workloads or (w.name for w in spec.workloads))
        workloads = tuple(
            _scale_workload(w, float(value)) if w.name in chosen else w  # type: ignore[arg-type]
            for w in spec.workloads
        )
        return spec.model_copy(update={"workloads": workloads})
    if axis.kind == "quota_scale":
        quotas = tuple(
            q.model_copy(
                update={"max_accelerators": math.floor(q.max_accelerators * value + 1e-9)}  # type: ignore[operator]
            )
            if axis.providers is None or q.provider in axis.providers
            else q
            for q in spec.constraints.quotas
        )
        return spec.model_copy(
            update={"constraints": spec.constraints.model_copy(update={"quotas": quotas})}
        )
    if axis.kind == "region_outage":
        return spec.model_copy(update={"capacity": _capacity_outside(spec, str(value))})
    return spec


def _capacity_outside(spec: Spec, region: str) -> tuple:
    """The spec's owned capacity left when `region` is out. An edge pool keeps its devices for
    the sites left (the spec does not say how they split across sites)."""
    kept = []
    for pool in spec.capacity:
        if isinstance(pool, EdgePool):
            regions = tuple(r for r in pool.regions if r != region)
            if regions:
                kept.append(pool.model_copy(update={"regions": regions}))
        elif pool.region != region:
            kept.append(pool)
    return tuple(kept)


def _matches(axis: Axis, o: Offering) -> bool:
    return (axis.providers is None or o.provider in axis.providers) and (
        axis.regions is None or o.region in axis.regions
    )


def _offering_setting(o: Offering, axis: Axis, value: Value) -> Offering | None:
    """The offering under one setting, or None where the setting removes it."""
    if axis.kind == "region_outage":
        return None if o.region == value else o
    if axis.kind == "spot_unavailable" and value and _matches(axis, o):
        return replace(o, price_spot=None, spot_price_kind="")
    if axis.kind == "price" and _matches(axis, o):
        factor = float(value)  # type: ignore[arg-type]
        changes: dict[str, float] = {}
        if axis.pricing in (None, "on_demand"):
            changes["price_on_demand"] = round(o.price_on_demand * factor, PRICE_DECIMALS)
        if axis.pricing in (None, "spot") and o.price_spot is not None:
            changes["price_spot"] = round(o.price_spot * factor, PRICE_DECIMALS)
        return replace(o, **changes)
    return o


def apply_catalog(scenario: Scenario, catalog: Catalog) -> Catalog:
    """The catalog as the scenario has it (order kept: offerings stay sorted by identity)."""
    touching = [(a, v) for a, v in scenario.settings if a.kind not in ("traffic", "quota_scale")]
    if not any(not a.neutral(v) for a, v in touching):
        return catalog
    kept: list[Offering] = []
    for offering in catalog.offerings:
        current: Offering | None = offering
        for axis, value in touching:
            if current is None or axis.neutral(value):
                continue
            current = _offering_setting(current, axis, value)
        if current is not None:
            kept.append(current)
    return Catalog(offerings=tuple(kept), warnings=catalog.warnings)


def apply_spec(scenario: Scenario, spec: Spec) -> Spec:
    """The spec as the scenario has it, with the cost objective."""
    if spec.constraints.objective != "cost":
        spec = spec.model_copy(
            update={"constraints": spec.constraints.model_copy(update={"objective": "cost"})}
        )
    for axis, value in scenario.settings:
        if not axis.neutral(value):
            spec = _spec_setting(spec, axis, value)
    return spec


def apply(scenario: Scenario, spec: Spec, catalog: Catalog) -> tuple[Spec, Catalog]:
    """The spec and catalog of one what-if."""
    return apply_spec(scenario, spec), apply_catalog(scenario, catalog)
