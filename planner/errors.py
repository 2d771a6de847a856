"""Errors the planner reports to users: a message and the CLI exit code that goes with it."""

from __future__ import annotations


class PlannerError(Exception):
    """An error with a user-facing message; the CLI prints it (no traceback) and exits."""

    exit_code = 1


class InputError(PlannerError):
    """Invalid user input (a spec, catalog or option): exit code 2."""

    exit_code = 2


class MissingExtraError(InputError):
    """A verb needs an optional dependency that is not installed: exit code 2, naming the extra."""


class InfeasibleError(PlannerError):
    """No plan satisfies the constraints: exit code 3."""

    exit_code = 3


class OutOfTime(PlannerError):
    """The time limit passed before any plan was found: exit code 1 (see `out_of_time`)."""

    exit_code = 1


def out_of_time(limit_s: float) -> OutOfTime:
    """The error for a time limit of `limit_s` seconds that passed before any plan was found."""
    return OutOfTime(
        f"No plan found within the {limit_s:g} s time limit; "
        "raise --time-limit or simplify the spec"
    )


class PlanRejected(PlannerError):
    """A readable plan file whose figures do not follow from its allocations, or that was made
    for another spec: exit code 1 (a file that is not a plan at all is an InputError, exit 2)."""

    exit_code = 1


MAX_LISTED = 20
"""Most items a message lists before it says how many more there are."""


def listing(items: list[str] | tuple[str, ...], limit: int = MAX_LISTED) -> str:
    """`a, b, c` or `a, b, ... and 9,998 more`: a message never lists thousands of items."""
    items = list(items)
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f", ... and {len(items) - limit:,} more"


class ArgumentError(InputError, TypeError):
    """A public function was called with an argument it cannot use (wrong type or value); a
    TypeError too, so Python callers may catch either."""


def text_argument(value: object, function: str, name: str) -> str:
    """`value` when it is a string; ArgumentError naming the function and argument otherwise."""
    if not isinstance(value, str):
        raise ArgumentError(f"{function}(): {name} must be a string, not {type(value).__name__}")
    return value


def names_argument(value: object, function: str, name: str) -> tuple[str, ...]:
    """A string or path, or an iterable of them, as a tuple of strings (one string is one name,
    never its letters); ArgumentError naming the function and argument otherwise."""
    import os

    if value is None:
        return ()
    if isinstance(value, (str, os.PathLike)):
        return (os.fspath(value),)  # type: ignore[return-value]
    if isinstance(value, (bytes, dict)) or not hasattr(value, "__iter__"):
        raise ArgumentError(
            f"{function}(): {name} must be a string or a list of strings, "
            f"not {type(value).__name__}"
        )
    out = []
    for item in value:  # type: ignore[attr-defined]
        if not isinstance(item, (str, os.PathLike)):
            raise ArgumentError(
                f"{function}(): every item of {name} must be a string, not {type(item).__name__}"
            )
        out.append(os.fspath(item))
    return tuple(out)  # type: ignore[arg-type]
