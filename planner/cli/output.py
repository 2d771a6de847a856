"""How every verb prints its result: ONE convention, kept here so a new verb follows it.

The convention (docs/cli.md, "Output, exit codes and configuration"):

- ``--format F`` chooses the format; each verb lists the ones it supports, and every verb
  supports ``json``.
- A verb returns its result from a ``planner.app`` use case and hands it to ``show`` (or
  ``printed``), which renders it through ``planner.render``.
- ``-o FILE`` (``file_option()``, with ``force_option()``) writes the result in that same format
  to FILE and prints one summary line on stdout. Without ``--format`` (``format_option``), the
  format follows FILE's suffix (``.json``, ``.md``, ``.yaml``, ``.csv``, ``.html``), else the
  verb's default (``chosen``). An existing FILE is refused (exit 2) unless ``--force``: call
  ``guard_output`` before any slow work so the refusal comes first. ``emit`` writes a folder:
  its option is ``-o DIR`` (documented as a folder).
- Numeric options are ``planner.cli.params.number(...)``; every verb is declared with
  ``cls=PlannerCommand``.
- Errors: raise a ``planner.errors.PlannerError`` subclass and never print it yourself. The CLI
  prints the message on stderr and exits with its code (0 ok, 1 a violation, a failed check or a
  failed task, 2 bad input, 3 no feasible plan); with ``--format json`` it also prints
  ``{"error": {"code", "kind", "message", "problems": [{"file", "line", "field",
  "message"}]}}`` on stdout (``error_object``). Usage errors (an unknown option) do the same.
- Notes and progress go to stderr. ``-q/--quiet`` (on the root or the verb) hides progress:
  use ``status(...)`` / ``progress_enabled()``. ``--no-color`` or ``NO_COLOR`` turns colour off:
  build consoles with ``console(...)``.
- Repeated filters are repeatable options that also take comma lists (``--region a --region
  b`` or ``--region a,b``): ``split_list(values)``.
- Tables fit the terminal (its width, or ``COLUMNS``): ``planner.render.layout`` wraps text columns,
  keeps numbers whole, and drops the ``optional`` columns (last first) before it would cut a
  cell. Files and pipes get full-width rows.

Defaults for options come from flags > ``PLANNER_*`` environment > ``planner.toml`` /
``[tool.planner]`` > built-in (``planner.cli.config``); a verb needs nothing for that beyond
naming its options like the others (``--catalog``, ``--profiles``, ``--format``, ...).
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import typer

from planner.errors import InputError


def _suffixes() -> dict[str, str]:
    from planner.render import SUFFIXES

    return {suffix: str(fmt) for suffix, fmt in SUFFIXES.items()}


SUFFIX_FORMATS = _suffixes()
"""Output file suffix -> the format it asks for (planner.render.SUFFIXES)."""


def metavar(kind: type[enum.StrEnum]) -> str:
    """`--format`'s metavar: the choices of `kind` as they are (a new renderer shows up in help)."""
    return "|".join(str(m.value) for m in kind)


def choices(kind: str) -> type[enum.StrEnum]:
    """The --format choices of a verb whose result is of `kind`: every format planner.render
    has a renderer of that kind for (a new renderer there is a new choice here)."""
    from planner.render import formats

    members = {str(f.name): str(f.value) for f in formats(kind)}
    return enum.StrEnum(f"{kind}Format", members)  # type: ignore[return-value]


def show(
    result: Any,
    fmt: Any,
    output: Path | None,
    summary: str,
    *,
    kind: str | None = None,
) -> None:
    """Render `result` in `fmt` (planner.render) and print it, fitted to the terminal, or write
    it to `output` (a table or text as safe as the console makes it) with a summary line."""
    from planner.render import CONSOLE, Format, render

    chosen = Format(str(fmt.value if isinstance(fmt, enum.Enum) else fmt))
    width = table_width() if output is None and chosen in CONSOLE else None
    text = render(result, chosen, kind=kind, width=width)
    if output is not None and chosen in CONSOLE:
        text = console_text(text)
    deliver(text, output, summary)


