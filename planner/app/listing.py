"""Use cases that list: the bundled models and accelerators, the catalog's offerings, a cloud's
spot interruption rates, commitment advice for a plan, and spec files checked. Each returns a
typed, immutable result that planner.render turns into a table, JSON or CSV.

A `Listing` is rows of records: every field for JSON and CSV (`columns`), and a view for people
(`table_columns` of `table_rows`, the `optional` ones dropped last first on a narrow terminal)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from planner.app.arguments import checked
from planner.app.inputs import PathLike
from planner.bounds import MAX_ACCELERATORS
from planner.errors import InputError

MODEL_OPTIONAL = ("hf_id", "kv_heads", "attention_heads", "hidden_size", "head_dim", "vocab_size")
ACCELERATOR_OPTIONAL = ("fp8_tflops", "vendor", "family", "int8_tops", "interconnect_gbps",
                        "link", "supports_bf16", "fp4_tflops", "scale_up_domain", "topology",
                        "pcie_gbps", "tp_degrees", "aliases")  # fmt: skip
"""Columns a narrow terminal drops, the last named first (JSON and CSV keep them all)."""
VIEW_FIELDS = ("pipeline_stages", "stage_link_gbps")
"""Accelerator fields of the performance model's multi-instance view, not facts of the chip."""


@dataclass(frozen=True)
class Listing:
    """Rows of records, and how a table shows them."""

    columns: tuple[str, ...]
    rows: tuple[Mapping[str, Any], ...]
    title: str | None = None
    table_columns: tuple[str, ...] | None = None
    table_rows: tuple[Mapping[str, Any], ...] | None = None
    optional: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    """Said on stderr (catalog warnings, an empty result explained)."""


def _listing(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], **view: Any) -> Listing:
    return Listing(columns=tuple(columns), rows=tuple(rows), **view)


@checked()
def models() -> Listing:
    """The bundled open LLMs and their shapes."""
    from planner.facts import llms

    rows = [asdict(m) for m in llms()]
    return _listing(rows, list(rows[0]), title="Bundled models", optional=MODEL_OPTIONAL)


@checked()
def accelerators() -> Listing:
    """The bundled accelerators and their memory, bandwidth and FLOPs."""
    from planner.facts import accelerators as all_accelerators

    rows = [
        {
            **{k: v for k, v in asdict(a).items() if k not in VIEW_FIELDS},
            "aliases": ", ".join(a.aliases),
            "tp_degrees": "|".join(map(str, a.tp_degrees)),
        }
        for a in all_accelerators()
    ]
    return _listing(
        rows, list(rows[0]), title="Bundled accelerators", optional=ACCELERATOR_OPTIONAL
    )


OFFERING_COLUMNS = (
    "provider", "region", "zone", "service", "instance_type", "accelerator", "accelerator_count",
    "accelerator_memory_gb", "vcpus", "memory_gib", "price_on_demand", "price_spot",
    "price_per_accelerator",
)  # fmt: skip
OFFERING_TABLE = ("where", "service", "instance", "gpus", "GB/acc", "$/h", "spot $/h", "$/acc-h")
"""The table's columns (every OFFERING_COLUMNS field is in JSON and CSV); the optional ones are
dropped, service last, when the terminal is too narrow."""


