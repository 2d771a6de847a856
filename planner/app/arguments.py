"""Every public use case checks its arguments at the door, the same way: `@checked` reads the
function's own annotations and refuses, with an ArgumentError (exit 2, and a TypeError for
Python callers) naming the function and the argument, what is not of an annotated type.

- A number is a number (never a boolean, never a string), finite and inside its range: the one
  given to `@checked`, else 0 up to MAX_INT / MAX_FLOAT (the CLI's own limits); a whole number
  is an int (2.7 is refused, never truncated).
- A file name is a string or a path; a list of file names is a list (one string is one name).
- An object of the planner's (a Plan, a Spec, a Catalog ...) is accepted as it is.
- An annotation the checker does not know is left to the function.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import inspect
import math
import os
from collections.abc import Callable
from typing import Any, TypeVar

from planner.errors import ArgumentError

MAX_INT = 10**9
MAX_FLOAT = 1e12
"""Largest value of a number argument with no range of its own (as on the command line)."""

F = TypeVar("F", bound=Callable[..., Any])

CLASSES = {
    "Plan": "planner.plans",
    "Spec": "planner.spec",
    "Catalog": "planner.catalog",
    "Profiles": "planner.perf",
    "PerfSettings": "planner.perf",
    "Observation": "planner.observe.model",
    "Accounts": "planner.report.focus",
    "Deadline": "planner.clock",
}
"""Where the planner's own types named in the use cases' annotations live (imported only when
a value is none of the plain types an annotation allows)."""


def _atoms(annotation: Any) -> list[str] | None:
    """The alternatives of a string annotation ('Plan | PathLike | None'), or None when it is
    not one the checker reads."""
    if not isinstance(annotation, str):
        return None
    atoms = [a.strip() for a in annotation.split("|")]
    return atoms if all(_known(a) for a in atoms) else None


_PLAIN = {"None", "int", "float", "bool", "str", "PathLike", "os.PathLike[str]", "dt.date",
          "dt.datetime"}  # fmt: skip
_LISTS = {"Sequence[PathLike]", "Sequence[str]"}


def _known(atom: str) -> bool:
    return atom in _PLAIN or atom in _LISTS or atom in CLASSES or atom.startswith("Callable[")


def _matches(atom: str, value: Any) -> bool:
    if atom == "None":
        return value is None
    if atom == "bool":
        return isinstance(value, bool)
    if atom == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if atom == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if atom == "str":
        return isinstance(value, str)
    if atom in ("PathLike", "os.PathLike[str]"):
        return isinstance(value, str | os.PathLike)
    if atom == "dt.datetime":
        return isinstance(value, dt.datetime)
    if atom == "dt.date":
        return isinstance(value, dt.date)
    if atom in _LISTS:
        return isinstance(value, list | tuple) and all(
            isinstance(item, str | os.PathLike) for item in value
        )
    if atom.startswith("Callable["):
        return callable(value)
    module = importlib.import_module(CLASSES[atom])
    return isinstance(value, getattr(module, atom))


_WORDS = {
    "None": "None",
    "bool": "True or False",
    "int": "a whole number",
    "float": "a number",
    "str": "a string",
    "PathLike": "a file name",
    "os.PathLike[str]": "a file name",
    "dt.date": "a date",
    "dt.datetime": "a time",
    "Sequence[PathLike]": "a list of file names",
    "Sequence[str]": "a list of strings",
}


def _expected(atoms: list[str]) -> str:
    words = [
        _WORDS.get(a, "a function" if a.startswith("Callable[") else _article(a)) for a in atoms
    ]
    unique = list(dict.fromkeys(words))
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " or " + unique[-1]


def _article(name: str) -> str:
    return f"an {name}" if name[0] in "AEIOU" else f"a {name}"


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _shown(value: Any) -> str:
    text = (
        repr(value)
        if value is None or isinstance(value, int | float | str)
        else type(value).__name__
    )
    return text if len(text) <= 60 else text[:57] + "..."


def _check(function: str, name: str, atoms: list[str], span: tuple[float, float] | None,
           value: Any) -> None:  # fmt: skip
    if not any(_matches(atom, value) for atom in atoms):
        raise ArgumentError(f"{function}(): {name} must be {_expected(atoms)}, not {_shown(value)}")
    number = ("int" in atoms or "float" in atoms) and _matches("float", value)
    if not number:
        return
    whole = "float" not in atoms
    low, high = span or (0, MAX_INT if whole else MAX_FLOAT)
    if (isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high:
        raise ArgumentError(
            f"{function}(): {name} must be {'a whole number' if whole else 'a number'} "
            f"from {_number(low)} to {_number(high)}, not {_shown(value)}"
        )


def checked(**ranges: tuple[float, float]) -> Callable[[F], F]:
    """Check the arguments of a public use case against its annotations (and `ranges`, the
    (least, most) of its number arguments that are not 0 up to MAX_INT / MAX_FLOAT)."""

    def wrap(function: F) -> F:
        signature = inspect.signature(function)
        rules = {
            name: atoms
            for name, param in signature.parameters.items()
            if (atoms := _atoms(param.annotation)) is not None
        }
        unknown = set(ranges) - set(rules)
        if unknown:
            raise ValueError(f"{function.__name__}: no checked argument {sorted(unknown)}")
        name = function.__name__

        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:  # the arguments given are checked before any missing one is reported
                given = signature.bind_partial(*args, **kwargs)
            except TypeError as err:
                raise ArgumentError(f"{name}(): {err}") from None
            for argument, value in given.arguments.items():
                if argument in rules:
                    _check(name, argument, rules[argument], ranges.get(argument), value)
            try:
                signature.bind(*args, **kwargs)
            except TypeError as err:
                raise ArgumentError(f"{name}(): {err}") from None
            return function(*args, **kwargs)

        return call  # type: ignore[return-value]

    return wrap
