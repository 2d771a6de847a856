"""Renderers: one registry of (result kind, format) -> text, and one `Format` for every verb.

A renderer is registered in the module of its format (`as_table`, `as_text`, `as_json`,
`as_yaml`, `as_markdown`, `as_html`, `as_focus_csv`, `as_script`) with
`@renderer(kind, Format.x)`, where
`kind` is the result's class name (`Plan`, `Verification`, `Diff`, `SweepRun` ...) or a name a
verb asks for by `kind=` (`Frontier`: a Plan shown as its frontier). So adding a format to a verb
is one function in that format's module, and a new format is one new module here (and its member
of `Format`). Every module here is imported on the first lookup, never at start-up; modules
import what they render with lazily too.

    text = render(plan, Format.md)                  # as planner plan --format md prints it
    formats("Plan")                                 # (table, json, yaml, md)
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
from collections.abc import Callable
from typing import Any


class Format(enum.StrEnum):
    """Every output format of every verb (each verb offers those it has renderers for)."""

    table = "table"
    text = "text"
    script = "script"
    json = "json"
    yaml = "yaml"
    md = "md"
    html = "html"
    csv = "csv"
    focus_csv = "focus-csv"


SUFFIXES: dict[str, Format] = {
    ".json": Format.json,
    ".md": Format.md,
    ".markdown": Format.md,
    ".yaml": Format.yaml,
    ".yml": Format.yaml,
    ".csv": Format.csv,
    ".html": Format.html,
    ".htm": Format.html,
    ".txt": Format.table,
}
"""The format an output file's suffix asks for, when --format is not given."""

CONSOLE = frozenset({Format.table, Format.text})
"""Formats meant for a terminal: made as safe as the console makes them when written to a file."""

Renderer = Callable[..., str]
_REGISTRY: dict[tuple[str, Format], Renderer] = {}
_loaded = False


def renderer(kind: str, fmt: Format) -> Callable[[Renderer], Renderer]:
    """Register the decorated function as the `fmt` renderer of results of `kind`. It is called
    as `function(result, width=..., **context)` and returns the text, newline-terminated."""

    def register(function: Renderer) -> Renderer:
        if (kind, fmt) in _REGISTRY:
            raise ValueError(f"two renderers for {kind} as {fmt}")
        _REGISTRY[(kind, fmt)] = function
        return function

    return register


def _load() -> None:
    global _loaded
    if _loaded:
        return
    import planner.render as package

    for module in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
        if module.startswith("as_"):
            importlib.import_module(f"planner.render.{module}")
    _loaded = True


def formats(kind: str) -> tuple[Format, ...]:
    """The formats results of `kind` can be rendered in, in `Format`'s order."""
    _load()
    return tuple(f for f in Format if (kind, f) in _REGISTRY)


def render(
    result: Any, fmt: Format | str, *, kind: str | None = None, width: int | None = None, **context
) -> str:
    """`result` as text in `fmt`; tables and prose fit `width` columns (None: a file or a pipe,
    as wide as they need). `kind` defaults to the result's class name; `context` is what a
    renderer needs beyond the result (named by the renderer)."""
    _load()
    name = kind or type(result).__name__
    found = _REGISTRY.get((name, Format(fmt)))
    if found is None:
        offered = ", ".join(formats(name)) or "none"
        raise ValueError(f"no {fmt} renderer for {name} (it has: {offered})")
    return found(result, width=width, **context)