# Process-wide switches set by the root options (`planner -q --no-color VERB ...`).
_SWITCHES = {"quiet": False, "color": True}
_STARTED = [0.0]


def reset_switches() -> None:
    """Back to the defaults (each run of the CLI starts here; tests run it many times)."""
    from planner import clock
    from planner._writefile import reset

    _SWITCHES.update(quiet=False, color=True)
    _STARTED[0] = clock.seconds()
    reset()


def started() -> float:
    """When this run of the CLI started (clock.seconds()): a verb's time limit counts from
    here, so loading the verbs and reading their options is inside it. Now, where the verb runs
    outside `planner.cli.app.run` (its click command called directly)."""
    from planner import clock

    return _STARTED[0] or clock.seconds()


def forget_started() -> None:
    """The run has ended (see `started`)."""
    _STARTED[0] = 0.0


def set_quiet(value: bool) -> None:
    """Hide progress displays (the root's and every verb's -q/--quiet)."""
    if value:
        _SWITCHES["quiet"] = True


def set_color(value: bool) -> None:
    """--no-color: no colour in tables or progress (NO_COLOR is honoured as well)."""
    if not value:
        _SWITCHES["color"] = False


def color_enabled() -> bool:
    return _SWITCHES["color"] and not os.environ.get("NO_COLOR")


def progress_enabled(quiet: bool = False) -> bool:
    """Whether a progress display may be drawn: not quiet, and stderr is a terminal."""
    return not (quiet or _SWITCHES["quiet"]) and console(stderr=True).is_terminal


def console(stderr: bool = False, **kwargs: Any):
    """A rich Console that honours --no-color / NO_COLOR."""
    from rich.console import Console

    if stderr and "file" not in kwargs:
        # live displays (spinners) move the cursor: they write past the SafeStream filter,
        # and show only the planner's own words
        kwargs["file"] = getattr(sys.stderr, "unfiltered", sys.stderr)
    return Console(stderr=stderr, no_color=not color_enabled(), **kwargs)


def status(message: str, quiet: bool = False):
    """A spinner with `message` on stderr while a slow step runs (terminals only, not -q)."""
    if not progress_enabled(quiet):
        return contextlib.nullcontext()
    return console(stderr=True).status(f"{message}...", spinner="dots")


def split_list(values: Iterable[str] | None) -> list[str]:
    """Repeatable options that also take comma lists: ['a,b', 'c'] -> ['a', 'b', 'c']."""
    found: list[str] = []
    for value in values or ():
        found += [part.strip() for part in str(value).split(",") if part.strip()]
    return found


# --- choosing the format and delivering the result -----------------------------------------


def resolve_format(
    chosen: str | None, output: Path | None, allowed: Iterable[str], default: str, file_default: str
) -> str:
    """The format to use: --format if given; with -o, the file's suffix or `file_default`."""
    if chosen is not None:
        return str(chosen)
    if output is not None:
        by_suffix = SUFFIX_FORMATS.get(output.suffix.lower())
        return by_suffix if by_suffix in set(allowed) else file_default
    return default


def guard_output(output: Path | None, force: bool) -> None:
    """Refuse to replace a user's file without --force (call it before any slow work)."""
    from planner._writefile import refuse_overwrite

    try:
        refuse_overwrite(output, force)
    except InputError as err:
        if str(err).endswith("it is a folder"):
            raise InputError(f"{output} is a folder; give a file name for -o") from None
        raise


def write_text(output: Path, text: str) -> None:
    """Write `text` to `output` (a new file renamed into place: never through a symlink)."""
    from planner._writefile import write_output

    write_output(output, text)


def deliver(text: str, output: Path | None, summary: str) -> None:
    """Print `text`, or write it to `output` and print the one-line `summary` on stdout.

    `summary` says what the file holds ("plan 1a2b: $81.27/h, 3 allocations"); the path is
    added. `text` must already be in the chosen format.
    """
    if output is None:
        typer.echo(text, nl=not text.endswith("\n") and bool(text))
        return
    write_text(output, text if text.endswith("\n") else text + "\n")
    typer.echo(f"Wrote {summary} to {output}")


