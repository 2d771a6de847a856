"""What launchers share: the API calls they plan, what they did, and undoing a failed run."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    """One API call a launcher would make: which service, where, which operation, with what."""

    service: str
    region: str
    operation: str
    body: dict[str, Any]

    def describe(self) -> str:
        """The call as a heading line and its body as sorted JSON."""
        return f"{self.service} {self.region} {self.operation}\n" + json.dumps(
            self.body, indent=2, sort_keys=True
        )


@dataclass
class Report:
    """What a launch or teardown did, one line per resource."""

    lines: list[str] = field(default_factory=list)
    changes: int = 0

    def changed(self, text: str) -> None:
        self.lines.append(text)
        self.changes += 1

    def same(self, text: str) -> None:
        self.lines.append(text)


@dataclass
class Undo:
    """Steps that undo what this run made, run newest first when the run fails."""

    steps: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)

    def push(self, what: str, step: Callable[[], Any]) -> None:
        self.steps.append((what, step))

    def run(self) -> tuple[list[str], list[str]]:
        """Undo everything; return what was undone and what could not be (with why)."""
        done, failed = [], []
        for what, step in reversed(self.steps):
            try:
                step()
                done.append(what)
            except Exception as err:  # every step is tried, whatever one of them raises
                failed.append(f"{what}: {err}")
        self.steps.clear()
        return done, failed


def failure_message(action: str, err: Exception, undo: Undo) -> str:
    """The error to show when a run fails midway: what failed and what was rolled back."""
    done, failed = undo.run()
    text = f"{action} failed: {err}."
    text += f" Rolled back: {'; '.join(done)}." if done else " Nothing had been made yet."
    if failed:
        text += f" Could NOT roll back (clean up by hand): {'; '.join(failed)}."
    return text
