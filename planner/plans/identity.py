"""What a plan was made from, as digests, and the plan id derived from them.

A plan records the sha256 of the canonical JSON of the validated spec and of the catalog rows
its allocations use, and the date it was made for; its id hashes those with the allocations,
so two plans with the same id always hold the same fleet for the same spec on the same date.
Everything here is a plain function of its arguments: the solver fills the fields with it and
every reader of a plan file checks them with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planner.catalog.offering import Offering
    from planner.plans.model import Allocation
    from planner.spec.models import Spec


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, ASCII: the same data always gives the same text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def sha256_of(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


LATER_SPEC_FIELDS: dict[str, Any] = {"commitments": []}
"""Spec sections added after plans were first written, with their defaults: hashed only when
set, so the digest (and the id) of a plan written before them stays as it was."""
LATER_WORKLOAD_FIELDS: dict[str, Any] = {"schedule": None}
"""The same for fields of each workload."""
LATER_PLACEMENT_FIELDS: dict[str, Any] = {"countries": None, "min_region_share": 0.1}
"""The same for fields of each workload's placement (min_region_share: the default
planner.spec.models.MIN_REGION_SHARE)."""


def spec_digest(spec: Spec) -> str:
    """sha256 of the validated spec (defaults filled in), so formatting and comments in the
    YAML do not matter but every value does."""
    data = spec.model_dump(mode="json")
    for name, default in LATER_SPEC_FIELDS.items():
        if data.get(name, default) == default:
            data.pop(name, None)
    for w in data.get("workloads", []):
        for name, default in LATER_WORKLOAD_FIELDS.items():
            if name in w and w[name] == default:
                del w[name]
        placement = w.get("placement") or {}
        for name, default in LATER_PLACEMENT_FIELDS.items():
            if name in placement and placement[name] == default:
                del placement[name]
    return sha256_of(data)


def allocation_key(a: Allocation) -> tuple[str, ...]:
    """The catalog row an allocation runs on (owned pools: the pool's derived row)."""
    key = (a.provider, a.region, a.zone, a.service, a.instance_type)
    return (*key, a.capacity_pool) if a.capacity_pool else key


def used_rows(
    allocations: Iterable[Allocation], offerings: Mapping[tuple[str, ...], Offering]
) -> tuple[list[Offering], list[tuple[str, ...]]]:
    """The rows (sorted by key, each once) the allocations use, and the keys not found."""
    found: dict[tuple[str, ...], Offering] = {}
    missing: list[tuple[str, ...]] = []
    for a in allocations:
        key = allocation_key(a)
        if key in offerings:
            found[key] = offerings[key]
        elif key not in missing:
            missing.append(key)
    return [found[k] for k in sorted(found)], missing


LATER_OFFERING_FIELDS: dict[str, Any] = {
    "interruption_rate": None,
    "price_kind": "",
    "spot_price_kind": "",
}
"""Offering fields added after plans were first written, with their defaults (hashed only when
set)."""


def _row(o: Offering) -> dict[str, Any]:
    data = dataclasses.asdict(o)
    for name, default in LATER_OFFERING_FIELDS.items():
        if data.get(name, default) == default:
            data.pop(name, None)
    return data


def catalog_digest(rows: Sequence[Offering]) -> str:
    """sha256 of the catalog rows (every column, prices and their source and date included)."""
    return sha256_of([_row(o) for o in sorted(rows, key=lambda o: o.key)])


LATER_FIELDS: dict[str, Any] = {
    "prefill_share": None,
    "covered_per_hour": 0.0,
    "covered_by": {},
    "starts_at_hours": None,
    "billed_hours": None,
    "nodes_per_replica": None,
    "calibration": None,
    "price_kind": "",
}
"""Allocation fields added after plans were first written, with their defaults: hashed only
when set, so a plan file written before them keeps its id."""


def _unset_later_fields(a: Allocation) -> set[str]:
    return {name for name, default in LATER_FIELDS.items() if getattr(a, name, default) == default}


def plan_id(spec_sha256: str, plan_date: dt.date | None, allocations: Sequence[Allocation]) -> str:
    """A short, stable id: the same spec, date and allocations always give the same id."""
    payload = [
        spec_sha256,
        plan_date.isoformat() if plan_date else None,
        [a.model_dump(mode="json", exclude=_unset_later_fields(a)) for a in allocations],
    ]
    return sha256_of(payload)[:12]


def identity(
    spec: Spec,
    offerings: Iterable[Offering],
    allocations: Sequence[Allocation],
    plan_date: dt.date | None,
) -> dict[str, Any]:
    """The Plan fields that say what it was made from: plan_id, plan_date, spec_sha256 and
    catalog_sha256 (of the rows among `offerings` the allocations use)."""
    by_key = {o.key: o for o in offerings}
    rows, _ = used_rows(allocations, by_key)
    digest = spec_digest(spec)
    return {
        "plan_id": plan_id(digest, plan_date, allocations),
        "plan_date": plan_date,
        "spec_sha256": digest,
        "catalog_sha256": catalog_digest(rows),
    }


def restamp(plan, spec: Spec):
    """`plan` recorded as made for `spec` (the solver may have solved a variant of it, such as
    the spec with a completion-time horizon): new spec digest and plan id, same date and rows."""
    digest = spec_digest(spec)
    return plan.model_copy(
        update={
            "spec_sha256": digest,
            "plan_id": plan_id(digest, plan.plan_date, plan.allocations),
        }
    )
