"""Load catalogs: the bundled CSV, users' CSVs in the same format, and SkyPilot's vms.csv files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from planner._csvdata import read_csv_lines
from planner.catalog import skypilot
from planner.catalog.offering import CATALOG_COLUMNS, Offering
from planner.clouds import catalog_services, cloud_names, is_cloud
from planner.errors import InputError
from planner.facts import find_accelerator

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
    if value < 0 or (positive and value == 0):
        kind = "above 0" if positive else "0 or more"
        problems.append(f"{where}: column {column}: {raw!r} must be {kind}")
        return None
    return value


def _native_offering(where: str, row: dict[str, str], problems: list[str]) -> Offering | None:
    """One row of the planner's own catalog format, or None with the reasons in `problems`."""
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
    count = _number(problems, where, row, "accelerator_count", positive=True)
    if count is not None and count != int(count):
        problems.append(f"{where}: column accelerator_count: {count:g} is not a whole number")
    on_demand = _number(problems, where, row, "price_on_demand", positive=True)
    spot = _number(problems, where, row, "price_spot", positive=True)
    memory = _number(problems, where, row, "accelerator_memory_gb", positive=True)
    vcpus = _number(problems, where, row, "vcpus")
    ram = _number(problems, where, row, "memory_gib")
    if len(problems) > before or count is None or on_demand is None:
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
    )


def read_native_csv(path: Path, text: str) -> list[Offering]:
    """Offerings from a CSV in the planner's format; any bad row fails the whole file."""
    header, rows = read_csv_lines(text)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CatalogError(
            f"Catalog {path}: missing column(s) {', '.join(missing)}; "
            f"the columns are {', '.join(CATALOG_COLUMNS)} (see README, 'Catalog format')"
        )
    problems: list[str] = []
    offerings = [
        o
        for line, row in rows
        if (o := _native_offering(f"{path}:{line}", row, problems)) is not None
    ]
    if problems:
        shown = problems[:20]
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise CatalogError(
            f"Invalid catalog {path} ({len(problems)} problems):\n  " + "\n  ".join(shown) + more
        )
    return offerings


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


def read_catalog_file(path: Path) -> tuple[list[Offering], list[str]]:
    """Offerings and warnings from one file, in whichever supported format it is."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise CatalogError(f"Cannot read catalog {path}: {err.strerror or err}") from None
    header, _ = read_csv_lines(text)
    if "provider" in header:
        return read_native_csv(path, text), []
    if "InstanceType" in header:
        return skypilot.read_skypilot_csv(path, text)
    raise CatalogError(
        f"Catalog {path}: unknown format (header {', '.join(header[:6]) or 'empty'}); expected "
        f"the planner's columns ({', '.join(REQUIRED_COLUMNS)}, ...) or SkyPilot's vms.csv"
    )


def load_catalog(sources: Sequence[str | Path] | None = None) -> Catalog:
    """Offerings from `sources` (files or directories; 'bundled' names the bundled catalog).

    With no sources, the bundled catalog. Later sources replace earlier rows with the same
    provider, region, zone, service and instance type, so a file can extend or override another.
    """
    chosen: Iterable[str | Path] = sources if sources else [BUNDLED_NAME]
    merged: dict[tuple[str, ...], Offering] = {}
    warnings: list[str] = []
    files: list[CatalogFile] = []
    for source in chosen:
        bundled = str(source) == BUNDLED_NAME
        path = BUNDLED if bundled else Path(source)
        if not path.exists():
            raise CatalogError(
                f"Catalog {path} does not exist (give a CSV file, a SkyPilot catalog directory, "
                f"or '{BUNDLED_NAME}' for the bundled catalog)"
            )
        for file in _files_in(path):
            offerings, notes = read_catalog_file(file)
            warnings.extend(notes)
            for offering in offerings:
                merged[offering.key] = offering
            name = f"{BUNDLED_NAME}:{file.name}" if bundled else str(file)
            files.append(CatalogFile(name, _sha256(file), len(offerings)))
    return Catalog(tuple(merged[k] for k in sorted(merged)), tuple(warnings), tuple(files))


def _sha256(path: Path) -> str:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
