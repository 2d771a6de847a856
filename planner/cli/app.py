"""The typer application: verbs are registered from one small module each."""

from __future__ import annotations

import sys

import typer

from planner import __version__
from planner.errors import PlannerError

app = typer.Typer(
    name="planner",
    help="Plan where and on what to run LLM workloads across AWS, GCP and Azure, and at what cost.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"planner {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Plan where and on what to run LLM workloads across AWS, GCP and Azure, and at what cost."""


_registered = False


def _register() -> None:
    """Register every `planner/cli/*_cmd.py` module's verbs (each has `register(app)`)."""
    global _registered
    if _registered:
        return
    import importlib
    import pkgutil

    import planner.cli

    names = sorted(m.name for m in pkgutil.iter_modules(planner.cli.__path__))
    for name in names:
        if name.endswith("_cmd"):
            importlib.import_module(f"planner.cli.{name}").register(app)
    _registered = True


def run(argv: list[str] | None = None) -> None:
    """Run the CLI; a PlannerError becomes its message on stderr and its exit code."""
    _register()
    try:
        app(args=argv, standalone_mode=True)
    except PlannerError as err:
        typer.echo(str(err), err=True)
        sys.exit(err.exit_code)
