"""Load catalogs: the bundled CSV, users' CSVs in the same format, and SkyPilot's vms.csv files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from planner._csvdata import read_csv_lines
from planner._readfile import read_input
from planner.bounds import (
    MAX_MEMORY_GB,
    MAX_PRICE_PER_HOUR,
    MAX_THROUGHPUT,
    MAX_TP,
    check_range,
)
from planner.catalog import skypilot, spot_risk
from planner.catalog.offering import CATALOG_COLUMNS, PRICE_KINDS, Offering
from planner.clouds import catalog_services, cloud_names, is_cloud
from planner.errors import InputError, names_argument
from planner.facts import find_accelerator
from planner.spec.grammars import identifier_problem

BUNDLED = Path(__file__).parent / "data" / "offerings.csv"
BUNDLED_NAME = "bundled"
REQUIRED_COLUMNS = (
    "provider",
    "region",
    "service",
    "instance_type",
    "accelerator",
    "accelerator_count",
    "price_on_demand",
)


@dataclass(frozen=True)
class CatalogFile:
    """One file a catalog was read from: as named (`bundled:offerings.csv` for the bundled one),
    its content's sha256 and how many offerings it gave (provenance for plans and reports)."""

    path: str
    sha256: str
    rows: int


@dataclass(frozen=True)
class Catalog:
    """Offerings sorted by identity, plus what loading them noticed (skipped or corrected rows)."""

    offerings: tuple[Offering, ...]
    warnings: tuple[str, ...] = ()
    files: tuple[CatalogFile, ...] = ()

    def __len__(self) -> int:
        return len(self.offerings)

    def __iter__(self):
        return iter(self.offerings)


class CatalogError(InputError):
    """A catalog file cannot be used; the message names the file, line and column."""


def _canonical(name: str) -> str:
    acc = find_accelerator(name)
    return acc.name if acc else name


COLUMN_RANGES = {
    "accelerator_count": float(MAX_TP),
    "price_on_demand": MAX_PRICE_PER_HOUR,
    "price_spot": MAX_PRICE_PER_HOUR,
    "accelerator_memory_gb": MAX_MEMORY_GB,
    "vcpus": MAX_THROUGHPUT,
    "memory_gib": MAX_MEMORY_GB,
}
"""The largest value each numeric column may hold (see docs/spec.md, 'Limits')."""


def _number(
    problems: list[str], where: str, row: dict[str, str], column: str, *, positive: bool = False
) -> float | None:
    raw = row.get(column, "")
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{where}: column {column}: {raw!r} is not a number")
        return None
    why = check_range(value, 0, COLUMN_RANGES[column], low_open=positive)
    if why:
        problems.append(f"{where}: column {column}: {raw!r} {why}")
        return None
    return value


def _kinds(
    where: str, row: dict[str, str], problems: list[str], default: str, spot: bool
) -> tuple[str, str]:
    """The row's price kinds (on-demand, spot): as written, else `default` (no spot price: no
    spot kind)."""
    found = []
    for column, priced in (("price_kind", True), ("spot_price_kind", spot)):
        kind = row.get(column, "").strip().lower()
        if kind and kind not in PRICE_KINDS:
            problems.append(
                f"{where}: column {column}: {kind!r} is not one of {', '.join(PRICE_KINDS)}"
            )
        found.append((kind or default) if priced else "")
    return found[0], found[1]


