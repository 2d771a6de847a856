"""`planner catalog list`: browse the offerings a plan can choose from."""

from __future__ import annotations

from pathlib import Path

import typer

from planner.cli.options import Catalogs
from planner.cli.output import (
    choices,
    chosen,
    file_option,
    force_option,
    format_option,
    printed,
    split_list,
)
from planner.cli.params import CLOUDS_HELP, SERVICES_HELP, PlannerCommand, number

catalog_app = typer.Typer(help="Browse cloud GPU offerings and prices.", no_args_is_help=True)

ListingFormat = choices("Listing")
SpotRiskFormat = choices("SpotRisk")


@catalog_app.command("list", cls=PlannerCommand)
def list_offerings(
    catalog: Catalogs = None,
    provider: list[str] = typer.Option(
        None,
        "--provider",
        metavar="TEXT",
        help=f"{CLOUDS_HELP}; repeatable or comma-separated.",
    ),
    region: list[str] = typer.Option(
        None, "--region", metavar="TEXT", help="Region code; repeatable or comma-separated."
    ),
    accelerator: list[str] = typer.Option(
        None,
        "--accelerator",
        metavar="NAME[:COUNT]",
        help="Accelerator name or alias (H100, A100-80GB, L4...), optionally with the count per "
        "instance as SkyPilot writes it (H100:8); repeatable or comma-separated.",
    ),
    accelerator_count: int = number(
        int, None, "--accelerator-count", min=1, help="Only instances with this many accelerators."
    ),
    service: list[str] = typer.Option(
        None,
        "--service",
        metavar="TEXT",
        help=f"{SERVICES_HELP}, or vm/kubernetes; repeatable or comma-separated.",
    ),
    max_price: float = number(float, None, "--max-price", help="Most on-demand $/h."),
    spot_only: bool = typer.Option(False, "--spot-only", help="Only offerings sold as spot."),
    sort: str = typer.Option(
        "price", "--sort", metavar="TEXT", help="price, price-per-accelerator, spot, region."
    ),
    fmt: ListingFormat = format_option(ListingFormat, "table"),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """List offerings matching the filters, cheapest first."""
    from planner.app.listing import offerings

    fmt = chosen(fmt, output, ListingFormat, "table")
    found = offerings(
        catalog,
        providers=split_list(provider),
        regions=split_list(region),
        accelerators=split_list(accelerator),
        accelerator_count=accelerator_count,
        services=split_list(service),
        max_price=max_price,
        spot_only=spot_only,
        sort=sort,
    )
    for note in found.notes:
        typer.echo(f"note: {note}", err=True)
    printed(found, fmt, output, force, "the offerings")


@catalog_app.command("spot-risk", cls=PlannerCommand)
def spot_risk(
    data: Path = typer.Argument(
        None,
        help="A cloud's published spot interruption data, saved to a file (omitted: read from "
        "the --provider's API, where its provider can).",
    ),
    as_of: str = typer.Option(
        ..., "--as-of", metavar="TEXT", help="Date the file was fetched (YYYY-MM-DD)."
    ),
    cloud: str = typer.Option(
        None,
        "--provider",
        metavar="TEXT",
        help="The cloud whose data it is (default: told from the file).",
    ),
    endpoint_url: str = typer.Option(
        None, "--endpoint-url", metavar="URL", help="Without FILE: another URL for the cloud's API."
    ),
    fmt: SpotRiskFormat = format_option(SpotRiskFormat, "csv", "csv is the file --catalog reads."),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """Spot interruption rates per region and instance type from a cloud's published data, read
    by that cloud's provider, as a spot-risk CSV: put it in a --catalog directory (or give it as
    a --catalog file) and spot sizing and job restarts use its figures instead of the bundled
    estimates."""
    from planner.app.listing import spot_risk as rates

    fmt = chosen(fmt, output, SpotRiskFormat, "csv")
    found = rates(data, as_of, cloud=cloud, endpoint_url=endpoint_url)
    printed(found, fmt, output, force, "the spot-risk rows")


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
