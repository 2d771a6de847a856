"""Where the files shipped with the planner live, in a source checkout and an installed wheel."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def templates_dir() -> Path:
    """The Jinja2 templates folder: planner/templates in a wheel, ./templates in a checkout."""
    for candidate in (_HERE / "templates", _HERE.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the planner's templates folder is missing from this installation")
