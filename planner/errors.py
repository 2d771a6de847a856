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
