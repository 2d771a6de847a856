"""Tasks that fail on purpose, for the executor tests (importable by worker processes, which
have the project on their path, as `tests.sweep_faults`)."""

from __future__ import annotations

from pathlib import Path


def flaky(folder: str, item: str) -> str:
    """'always' raises every time; 'once' raises on its first attempt only; others succeed."""
    if item == "always":
        raise RuntimeError(f"{item} fails")
    if item == "once":
        marker = Path(folder) / "once-tried"
        if not marker.exists():
            marker.write_text("tried")
            raise RuntimeError("first attempt fails")
    return item.upper()