@checked(accelerator_count=(1, MAX_ACCELERATORS))
def offerings(
    catalog: Sequence[str] | None = None,
    *,
    providers: Sequence[str] = (),
    regions: Sequence[str] = (),
    accelerators: Sequence[str] = (),
    accelerator_count: int | None = None,
    services: Sequence[str] = (),
    max_price: float | None = None,
    spot_only: bool = False,
    sort: str = "price",
) -> Listing:
    """The catalog's offerings matching the filters, cheapest first. An accelerator may carry
    the count per instance as SkyPilot writes it (H100:8)."""
    from planner.catalog import SORT_KEYS, load_catalog, select_offerings

    if sort not in SORT_KEYS:
        raise InputError(f"--sort {sort!r} is not allowed; use one of {', '.join(SORT_KEYS)}")
    loaded = load_catalog(list(catalog) if catalog else None)
    wanted = [_accelerator_count(a) for a in accelerators]
    chosen = select_offerings(
        loaded.offerings,
        providers=list(providers),
        regions=list(regions),
        accelerators=[name for name, _ in wanted],
        services=list(services),
        max_price=max_price,
        spot_only=spot_only,
        sort=sort,
    )
    if any(count is not None for _, count in wanted):
        chosen = [o for o in chosen if _counted(o, wanted)]
    if accelerator_count is not None:
        chosen = [o for o in chosen if o.accelerator_count == accelerator_count]
    rows = [
        {**o.as_row(), "price_per_accelerator": round(o.price_per_accelerator, 4)} for o in chosen
    ]
    table = [
        {
            "where": " ".join(p for p in (o.provider, o.region, o.zone) if p),
            "service": o.service,
            "instance": o.instance_type,
            "gpus": f"{o.accelerator_count}x {o.accelerator}",
            "GB/acc": o.accelerator_memory_gb,
            "$/h": f"{o.price_on_demand:,.2f}",
            "spot $/h": None if o.price_spot is None else f"{o.price_spot:,.2f}",
            "$/acc-h": f"{o.price_per_accelerator:,.2f}",
        }
        for o in chosen
    ]
    return _listing(
        rows,
        OFFERING_COLUMNS,
        title=f"{len(rows)} offering(s)",
        table_columns=OFFERING_TABLE,
        table_rows=tuple(table),
        optional=("service", "GB/acc"),
        notes=tuple(loaded.warnings),
    )


def _accelerator_count(value: str) -> tuple[str, int | None]:
    """'H100:8' -> ('H100', 8); 'L4' -> ('L4', None)."""
    name, sep, count = value.partition(":")
    if not sep:
        return name, None
    if not count.isdigit() or int(count) < 1:
        raise InputError(f"--accelerator {value!r}: the count after ':' must be a whole number")
    return name, int(count)


def _counted(offering, wanted: list[tuple[str, int | None]]) -> bool:
    from planner.facts import find_accelerator

    def same(a: str, b: str) -> bool:
        fa, fb = find_accelerator(a), find_accelerator(b)
        return (fa.name if fa else a).lower() == (fb.name if fb else b).lower()

    return any(
        same(offering.accelerator, name) and count in (None, offering.accelerator_count)
        for name, count in wanted
    )


SPOT_RISK_COLUMNS = ("provider", "region", "instance_type", "band", "rate", "kind", "source")


@dataclass(frozen=True)
class SpotRisk(Listing):
    """Spot interruption rates per region and instance type; as CSV, the spot-risk file a
    --catalog directory reads (`csv_file`)."""

    csv_file: str = ""


@checked()
def spot_risk(
    data: PathLike | None,
    as_of: str,
    *,
    cloud: str | None = None,
    endpoint_url: str | None = None,
) -> SpotRisk:
    """Spot interruption rates from a cloud's published data (a saved file, or without one the
    cloud's API where its provider reads it), dated `as_of` (YYYY-MM-DD)."""
    import datetime as dt

    from planner._http import check_url
    from planner._readfile import read_input
    from planner.catalog.spot_risk import spot_risk_csv
    from providers.provider import provider, spot_risk_reader

    try:
        day = dt.date.fromisoformat(as_of.strip()).isoformat()
    except ValueError:
        raise InputError(f"--as-of {as_of!r}: not a date (YYYY-MM-DD)") from None
    if data is None:
        if cloud is None:
            raise InputError("give FILE (saved spot interruption data), or --provider to read it")
        reader = provider(cloud).need("spot_risk")
        if reader.fetch is None:
            raise InputError(
                f"{cloud}'s spot interruption data is read from a saved file only: give FILE"
            )
        if endpoint_url is not None:
            check_url(endpoint_url, "--endpoint-url")
        text, name = reader.fetch(endpoint_url), f"{cloud}-api"
    else:
        text, name = read_input(Path(data), "spot-risk data file"), Path(data).name
        _, reader = spot_risk_reader(text, cloud, name)
    found = reader.rows(text, name, day)
    comment = f"Spot interruption rates from {reader.describe} ({name}), fetched {day}."
    rows = tuple({c: getattr(r, c) for c in SPOT_RISK_COLUMNS} for r in found)
    return SpotRisk(columns=SPOT_RISK_COLUMNS, rows=rows, csv_file=spot_risk_csv(found, [comment]))


