"""What every verb's options share, declared through typer's public API.

- Numbers: `number(kind, default, "--name", ...)` is a `typer.Option` whose `parser=` is a
  `Number`: finite, inside the option's range, a whole number for `int` (2.7 is refused, never
  truncated), at most `MAX_NUMBER_TEXT` characters. typer runs the parser on a flag, on a
  `PLANNER_*` variable and on a planner.toml value alike (click's default_map), and a refusal is
  a usage error (exit 2) naming the option.
- `PlannerCommand`: the command class of every verb (`cls=`), which shows arguments by their
  placeholder (`PLAN`, `FILES...`), never typer's `{PLAN}` or `<path>`, and fills the
  cloud registry's names into help texts (`CLOUDS_HELP`, `SERVICES_HELP`) when help is shown:
  the registry loads every cloud, which starting the CLI need not do.
"""

from __future__ import annotations

import math
from typing import Any

import typer
from typer.core import TyperCommand

DAY_S = 86_400.0
NAMED_RANGES: dict[str, tuple[float, float]] = {
    "--time-limit": (0.0, 7 * DAY_S),
    "--timeout": (0.0, 7 * DAY_S),
    "--poll": (0.1, DAY_S),
    "--quantum-s": (1e-3, DAY_S),
    "--gap": (0.0, 1.0),
    "--coverage": (0.0, 1.0),
    "--high-priority-share": (0.0, 1.0),
    "--workers": (1, 1024),
    "--retries": (0, 100),
    "--seed": (0, 2**32 - 1),
}
"""The range of options that share a name and a meaning across verbs (seconds, shares)."""
MAX_INT_OPTION = 10**9
MAX_FLOAT_OPTION = 1e12
"""The largest value of a numeric option with no range of its own: above any count, price or
duration a plan holds, far below where arithmetic on it overflows."""
MAX_NUMBER_TEXT = 40
"""Most characters of a number on the command line, in the environment or in planner.toml."""


class Number:
    """A numeric option's parser (typer's `parser=`): `Number(int, 1, 64)("8") == 8`."""

    def __init__(self, kind: type, low: float, high: float) -> None:
        self.kind, self.low, self.high = kind, low, high

    def __repr__(self) -> str:
        return f"Number({self.kind.__name__}, {self.low:g}, {self.high:g})"

    def __call__(self, value: Any) -> int | float:
        try:
            return self.parse(value)
        except ValueError as err:
            from pydantic_core import PydanticCustomError

            # typer reports what the parser refused as "Invalid value for '--name': <this>"
            raise PydanticCustomError("number", "{reason}", {"reason": str(err)}) from None

    def parse(self, value: Any) -> int | float:
        """`value` as this option takes it; ValueError says why not."""
        what = "a whole number" if self.kind is int else "a number"
        if isinstance(value, (bool, dict, list, tuple)) or value is None:
            raise ValueError(f"{_shown(value)} is not {what}")
        text = str(value).strip()
        if len(text) > MAX_NUMBER_TEXT:
            raise ValueError(
                f"a number of {len(text):,} characters is not {what} this option takes"
            )
        try:
            found = float(text)
        except ValueError:
            raise ValueError(f"{_shown(value)} is not {what}") from None
        if not math.isfinite(found):
            raise ValueError(f"{_shown(value)} is not a finite number")
        result: int | float = found
        if self.kind is int:
            if not found.is_integer():
                raise ValueError(f"{_shown(value)} is not a whole number")
            result = int(text) if text.lstrip("+-").isdigit() else int(found)
        if not self.low <= result <= self.high:
            raise ValueError(f"{_shown(value)} is outside {self.low:g} to {self.high:g}")
        return result


def _shown(value: Any) -> str:
    """A refused value in a message: a number as written, other text quoted."""
    text = str(value).strip()
    try:
        float(text)
    except ValueError:
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def number(
    kind: type,
    default: Any,
    *decls: str,
    min: float | None = None,
    max: float | None = None,
    metavar: str | None = None,
    **options: Any,
) -> Any:
    """A numeric option (`kind` int or float): its range is `min`..`max` where given, else the
    range its name has across verbs (NAMED_RANGES), else 0 up to MAX_INT_OPTION /
    MAX_FLOAT_OPTION."""
    name = next((d for d in decls if d.startswith("--")), "")
    low, high = NAMED_RANGES.get(name, (0, MAX_INT_OPTION if kind is int else MAX_FLOAT_OPTION))
    parser = Number(kind, low if min is None else min, high if max is None else max)
    shown = metavar or ("N" if kind is int else "NUMBER")
    return typer.Option(default, *decls, parser=parser, metavar=shown, **options)


def placeholder(param: Any) -> str:
    """An argument as help and usage show it: its metavar, else its name in capitals without
    `_file(s)` (PLAN, SPEC, FILES...)."""
    if param.metavar:
        return param.metavar
    word = (param.name or "arg").removesuffix("_file").removesuffix("_files").upper()
    return word + ("..." if param.nargs == -1 else "")


CLOUDS_HELP = "{clouds}"
"""Stands in a help text for the registered clouds' names, filled in when help is shown."""
SERVICES_HELP = "{catalog_services}"
"""Stands in a help text for the services a catalog row may name, filled in likewise."""


def registry_help(text: str) -> str:
    """`text` with `CLOUDS_HELP` and `SERVICES_HELP` filled from the cloud registry."""
    if CLOUDS_HELP not in text and SERVICES_HELP not in text:
        return text
    from planner.clouds import catalog_services, cloud_names

    return text.replace(CLOUDS_HELP, ", ".join(cloud_names())).replace(
        SERVICES_HELP, ", ".join(catalog_services())
    )


class PlannerCommand(TyperCommand):
    """A verb: arguments shown by their placeholder in the usage line and under Arguments."""

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                shown = placeholder(param)
                pieces.append(shown if param.required else f"[{shown}]")
        return pieces

    def format_options(self, ctx: typer.Context, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((placeholder(param), record[1]))
            else:
                options.append((record[0], registry_help(record[1])))
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
