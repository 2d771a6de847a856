"""Load a scenarios file with the spec's line-numbered errors: file, line, field, what is allowed.

Pydantic checks the shape; the checks here see what it cannot: which keys each axis kind takes,
each value's type, workload names against the spec and region names against the catalog.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path

from planner._readfile import read_input
from planner.bounds import MAX_MULTIPLIER
from planner.catalog import Catalog
from planner.errors import InputError, listing
from planner.spec.load import FieldError, SpecError, validate_yaml
from planner.spec.models import Spec
from planner.sweep.scenarios import MAX_SCENARIOS, Axis, ScenarioFile, grid_size

ONLY_FOR = {
    "workloads": ("traffic",),
    "providers": ("price", "spot_unavailable", "quota_scale"),
    "regions": ("spot_unavailable",),
    "pricing": ("price",),
    "range": ("traffic", "price", "quota_scale"),
}
"""Keys that only some axis kinds take."""


class ScenarioError(InputError):
    """A scenarios file failed validation (exit 2); the message names file, line and field."""


def _value_problem(axis: Axis, value: object) -> str | None:
    if axis.numeric:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{value!r} is not a number (a {axis.kind} axis lists multipliers)"
        if not math.isfinite(value) or value > MAX_MULTIPLIER:
            return f"{value!r} must be a finite multiplier of at most {MAX_MULTIPLIER:g}"
        if value < 0 or (value == 0 and axis.kind != "quota_scale"):
            return f"{value!r} must be above 0" + (" (or 0)" if axis.kind == "quota_scale" else "")
        return None
    if axis.kind == "region_outage":
        ok = value is None or (isinstance(value, str) and value)
        return None if ok else f"{value!r} is not a region name (or none)"
    return None if isinstance(value, bool) else f"{value!r} is not true or false"


def _near(name: str, known: set[str]) -> str:
    hint = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean '{hint[0]}'?)" if hint else ""


def _references(axis: Axis, where: tuple, spec: Spec | None, catalog: Catalog | None):
    problems: list[FieldError] = []
    if spec is not None:
        names = {w.name for w in spec.workloads}
        for j, name in enumerate(axis.workloads or ()):
            if name not in names:
                problems.append(
                    FieldError(
                        (*where, "workloads", j),
                        f"no workload '{name}' in the spec{_near(name, names)}; "
                        f"workloads: {listing(sorted(names))}",
                    )
                )
    if catalog is not None:
        regions = {o.region for o in catalog.offerings}
        listed = [("regions", j, r) for j, r in enumerate(axis.regions or ())]
        if axis.kind == "region_outage":
            listed += [("values", j, v) for j, v in enumerate(axis.choices()) if v is not None]
        for key, j, region in listed:
            if region not in regions:
                problems.append(
                    FieldError(
                        (*where, key, j),
                        f"region '{region}' is not in the catalog{_near(str(region), regions)}",
                    )
                )
    return problems


def _axis_problems(axis: Axis, i: int, sampled: bool) -> list[FieldError]:
    where = ("axes", i)
    problems = [
        FieldError(
            (*where, key),
            f"'{key}' does not apply to a {axis.kind} axis (only to {', '.join(kinds)})",
        )
        for key, kinds in ONLY_FOR.items()
        if getattr(axis, key) is not None and axis.kind not in kinds
    ]
    if problems:
        return problems
    if axis.range is not None:
        low, high = axis.range
        if axis.values is not None:
            problems.append(FieldError((*where, "range"), "give values or range, not both"))
        elif not sampled:
            problems.append(
                FieldError((*where, "range"), "a range needs `sample: N` at the top level; "
                        "list values for a grid")
            )  # fmt: skip
        elif not 0 <= low <= high or (low == 0 and axis.kind != "quota_scale"):
            problems.append(
                FieldError(
                    (*where, "range"), f"[{low:g}, {high:g}] must be positive and low <= high"
                )
            )
        return problems
    if axis.values is None and axis.kind != "spot_unavailable":
        what = "values (or a range, with sample:)" if axis.numeric else "values"
        return [FieldError(where, f"a {axis.kind} axis needs {what}")]
    for j, value in enumerate(axis.values or ()):
        if (text := _value_problem(axis, value)) is not None:
            problems.append(FieldError((*where, "values", j), text))
    return problems


def checker(spec: Spec | None = None, catalog: Catalog | None = None):
    """The checks pydantic cannot make, as a `validate_yaml` check function."""

    def check(file: ScenarioFile) -> list[FieldError]:
        problems: list[FieldError] = []
        seen: dict[str, int] = {}
        for i, axis in enumerate(file.axes):
            found = _axis_problems(axis, i, file.sample is not None)
            if not found:
                found = _references(axis, ("axes", i), spec, catalog)
            problems += found
            if axis.label in seen:
                problems.append(
                    FieldError(
                        ("axes", i),
                        f"axis '{axis.label}' appears twice (also axes[{seen[axis.label]}]); "
                        "give one of them a `name:`",
                    )
                )
            seen.setdefault(axis.label, i)
        if not problems and file.sample is None and grid_size(file) > MAX_SCENARIOS:
            problems.append(
                FieldError(
                    ("axes",),
                    f"the grid holds {grid_size(file):,} scenarios, more than {MAX_SCENARIOS:,}; "
                    "use `sample: N` to draw some",
                )
            )
        return problems

    return check


def parse_scenarios(
    text: str, source: str = "<string>", spec: Spec | None = None, catalog: Catalog | None = None
) -> ScenarioFile:
    """Validate scenarios text; ScenarioError (exit 2) names the file, line and field."""
    try:
        return validate_yaml(
            text, source, ScenarioFile, checker(spec, catalog),
            what="a mapping with an `axes:` list", label="scenarios file",
        )  # fmt: skip
    except SpecError as err:
        raise ScenarioError(str(err)) from None


def load_scenarios(
    path: str | Path, spec: Spec | None = None, catalog: Catalog | None = None
) -> ScenarioFile:
    """Read and validate a scenarios file (workload and region names checked when given)."""
    path = Path(path)
    return parse_scenarios(read_input(path, "scenarios file"), str(path), spec, catalog)
