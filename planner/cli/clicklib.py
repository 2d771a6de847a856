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
        return number(param, value)
    if isinstance(value, (dict, list)):
        raise ValueError("expected a value, got a table or a list")
    if kind is Path:
        return str(value)
    return str(value)


DAY_S = 86_400.0
NAMED_RANGES: dict[str, tuple[float, float]] = {
    "time_limit": (0.0, 7 * DAY_S),
    "timeout": (0.0, 7 * DAY_S),
    "poll": (0.1, DAY_S),
    "quantum": (1e-3, DAY_S),
    "gap": (0.0, 1.0),
    "coverage": (0.0, 1.0),
    "high_share": (0.0, 1.0),
    "workers": (1, 1024),
    "retries": (0, 100),
    "seed": (0, 2**32 - 1),
}
"""The range of options that share a name and a meaning across verbs (seconds, shares)."""
MAX_INT_OPTION = 10**9
MAX_FLOAT_OPTION = 1e12
"""The largest value of a numeric option with no range of its own: above any count, price or
duration a plan holds, far below where arithmetic on it overflows."""
MAX_NUMBER_TEXT = 40
"""Most characters of a number on the command line, in the environment or in planner.toml."""


def bounds(param: Any) -> tuple[float, float]:
    """The (least, most) values a numeric option accepts: its declared min/max, else the range
    of its name, else 0 up to MAX_INT_OPTION / MAX_FLOAT_OPTION."""
    kind = annotation(param)
    info = getattr(getattr(param, "type_descriptor", None), "parameter_info", None)
    low, high = NAMED_RANGES.get(
        param.name or "", (0, MAX_INT_OPTION if kind is int else MAX_FLOAT_OPTION)
    )
    declared_low = getattr(info, "min", None)
    declared_high = getattr(info, "max", None)
    return (
        low if declared_low is None else declared_low,
        high if declared_high is None else declared_high,
    )


def number(param: Any, value: Any) -> int | float | None:
    """`value` as the numeric option `param` takes it: finite, inside `bounds(param)`, and for
    a whole-number option a whole number (2.7 is refused, never truncated). ValueError says why
    not. Every numeric option goes through here, whether the value came from a flag, a
    `PLANNER_*` variable or planner.toml."""
    if value is None:
        return None
    kind = annotation(param)
    what = "a whole number" if kind is int else "a number"
    if isinstance(value, (bool, dict, list, tuple)):
        raise ValueError(f"{_shown(value)} is not {what}")
    text = str(value).strip()
    if len(text) > MAX_NUMBER_TEXT:
        raise ValueError(f"a number of {len(text):,} characters is not {what} this option takes")
    try:
        found = float(text)
    except ValueError:
        raise ValueError(f"{_shown(value)} is not {what}") from None
    if found != found or found in (float("inf"), float("-inf")):
        raise ValueError(f"{_shown(value)} is not a finite number")
    result: int | float = found
    if kind is int:
        if not found.is_integer():
            raise ValueError(f"{_shown(value)} is not a whole number")
        result = int(text) if text.lstrip("+-").isdigit() else int(found)
    low, high = bounds(param)
    if not low <= result <= high:
        raise ValueError(f"{_shown(value)} is outside {low:g} to {high:g}")
    return result


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def checked_numbers(command: Any) -> None:
    """Make every numeric option of `command` (and its sub-commands) go through `number` after
    click converted it, with a usage error (exit 2) naming the option when it does not pass."""
    for param in command.params:
        if annotation(param) in (int, float) and not getattr(param, "_numbers_checked", False):
            param.process_value = _checking(param, param.process_value)
            param._numbers_checked = True
    if is_group(command):
        for sub in command.commands.values():
            checked_numbers(sub)


def _checking(param: Any, process: Any) -> Any:
    def process_value(ctx: Any, value: Any) -> Any:
        value = process(ctx, value)
        try:
            if isinstance(value, (list, tuple)):
                return type(value)(number(param, v) for v in value)
            return number(param, value)
        except ValueError as err:
            raise exceptions.BadParameter(str(err), ctx=ctx, param=param) from None

    return process_value


__all__ = [
    "ClickException",
    "NoArgsIsHelpError",
    "UsageError",
    "click",
    "get_current_context",
]
