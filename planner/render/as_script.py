"""Script: what a shell sources (the completion script of `planner completion SHELL`)."""

from __future__ import annotations

from planner.render import Format, renderer


@renderer("CompletionScript", Format.script)
def completion(result, *, width=None) -> str:
    return result.script if result.script.endswith("\n") else result.script + "\n"
