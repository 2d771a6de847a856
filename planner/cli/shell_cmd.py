"""`planner completion SHELL` (the shell's completion script) and `planner config show` (the
defaults in force and where each came from)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

import typer

from planner.cli.output import (
    choices,
    chosen,
    file_option,
    force_option,
    format_option,
    guard_output,
    printed,
)
from planner.cli.params import PlannerCommand

COMPLETE_VAR = "_PLANNER_COMPLETE"


class Shell(enum.StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"


@dataclass(frozen=True)
class CompletionScript:
    """A shell's completion script for planner."""

    shell: str
    script: str


CompletionFormat = choices("CompletionScript")


def completion(
    shell: Shell = typer.Argument(..., help="bash, zsh, fish or powershell."),
    fmt: CompletionFormat = format_option(
        CompletionFormat, "script", "script, or json ({shell, script})."
    ),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """Print the shell completion script.

    bash: eval "$(planner completion bash)" (or save it under
    ~/.local/share/bash-completion/completions/planner); zsh: planner completion zsh >
    "${fpath[1]}/_planner"; fish: planner completion fish > ~/.config/fish/completions/planner.fish.
    """
    from typer.completion import completion_init, get_completion_script

    fmt = chosen(fmt, output, CompletionFormat, "script")
    guard_output(output, force)
    completion_init()
    script = get_completion_script(prog_name="planner", complete_var=COMPLETE_VAR, shell=shell)
    printed(CompletionScript(shell.value, script), fmt, output, force, "the completion script")


config_app = typer.Typer(
    help="The defaults in force: planner.toml / [tool.planner] and PLANNER_* variables.",
    no_args_is_help=True,
)

ShowFormat = choices("Defaults")


@config_app.command("show", cls=PlannerCommand)
def show(
    fmt: ShowFormat = format_option(ShowFormat, "table"),
    output: Path = file_option(),
    force: bool = force_option(),
) -> None:
    """Print each default set by the config file or the environment, and where it came from.

    Precedence: a flag > PLANNER_* environment variables > the config file > built-in defaults.
    """
    from planner.cli.config import defaults

    fmt = chosen(fmt, output, ShowFormat, "table")
    printed(defaults(), fmt, output, force, "the defaults in force")


def register(app: typer.Typer) -> None:
    app.command(cls=PlannerCommand)(completion)
    app.add_typer(config_app, name="config")
