"""`planner catalog list`: browse the offerings a plan can choose from."""

from __future__ import annotations

from pathlib import Path

import typer

from planner.cli.output import Format, print_rows, split_list, writes_output
from planner.clouds import catalog_services, cloud_names

catalog_app = typer.Typer(help="Browse cloud GPU offerings and prices.", no_args_is_help=True)

LIST_COLUMNS = [
    "provider",
    "region",
    "zone",
    "service",
    "instance_type",
    "accelerator",
    "accelerator_count",
    "accelerator_memory_gb",
    "vcpus",
    "memory_gib",
    "price_on_demand",
    "price_spot",
    "price_per_accelerator",
]
TABLE_COLUMNS = (
    "where", "service", "instance", "gpus", "GB/acc", "$/h", "spot $/h", "$/acc-h",
)  # fmt: skip
"""The table's columns (all of LIST_COLUMNS are in --format json/csv); the optional ones are
dropped, service last, when the terminal is too narrow."""

CATALOG_HELP = (
    "Catalog CSV file or SkyPilot catalog directory; repeat to combine. Replaces the bundled "
    "catalog unless 'bundled' is also given (later files override matching rows)."
)


@catalog_app.command("list")
@writes_output("the offerings")
def list_offerings(
    catalog: list[str] = typer.Option(None, "--catalog", help=CATALOG_HELP),
    provider: list[str] = typer.Option(
        None,
        "--provider",
        help=f"{', '.join(cloud_names())}; repeatable or comma-separated.",
    ),
    region: list[str] = typer.Option(
        None, "--region", help="Region code; repeatable or comma-separated."
    ),
    accelerator: list[str] = typer.Option(
        None,
        "--accelerator",
        metavar="NAME[:COUNT]",
        help="Accelerator name or alias (H100, A100-80GB, L4...), optionally with the count per "
        "instance as SkyPilot writes it (H100:8); repeatable or comma-separated.",
    ),
    accelerator_count: int = typer.Option(
        None, "--accelerator-count", min=1, help="Only instances with this many accelerators."
    ),
    service: list[str] = typer.Option(
        None,
        "--service",
        help=f"{', '.join(catalog_services())}, or vm/kubernetes; repeatable or comma-separated.",
    ),
    max_price: float = typer.Option(None, "--max-price", help="Most on-demand $/h."),
    spot_only: bool = typer.Option(False, "--spot-only", help="Only offerings sold as spot."),
    sort: str = typer.Option("price", "--sort", help="price, price-per-accelerator, spot, region."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv."),
) -> None:
    """List offerings matching the filters, cheapest first."""
    from planner.catalog import SORT_KEYS, load_catalog, select_offerings
    from planner.errors import InputError

    if sort not in SORT_KEYS:
        raise InputError(f"--sort {sort!r} is not allowed; use one of {', '.join(SORT_KEYS)}")
    loaded = load_catalog(catalog or None)
    for warning in loaded.warnings:
        typer.echo(f"note: {warning}", err=True)
    wanted = [_accelerator_count(a) for a in split_list(accelerator)]
    chosen = select_offerings(
        loaded.offerings,
        providers=split_list(provider),
        regions=split_list(region),
        accelerators=[name for name, _ in wanted],
        services=split_list(service),
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
    if fmt is Format.table:
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
        print_rows(
            table,
            list(TABLE_COLUMNS),
            fmt,
            title=f"{len(rows)} offering(s)",
            optional=("service", "GB/acc"),
        )
    else:
        print_rows(rows, LIST_COLUMNS, fmt)


def _accelerator_count(value: str) -> tuple[str, int | None]:
    """'H100:8' -> ('H100', 8); 'L4' -> ('L4', None)."""
    from planner.errors import InputError

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


@catalog_app.command("spot-risk")
@writes_output("the spot-risk rows")
def spot_risk(
    data: Path = typer.Argument(
        None,
        help="A cloud's published spot interruption data, saved to a file (omitted: read from "
        "the --provider's API, where its provider can).",
    ),
    as_of: str = typer.Option(..., "--as-of", help="Date the file was fetched (YYYY-MM-DD)."),
    cloud: str = typer.Option(
        None, "--provider", help="The cloud whose data it is (default: told from the file)."
    ),
    endpoint_url: str = typer.Option(
        None, "--endpoint-url", help="Without FILE: another URL for the cloud's API."
    ),
    fmt: Format = typer.Option(
        Format.csv, "--format", help="csv (the file --catalog reads), json or table."
    ),
) -> None:
    """Spot interruption rates per region and instance type from a cloud's published data, read
    by that cloud's provider, as a spot-risk CSV: put it in a --catalog directory (or give it as
    a --catalog file) and spot sizing and job restarts use its figures instead of the bundled
    estimates."""
    import datetime as dt

    from planner._readfile import read_input
    from planner.catalog.spot_risk import spot_risk_csv
    from planner.errors import InputError
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
        text, name = reader.fetch(endpoint_url), f"{cloud}-api"
    else:
        text, name = read_input(data, "spot-risk data file"), data.name
        _, reader = spot_risk_reader(text, cloud, name)
    rows = reader.rows(text, name, day)
    if str(fmt) != "csv":
        columns = ("provider", "region", "instance_type", "band", "rate", "kind", "source")
        print_rows([{c: getattr(r, c) for c in columns} for r in rows], columns, fmt)
        return
    comment = f"Spot interruption rates from {reader.describe} ({name}), fetched {day}."
    typer.echo(spot_risk_csv(rows, [comment]), nl=False)


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
