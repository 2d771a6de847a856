"""The options that say where parallel work runs, shared by `plan` and `sweep`."""

from __future__ import annotations

import enum

import typer


class ExecutorKind(enum.StrEnum):
    local = "local"
    ray = "ray"


def executor_option(what: str):
    return typer.Option(
        ExecutorKind.local,
        "--executor",
        metavar="local|ray",
        help=f"Where {what} run: local processes or ray.",
    )


def address_option():
    return typer.Option(
        None,
        "--address",
        metavar="TEXT",
        help="Ray cluster to join (host:port, or auto); needs --executor ray.",
    )