def to_json(data: Any) -> str:
    """JSON as every verb writes it: indented, keys in their given order, a final newline."""
    return json.dumps(data, indent=2, default=str) + "\n"


def console_text(text: str) -> str:
    """Text meant for a terminal, as the console would show it (no escape sequence, no
    credential: `planner.safe_text.safe`), for a table or text written to a file with -o: the
    file is read in a terminal too (`cat`, `less -R`)."""
    from planner.safe_text import safe

    return safe(text)


# --- errors --------------------------------------------------------------------------------


def error_object(message: str, code: int, kind: str | None = None) -> dict[str, Any]:
    """The JSON shape of an error (planner.render.as_json.error_object)."""
    from planner.render.as_json import error_object as shaped

    return shaped(message, code, kind)


def print_error_json(message: str, code: int, kind: str | None = None) -> None:
    sys.stdout.write(to_json(error_object(message, code, kind)))
    sys.stdout.flush()


# --- tables --------------------------------------------------------------------------------


def table_width() -> int | None:
    """The width tables must fit: a terminal's (COLUMNS when set), else None: a file or a pipe
    gets rows as wide as they need, so scripts and grep see one row per line. (rich's
    TTY_COMPATIBLE=1 makes a pipe count as a terminal, e.g. to check the 80-column layout.)"""
    probe = console()
    return probe.width if probe.is_terminal else None


def rows_text(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str = "table",
    title: str | None = None,
    optional: Sequence[str] = (),
) -> str:
    """`rows` as table (fitting the terminal), JSON or CSV text."""
    from planner.render.layout import rows_text as layout

    width = table_width() if str(fmt) not in ("json", "csv") else None
    return layout(rows, columns, str(fmt), title, optional, width)


# --- the options every verb names the same way ---------------------------------------------


def output_option(what: str = "the result in --format") -> Any:
    """`-o/--output FILE`: `what` goes to FILE and stdout gets one summary line."""
    return typer.Option(
        None,
        "-o",
        "--output",
        metavar="FILE",
        help=f"Write {what} to FILE; stdout gets one summary line.",
    )


def force_option() -> Any:
    """`--force`: replace an existing output file (never done without it)."""
    return typer.Option(False, "--force", help="Overwrite an existing --output file.")


# --- -o FILE for verbs whose result is what they print ------------------------------------

OUTPUT_FILE_HELP = (
    "Write the result in --format to FILE (without --format: by its suffix); stdout gets one "
    "summary line."
)


def file_option() -> Any:
    """`-o/--output FILE` of a verb whose result is what it prints (see `printed`)."""
    return typer.Option(None, "-o", "--output", metavar="FILE", help=OUTPUT_FILE_HELP)


def format_option(kind: type[enum.StrEnum], default: str, help: str = "Output format.") -> Any:
    """`--format` of a verb that also takes -o FILE: left out, FILE's suffix picks the format
    (when the verb has it), else `default`."""
    return typer.Option(
        None, "--format", metavar=metavar(kind), help=f"{help}  [default: {default}]"
    )


def chosen(fmt: Any, output: Path | None, kind: type[enum.StrEnum], default: str) -> Any:
    """The format to print or write: --format, else -o FILE's suffix when `kind` has it, else
    `default`."""
    return kind(resolve_format(fmt, output, [str(m.value) for m in kind], default, default))


def printed(
    result: Any, fmt: Any, output: Path | None, force: bool, what: str, kind: str | None = None
) -> None:
    """Print `result` in `fmt` (planner.render), or with -o FILE write it there (never over a
    file without --force) and print `Wrote <what> (<format>) to FILE` on stdout."""
    if output is not None:
        guard_output(output, force)
    name = str(fmt.value if isinstance(fmt, enum.Enum) else fmt)
    show(result, fmt, output, f"{what} ({name})", kind=kind)