def _native_offering(
    where: str, row: dict[str, str], problems: list[str], default_kind: str = "user"
) -> Offering | None:
    """One row of the planner's own catalog format, or None with the reasons in `problems`.
    A row that states no price kind gets `default_kind`."""
    before = len(problems)
    provider, service = row["provider"].lower(), row["service"].lower()
    for column in REQUIRED_COLUMNS:
        if not row.get(column):
            problems.append(f"{where}: column {column}: a value is required")
    if provider and not is_cloud(provider):
        problems.append(
            f"{where}: column provider: {provider!r} is not one of {', '.join(cloud_names())}"
        )
    elif service and service not in catalog_services(provider):
        allowed = ", ".join(catalog_services(provider))
        problems.append(f"{where}: column service: {service!r} is not one of {allowed}")
    for column, kind in IDENTIFIER_COLUMNS:
        value = row.get(column, "")
        why = identifier_problem(value, kind) if value else None
        if why:
            problems.append(f"{where}: column {column}: {why}")
    count = _number(problems, where, row, "accelerator_count", positive=True)
    if count is not None and count != int(count):
        problems.append(f"{where}: column accelerator_count: {count:g} is not a whole number")
    on_demand = _number(problems, where, row, "price_on_demand", positive=True)
    spot = _number(problems, where, row, "price_spot", positive=True)
    memory = _number(problems, where, row, "accelerator_memory_gb", positive=True)
    vcpus = _number(problems, where, row, "vcpus")
    ram = _number(problems, where, row, "memory_gib")
    kind, spot_kind = _kinds(where, row, problems, default_kind, spot is not None)
    if len(problems) > before or count is None or on_demand is None:
        return None
    if spot is not None and spot > on_demand:
        problems.append(
            f"{where}: column price_spot: {spot:g} is above price_on_demand {on_demand:g} "
            "(spot capacity is never dearer; are the columns swapped?)"
        )
        return None
    acc = find_accelerator(row["accelerator"])
    if memory is None:
        if acc is None:
            problems.append(
                f"{where}: column accelerator_memory_gb: needed for unknown accelerator "
                f"{row['accelerator']!r}"
            )
            return None
        memory = acc.memory_gb
    return Offering(
        provider=provider,
        region=row["region"],
        zone=row.get("zone", ""),
        service=service,
        instance_type=row["instance_type"],
        accelerator=acc.name if acc else row["accelerator"],
        accelerator_count=int(count),
        accelerator_memory_gb=memory,
        vcpus=vcpus or 0.0,
        memory_gib=ram or 0.0,
        price_on_demand=on_demand,
        price_spot=spot,
        source=row.get("source", ""),
        as_of=row.get("as_of", ""),
        price_kind=kind,
        spot_price_kind=spot_kind,
    )


def read_native_csv(path: Path, text: str) -> list[Offering]:
    """Offerings from a CSV in the planner's format; any bad row fails the whole file, and so
    does the same offering (provider, region, zone, service, instance type) twice."""
    header, rows = read_csv_lines(text, str(path), strict_width=True)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CatalogError(
            f"Catalog {path}: missing column(s) {', '.join(missing)}; "
            f"the columns are {', '.join(CATALOG_COLUMNS)} (see docs/catalog.md)"
        )
    problems: list[str] = []
    offerings: list[Offering] = []
    lines: dict[tuple[str, ...], int] = {}
    for line, row in rows:
        offering = _native_offering(f"{path}:{line}", row, problems)
        if offering is None:
            continue
        if offering.key in lines:
            problems.append(
                f"{path}:{line}: {_identity(offering)} is already on line {lines[offering.key]}; "
                "keep one row (the file would otherwise decide by order which price is used)"
            )
            continue
        lines[offering.key] = line
        offerings.append(offering)
    if problems:
        shown = problems[:20]
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise CatalogError(
            f"Invalid catalog {path} ({len(problems)} problems):\n  " + "\n  ".join(shown) + more
        )
    return offerings


def _identity(offering: Offering) -> str:
    zone = f"/{offering.zone}" if offering.zone else ""
    return (
        f"{offering.provider} {offering.region}{zone} {offering.service} {offering.instance_type}"
    )


def _files_in(path: Path) -> list[Path]:
    """A catalog path's files: the file itself, or a directory's CSVs (SkyPilot layout too)."""
    if not path.is_dir():
        return [path]
    files = sorted(path.glob("*.csv"))
    for cloud in cloud_names():
        for name in ("vms.csv", "vms_excerpt.csv"):
            candidate = path / cloud / name
            if candidate.exists():
                files.append(candidate)
                break
    if not files:
        raise CatalogError(f"Catalog directory {path} holds no catalog CSV files")
    return files


