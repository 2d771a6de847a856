"""`planner catalog list`: browse the offerings a plan can choose from."""

from __future__ import annotations

import typer

from planner.cli.output import Format, print_rows

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
TABLE_HEADINGS = {
    "accelerator_count": "count",
    "accelerator_memory_gb": "GB/acc",
    "memory_gib": "RAM GiB",
    "price_on_demand": "$/h",
    "price_spot": "spot $/h",
    "price_per_accelerator": "$/acc-h",
}

CATALOG_HELP = (
    "Catalog CSV file or SkyPilot catalog directory; repeat to combine. Replaces the bundled "
    "catalog unless 'bundled' is also given (later files override matching rows)."
)


@catalog_app.command("list")
def list_offerings(
    catalog: list[str] = typer.Option(None, "--catalog", help=CATALOG_HELP),
    provider: list[str] = typer.Option(None, "--provider", help="aws, gcp or azure; repeatable."),
    region: list[str] = typer.Option(None, "--region", help="Region code; repeatable."),
    accelerator: list[str] = typer.Option(
        None, "--accelerator", help="Accelerator name or alias (H100, A100-80GB, L4...)."
    ),
    service: list[str] = typer.Option(
        None, "--service", help="ec2, sagemaker, gce, vertex, azure-vm, or vm/kubernetes."
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
    chosen = select_offerings(
        loaded.offerings,
        providers=provider or (),
        regions=region or (),
        accelerators=accelerator or (),
        services=service or (),
        max_price=max_price,
        spot_only=spot_only,
        sort=sort,
    )
    rows = [
        {**o.as_row(), "price_per_accelerator": round(o.price_per_accelerator, 4)} for o in chosen
    ]
    if fmt is Format.table:
        hidden = {"vcpus", "memory_gib"} | (set() if any(o.zone for o in chosen) else {"zone"})
        shown = [c for c in LIST_COLUMNS if c not in hidden]
        rows = [{TABLE_HEADINGS.get(k, k): v for k, v in r.items()} for r in rows]
        columns = [TABLE_HEADINGS.get(c, c) for c in shown]
        print_rows(rows, columns, fmt, title=f"{len(rows)} offering(s)")
    else:
        print_rows(rows, LIST_COLUMNS, fmt)


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
