"""What launchers share: the API calls they plan, what they did, undoing a failed run, and
keeping credentials out of everything they print."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from planner.emit.render import render
from planner.errors import InputError, PlannerError
from planner.safe_text import redact


@dataclass(frozen=True)
class Call:
    """One API call a launcher would make: which service, where, which operation, with what."""

    service: str
    region: str
    operation: str
    body: dict[str, Any]

    def describe(self) -> str:
        """The call as a heading line and its body as sorted JSON (credentials hidden)."""
        return redact(
            f"{self.service} {self.region} {self.operation}\n"
            + json.dumps(self.body, indent=2, sort_keys=True)
        )


@dataclass
class Report:
    """What a launch or teardown did, one line per resource."""

    lines: list[str] = field(default_factory=list)
    changes: int = 0

    def changed(self, text: str) -> None:
        self.lines.append(redact(text))
        self.changes += 1

    def same(self, text: str) -> None:
        self.lines.append(redact(text))


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
    return redact(text)


def failed(err: Exception) -> type[PlannerError]:
    """The error class a failed run raises for `err`: an answer or input the planner refused
    (an InputError, such as a server's malformed answer) keeps exit 2; anything else exits 1."""
    return InputError if isinstance(err, InputError) else PlannerError


def calls_by_endpoint(resources) -> list[tuple[str, str, dict[str, list[Any]]]]:
    """Rendered API request bodies grouped per endpoint: (workload, region, {operation: bodies}),
    in the emitter's order. Launchers send exactly what `planner emit` writes."""
    groups: dict[tuple[str, int], dict[str, list[Any]]] = {}
    regions: dict[tuple[str, int], str] = {}
    for resource in resources:
        operation = resource.meta["operation"]
        if not operation:
            continue
        key = (resource.workload, resource.index)
        regions[key] = resource.meta["region"]
        groups.setdefault(key, {}).setdefault(operation, []).append(render(resource).data)
    return [(key[0], regions[key], ops) for key, ops in groups.items()]