IDENTIFIER_COLUMNS = (
    ("region", "region"),
    ("zone", "region"),
    ("instance_type", "identifier"),
    ("accelerator", "identifier"),
)
"""Catalog columns whose values are names with a grammar (planner.spec.grammars), checked on
read: they reach Kubernetes labels, resource names, Markdown and CSV."""


def _check_identifiers(path: Path, offerings: list[Offering]) -> list[Offering]:
    problems = []
    for o in offerings:
        for column, kind in IDENTIFIER_COLUMNS:
            value = getattr(o, column)
            why = identifier_problem(value, kind) if value else None
            if why:
                problems.append(f"{path}: {_identity(o)}: column {column}: {why}")
    if problems:
        raise CatalogError(
            f"Invalid catalog {path} ({len(problems)} problems):\n  " + "\n  ".join(problems[:20])
        )
    return offerings


def read_catalog_file(path: Path) -> tuple[list[Offering], list[str]]:
    """Offerings and warnings from one file, in whichever supported format it is."""
    text = read_input(path, "catalog")
    header, _ = read_csv_lines(text, str(path))
    if "provider" in header:
        return read_native_csv(path, text), []
    if "InstanceType" in header:
        offerings, warnings = skypilot.read_skypilot_csv(path, text)
        return _check_identifiers(path, offerings), warnings
    raise CatalogError(
        f"Catalog {path}: unknown format (header {', '.join(header[:6]) or 'empty'}); expected "
        f"the planner's columns ({', '.join(REQUIRED_COLUMNS)}, ...) or SkyPilot's vms.csv"
    )


def _override_note(file: Path, earlier: Path, rows: list[Offering]) -> str:
    first = _identity(rows[0])
    more = f" and {len(rows) - 1} more" if len(rows) > 1 else ""
    return f"{file} overrides {len(rows)} offering(s) of {earlier}: {first}{more}"


def load_catalog(sources: Sequence[str | Path] | str | Path | None = None) -> Catalog:
    """Offerings from `sources` (files or directories, or one of them; 'bundled' names the
    bundled catalog).

    With no sources, the bundled catalog. Later sources replace earlier rows with the same
    provider, region, zone, service and instance type, so a file can extend or override another;
    each override is reported in the catalog's warnings (one line per pair of files).
    """
    given = names_argument(sources, "load_catalog", "sources")
    chosen: Iterable[str | Path] = given if given else [BUNDLED_NAME]
    merged: dict[tuple[str, ...], Offering] = {}
    origin: dict[tuple[str, ...], Path] = {}
    warnings: list[str] = []
    files: list[CatalogFile] = []
    risks: list[spot_risk.SpotRisk] = []
    for source in chosen:
        bundled = str(source) == BUNDLED_NAME
        path = BUNDLED if bundled else Path(source)
        if not path.exists():
            raise CatalogError(
                f"Catalog {path} does not exist (give a CSV file, a SkyPilot catalog directory, "
                f"or '{BUNDLED_NAME}' for the bundled catalog)"
            )
        for file in _files_in(path):
            text = read_input(file, "catalog")
            if spot_risk.is_spot_risk_header(read_csv_lines(text, str(file))[0]):
                risks += spot_risk.read_spot_risk(text, str(file))
                files.append(CatalogFile(str(file), _sha256(file), 0))
                continue
            offerings, notes = read_catalog_file(file)
            warnings.extend(notes)
            overridden: dict[Path, list[Offering]] = {}
            for offering in offerings:
                if offering.key in merged and origin[offering.key] != file:
                    overridden.setdefault(origin[offering.key], []).append(offering)
                merged[offering.key] = offering
                origin[offering.key] = file
            warnings.extend(
                _override_note(file, earlier, rows) for earlier, rows in overridden.items()
            )
            name = f"{BUNDLED_NAME}:{file.name}" if bundled else str(file)
            files.append(CatalogFile(name, _sha256(file), len(offerings)))
    found = tuple(merged[k] for k in sorted(merged))
    if risks:
        found = spot_risk.with_spot_risk(found, risks)
    return Catalog(found, tuple(warnings), tuple(files))


def _sha256(path: Path) -> str:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
