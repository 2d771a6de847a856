"""The `planner` command line: thin wrappers that load inputs, call the library and print."""

from __future__ import annotations


def main() -> None:
    """Console-script entry point."""
    from planner.cli.app import run

    run()
