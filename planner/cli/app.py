"""The typer application: verbs are registered from one small module each.

`run()` builds the click command once, names every placeholder (`--catalog PATH`, not
`<list[str]>`), applies the config file and `PLANNER_*` defaults (`planner.cli.config`), and
turns every error into its message on stderr, its exit code and, with `--format json`, an
error object on stdout (`planner.cli.output`). Help lists the verbs in workflow order, grouped.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from planner import __version__
from planner.cli import output
from planner.errors import PlannerError

PANELS: dict[str, tuple[str, ...]] = {
    "Plan": ("plan", "verify", "frontier", "sweep"),
    "Deploy": ("emit", "launch", "teardown"),
    "Operate": ("observe", "rightsize", "autoscale", "simulate", "schedule"),
    "Cost": ("report", "diff", "check", "export", "commit"),
    "Data": ("catalog", "quotas", "models", "accelerators", "estimate", "queue", "profiles"),
    "Spec": ("validate", "schema"),
    "Shell and settings": ("completion", "config"),
}
"""Verb groups of `planner --help`, in the order a user meets them."""


class PlannerGroup(TyperGroup):
    """Lists verbs in workflow order, under the panel each belongs to."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        order = [name for names in PANELS.values() for name in names]
        known = [n for n in order if n in self.commands]
        return known + sorted(n for n in self.commands if n not in order)

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        panels: dict[str, list[tuple[str, str]]] = {}
        placed = {name: panel for panel, names in PANELS.items() for name in names}
        limit = formatter.width - 6 - max((len(n) for n in self.commands), default=0)
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            panel = getattr(command, "rich_help_panel", None) or placed.get(name, "Other")
            panels.setdefault(panel, []).append((name, command.get_short_help_str(limit)))
        for panel in [*PANELS, *sorted(set(panels) - set(PANELS))]:
            if panels.get(panel):
                with formatter.section(panel):
                    formatter.write_dl(panels[panel])


app = typer.Typer(
    name="planner",
    help="Plan where and on what to run LLM workloads across AWS, GCP and Azure, and at what cost.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=PlannerGroup,
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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress displays on stderr."),
    no_color: bool = typer.Option(
        False, "--no-color", help="No colour (the NO_COLOR environment variable also works)."
    ),
) -> None:
    """Plan where and on what to run LLM workloads across AWS, GCP and Azure, and at what cost.

    Every verb takes --format (json on all of them) and -o FILE (that format to a file, a
    one-line summary on stdout). Exit codes: 0 ok, 1 a violation or failed check, 2 bad input,
    3 no feasible plan. Defaults come from flags > PLANNER_* variables > planner.toml or
    [tool.planner] in pyproject.toml (see `planner config show`).
    """
    output.set_quiet(quiet)
    output.set_color(not no_color)


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


def build():
    """The click command of the whole CLI."""
    _register()
    return typer.main.get_command(app)


def _wants_json(args: list[str], command, default_map: dict) -> bool:
    """Whether the verb being run was asked for --format json (flag, environment or config)."""
    for i, arg in enumerate(args):
        if arg == "--format" and i + 1 < len(args):
            return args[i + 1] == "json"
        if arg.startswith("--format="):
            return arg.split("=", 1)[1] == "json"
    node: dict = default_map
    group = command
    for arg in args:
        if arg.startswith("-") or not isinstance(getattr(group, "commands", None), dict):
            continue
        sub = group.commands.get(arg)
        if sub is None:
            break
        group, node = sub, node.get(arg, {}) if isinstance(node, dict) else {}
    return isinstance(node, dict) and node.get("fmt") == "json"


def _fail(message: str, code: int, as_json: bool, hint: str = "", kind: str | None = None):
    typer.echo(message + hint, err=True)
    if as_json:
        output.print_error_json(message, code, kind)
    sys.exit(code)


def run(argv: list[str] | None = None) -> None:
    """Run the CLI; a PlannerError becomes its message on stderr and its exit code. Everything
    written to stdout and stderr meanwhile goes through `planner.safe_text.safe`: no credential
    and no terminal escape sequence reaches the console, whatever a file or a server held."""
    from planner.safe_text import SafeStream

    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(out), SafeStream(err)
    try:
        _run(argv)
    finally:
        sys.stdout, sys.stderr = out, err
        output.forget_started()


def _run(argv: list[str] | None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    output.reset_switches()
    command = build()
    if any(name.endswith("_COMPLETE") for name in os.environ):  # a shell asks for completions
        from typer.completion import completion_init

        completion_init()
    from planner.cli import config

    as_json = "--format" in args and "json" in args
    try:
        settings = config.resolve(command)
    except PlannerError as err:
        _fail(str(err), err.exit_code, as_json)
        return
    as_json = _wants_json(args, command, settings.default_map)
    try:
        code = command.main(
            args=args,
            prog_name="planner",
            standalone_mode=False,
            default_map=settings.default_map,
        )
    except PlannerError as err:
        _fail(str(err), err.exit_code, as_json)
        return
    except typer.TyperException as err:  # click's errors: a usage error carries its context
        context = getattr(err, "ctx", None)
        if type(err).__name__ == "NoArgsIsHelpError":  # a group named without a verb
            typer.echo(context.get_help() if context else str(err))
            sys.exit(0 if not args else 2)
        usage = hasattr(err, "cmd")
        hint = ""
        if usage and context is not None and err.cmd is not None:
            hint = f"\nTry '{context.command_path} --help' for help."
        code = getattr(err, "exit_code", 1)
        _fail(f"Error: {err.format_message()}", code, as_json, hint, "usage" if usage else None)
        return
    except typer.Abort:
        _fail("Aborted.", 1, as_json)
        return
    except OSError as err:  # a path the file system refuses (too long, a loop): bad input
        where = f"{err.filename}: " if err.filename else ""
        _fail(f"Cannot use {where}{err.strerror or err}", 2, as_json)
        return
    except RecursionError:
        _fail("An input is nested too deeply to read", 2, as_json)
        return
    if isinstance(code, int) and code:
        sys.exit(code)
