"""What the CLI needs of the click that typer runs on. Typer 0.29 carries its own trimmed copy
(`typer._click`), whose parameters describe their type by annotation (`type_descriptor`) rather
than by click types; these helpers read either."""

from __future__ import annotations

import enum
import typing
from pathlib import Path
from typing import Any

from typer import _click as click
from typer._click import exceptions
from typer._click.globals import get_current_context

UsageError = exceptions.UsageError
ClickException = exceptions.ClickException
NoArgsIsHelpError = exceptions.NoArgsIsHelpError


def is_group(command: Any) -> bool:
    return isinstance(getattr(command, "commands", None), dict)


def is_option(param: Any) -> bool:
    return getattr(param, "param_type_name", "") == "option"


def annotation(param: Any) -> Any:
    """The parameter's Python type, list[...] and Optional removed."""
    found = getattr(getattr(param, "type_descriptor", None), "annotation", str)
    while True:
        origin = typing.get_origin(found)
        args = [a for a in typing.get_args(found) if a is not type(None)]
        if origin in (list, tuple, typing.Union) or str(origin) == "<class 'types.UnionType'>":
            found = args[0] if args else str
            continue
        return found


def convert(param: Any, value: Any) -> Any:
    """`value` as the option would take it from the command line; ValueError says why not."""
    kind = annotation(param)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        allowed = [str(m.value) for m in kind]
        if str(value) not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return str(value)
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{value!r} is not true or false")
    if kind in (int, float):
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a number")
        try:
            number = kind(value)
        except (TypeError, ValueError):
            what = "a whole number" if kind is int else "a number"
            raise ValueError(f"{value!r} is not {what}") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"{value!r} is not a finite number")
        return number
    if isinstance(value, (dict, list)):
        raise ValueError("expected a value, got a table or a list")
    if kind is Path:
        return str(value)
    return str(value)


__all__ = [
    "ClickException",
    "NoArgsIsHelpError",
    "UsageError",
    "click",
    "get_current_context",
]