ADVICE_COLUMNS = (
    "product", "scope", "term_years", "count", "unit", "unit_price", "discount",
    "discount_kind", "on_demand_per_hour", "committed_per_hour", "covered_per_hour",
    "utilisation", "break_even_utilisation", "saving_per_hour", "saving_per_month",
    "saving_over_term",
)  # fmt: skip
ADVICE_KEPT = ("product", "scope", "term_years", "count", "committed_per_hour", "saving_per_month")


def scenario_scales(path: PathLike) -> list[float]:
    """Each solved scenario's serving cost over the base's, from a `planner sweep` JSON."""
    from pydantic import ValidationError

    from planner._readfile import read_input
    from planner.sweep.outcome import Sweep

    try:
        sweep = Sweep.model_validate_json(read_input(Path(path), "sweep result"))
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: not a sweep result ({where}: {first['msg']})") from None
    base = sweep.base.cost_per_hour
    if not base:
        raise InputError(f"{path}: the base scenario has no serving cost to scale by")
    scales = [
        r.cost_per_hour / base for r in sweep.results if r.solved and r.cost_per_hour is not None
    ]
    if not scales:
        raise InputError(f"{path}: no scenario has a serving cost")
    return scales


@checked()
def commit_advice(plan: Any, scenarios: PathLike | None = None) -> Listing:
    """Commitment levels for 1 and 3 years per commitment product of the plan's clouds, with
    break-even utilisation and the expected saving; `scenarios` (a sweep result) gives the
    uncertainty of the plan's usage."""
    from planner.app.inputs import read_plan
    from planner.report.commit_advice import advise

    found = advise(read_plan(plan), scenario_scales(scenarios) if scenarios else [1.0])
    rows = [
        {
            **{c: getattr(a, c) for c in ADVICE_COLUMNS if hasattr(a, c)},
            "saving_per_month": round(a.saving_per_month, 2),
            "saving_over_term": round(a.saving_over_term, 2),
        }
        for a in found
    ]
    notes = () if rows else ("No on-demand serving usage a commitment product covers.",)
    optional = tuple(c for c in reversed(ADVICE_COLUMNS) if c not in ADVICE_KEPT)
    return _listing(rows, ADVICE_COLUMNS, optional=optional, notes=notes)


@dataclass(frozen=True)
class SpecCheck:
    """One spec file checked: valid with its workloads, or the problems found."""

    file: str
    valid: bool
    workloads: tuple[tuple[str, str], ...] = ()
    """(name, kind) of each workload of a valid spec."""
    message: str = ""
    exit_code: int = 0


@dataclass(frozen=True)
class Validation:
    """Spec files checked, in the order given."""

    files: tuple[SpecCheck, ...]

    @property
    def valid(self) -> bool:
        return all(f.valid for f in self.files)

    @property
    def message(self) -> str:
        """Every invalid file's problems, one file after another."""
        return "\n".join(f.message for f in self.files if not f.valid)


@checked()
def validate(files: Sequence[PathLike]) -> Validation:
    """Load each spec file; a file that does not load is reported, never raised."""
    from planner.spec import load_spec

    checked: list[SpecCheck] = []
    for file in files:
        try:
            spec = load_spec(file)
        except InputError as err:
            checked.append(SpecCheck(str(file), False, message=str(err), exit_code=err.exit_code))
            continue
        workloads = tuple((w.name, w.kind) for w in spec.workloads)
        checked.append(SpecCheck(str(file), True, workloads))
    return Validation(tuple(checked))


@dataclass(frozen=True)
class SpecSchema:
    """The spec's JSON Schema (for editors and CI validation)."""

    schema: Mapping[str, Any]


@checked()
def spec_schema() -> SpecSchema:
    from planner.spec import spec_json_schema

    return SpecSchema(spec_json_schema())
