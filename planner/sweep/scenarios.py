"""Scenario files: axes of what-ifs (traffic, prices, outages, spot, quotas) and the scenarios
they expand to, as a grid (every combination) or a seeded random sample.

A scenario is a frozen tuple of (axis, value) settings with a stable id: a short hash of its
settings, so the same what-if has the same id in every run, whatever the file's order.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from planner.bounds import Multiplier
from planner.spec.base import Strict
from planner.spec.models import Pricing, Provider

AxisKind = Literal["traffic", "price", "region_outage", "spot_unavailable", "quota_scale"]
Value = float | str | bool | None

MAX_SCENARIOS = 100_000
"""Most scenarios one file may expand to (a typo in a grid should not start a week of solving)."""
DRAW_DECIMALS = 3
"""Values drawn from a range are rounded to this many decimals: readable, and stable ids."""


class Axis(Strict):
    """One dimension of what-ifs: its kind, what it applies to, and its values or range."""

    kind: AxisKind = Field(
        description="traffic (multiplier), price (multiplier), region_outage (region removed), "
        "spot_unavailable (no spot), quota_scale (quota multiplier)."
    )
    name: str | None = Field(
        None, min_length=1, description="Label in reports; derived if omitted."
    )
    workloads: tuple[str, ...] | None = Field(
        None, min_length=1, description="traffic: the workloads scaled; all when omitted."
    )
    providers: tuple[Provider, ...] | None = Field(
        None, min_length=1, description="price, spot_unavailable, quota_scale: which clouds."
    )
    regions: tuple[str, ...] | None = Field(
        None, min_length=1, description="spot_unavailable: which regions; all when omitted."
    )
    pricing: Pricing | None = Field(None, description="price: on_demand or spot; both if omitted.")
    values: tuple[Any, ...] | None = Field(
        None,
        min_length=1,
        description="The values a grid combines or a sample draws from: multipliers, region "
        "names (or none), or true/false.",
    )
    range: tuple[Multiplier, Multiplier] | None = Field(
        None, description="[low, high] for a sample to draw from uniformly (numeric axes)."
    )

    @property
    def label(self) -> str:
        """A short name for the axis in reports, e.g. traffic[chat-8b] or price[aws,spot]."""
        if self.name:
            return self.name
        parts: list[str] = []
        if self.kind == "traffic":
            parts += self.workloads or ()
        if self.kind in ("price", "spot_unavailable", "quota_scale"):
            parts += self.providers or ()
        if self.kind == "spot_unavailable":
            parts += self.regions or ()
        if self.kind == "price" and self.pricing:
            parts.append(self.pricing)
        short = {"region_outage": "outage", "spot_unavailable": "no_spot", "quota_scale": "quota"}
        base = short.get(self.kind, self.kind)
        return f"{base}[{','.join(parts)}]" if parts else base

    @property
    def numeric(self) -> bool:
        return self.kind in ("traffic", "price", "quota_scale")

    def neutral(self, value: Value) -> bool:
        """Whether `value` leaves spec and catalog as they are."""
        if self.numeric:
            return value == 1
        return value in (None, False)

    def choices(self) -> tuple[Value, ...]:
        """The axis's listed values, normalised (numbers as floats, 'none' as None)."""
        if self.values is None:
            return (False, True) if self.kind == "spot_unavailable" else ()
        return tuple(normalise(self.kind, v) for v in self.values)


def normalise(kind: str, value: Any) -> Value:
    """A listed value as the type its axis uses (the loader has checked it fits)."""
    if kind in ("traffic", "price", "quota_scale"):
        return float(value)
    if kind == "region_outage":
        return None if value is None or str(value).lower() == "none" else str(value)
    return bool(value)


class ScenarioFile(Strict):
    """A scenarios file: axes, and a grid (default) or `sample: N` random draws with a seed."""

    axes: tuple[Axis, ...] = Field(min_length=1, description="The dimensions of what-ifs.")
    sample: int | None = Field(
        None,
        strict=True,
        gt=0,
        le=MAX_SCENARIOS,
        description="Draw this many scenarios instead of a grid.",
    )
    seed: int = Field(
        0, strict=True, ge=0, le=2**63 - 1, description="Seed of the random draws (sample only)."
    )


@dataclass(frozen=True)
class Scenario:
    """One what-if: a value for each axis. `id` is a short hash of the settings."""

    id: str
    settings: tuple[tuple[Axis, Value], ...]

    @property
    def params(self) -> dict[str, Value]:
        """Axis label to value, for reports and JSON."""
        return {axis.label: value for axis, value in self.settings}

    @property
    def label(self) -> str:
        """The settings that change something, e.g. 'traffic=1.5, outage=us-east-1'."""
        changed = [f"{a.label}={_text(v)}" for a, v in self.settings if not a.neutral(v)]
        return ", ".join(changed) or "base"


_NOT_IDENTITY = {"name", "values", "range"}

BASE = Scenario(id="base", settings=())
"""The spec and catalog as they are."""


def _text(value: Value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def scenario_id(settings: tuple[tuple[Axis, Value], ...]) -> str:
    """Ten hex digits of a hash of what each setting changes and by how much: the same what-if
    has the same id in every run, also after values are added to an axis or it is renamed."""
    payload = json.dumps(
        [[axis.model_dump(mode="json", exclude=_NOT_IDENTITY), value] for axis, value in settings],
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:10]


def _scenario(settings: tuple[tuple[Axis, Value], ...]) -> Scenario:
    return Scenario(id=scenario_id(settings), settings=settings)


def grid_size(file: ScenarioFile) -> int:
    """How many scenarios the grid holds (the product of the axes' value counts)."""
    return math.prod(len(axis.choices()) for axis in file.axes)


def _draw(axis: Axis, rng: random.Random) -> Value:
    if axis.range is not None:
        low, high = axis.range
        return round(rng.uniform(low, high), DRAW_DECIMALS)
    return rng.choice(axis.choices())


def expand(file: ScenarioFile) -> tuple[Scenario, ...]:
    """Every scenario of the file, distinct and sorted by id (grid, or seeded sample)."""
    if file.sample is None:
        combos = itertools.product(*(axis.choices() for axis in file.axes))
        found = [_scenario(tuple(zip(file.axes, combo, strict=True))) for combo in combos]
    else:
        rng = random.Random(file.seed)
        found = [
            _scenario(tuple((axis, _draw(axis, rng)) for axis in file.axes))
            for _ in range(file.sample)
        ]
    unique = {s.id: s for s in found}
    return tuple(unique[k] for k in sorted(unique))
