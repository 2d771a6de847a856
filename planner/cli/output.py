"""Printing rows and records as a rich table, JSON or CSV, the same way for every verb."""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

import typer


class Format(enum.StrEnum):
    """Output formats shared by the listing verbs."""

    table = "table"
    json = "json"
    csv = "csv"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def print_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: Format = Format.table,
    title: str | None = None,
) -> None:
    """Print `rows` restricted to `columns` in the chosen format (JSON keeps native types)."""
    if fmt is Format.json:
        typer.echo(json.dumps([{c: r.get(c) for c in columns} for r in rows], indent=2))
        return
    if fmt is Format.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows({c: ("" if r.get(c) is None else r.get(c)) for c in columns} for r in rows)
        typer.echo(buf.getvalue(), nl=False)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, header_style="bold", title_justify="left")
    for column in columns:
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    console = Console()
    if not console.is_terminal:
        console = Console(
            width=max(console.width, table.__rich_measure__(console, console.options).maximum)
        )
    console.print(table)


def print_record(record: Mapping[str, Any], fmt: Format = Format.table, title: str | None = None):
    """Print one record: JSON as an object, a table as field/value rows."""
    if fmt is Format.json:
        typer.echo(json.dumps(dict(record), indent=2))
        return
    rows = [{"field": k, "value": v} for k, v in record.items()]
    print_rows(rows, ["field", "value"], fmt, title)
