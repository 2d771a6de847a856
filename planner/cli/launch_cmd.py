"""`planner launch` and `planner teardown`: make or delete a plan's managed endpoints through the
launcher of the cloud's provider (providers/<cloud>; a cloud without one exits 2 naming it).

Both are dry runs unless --apply is given: they print the API calls, with their bodies. --apply
asks for confirmation unless --yes is given (a stdin that is not a terminal without --yes: exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

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
from planner.cli.params import PlannerCommand, number
from planner.errors import InputError

PLAN_HELP = "Plan JSON (planner plan --format json -o FILE)."
TARGET_HELP = (
    "A cloud provider's launch target, or the cloud's name; a cloud without a launcher "
    "exits 2 naming it."
)
ENDPOINT_URL_HELP = (
    "The target's API endpoint: SageMaker/Auto Scaling URL (e.g. a local moto server)."
)
API_ENDPOINT_HELP = "Vertex AI API endpoint (default: REGION-aiplatform.googleapis.com)."


YES_HELP = (
    "With --apply: do not ask for confirmation (for CI; without it a stdin that is not a "
    "terminal exits 2)."
)
LaunchFormat = choices("LaunchCalls")
FORMAT_HELP = "text or json (the calls with their bodies, or what --apply did)."

# what launch and teardown share: the plan, the target and how to reach it
LaunchPlan = Annotated[Path, typer.Argument(help=PLAN_HELP)]
Target = Annotated[str, typer.Option("--target", "-t", metavar="TEXT", help=TARGET_HELP)]
Apply = Annotated[bool, typer.Option("--apply", help="Make the calls (default: dry run).")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help=YES_HELP)]
EndpointUrl = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        metavar="URL",
        envvar="PLANNER_AWS_ENDPOINT_URL",
        help=ENDPOINT_URL_HELP,
    ),
]
ApiEndpoint = Annotated[
    str | None,
    typer.Option(
        "--api-endpoint",
        metavar="TEXT",
        envvar="PLANNER_VERTEX_API_ENDPOINT",
        help=API_ENDPOINT_HELP,
    ),
]
Project = Annotated[
    str | None,
    typer.Option(
        "--project", metavar="TEXT", envvar="GOOGLE_CLOUD_PROJECT", help="Google Cloud project."
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display while waiting.")]


class _Waiting:
    """A spinner on stderr with the elapsed time and each endpoint's last status."""

    def __init__(self, what: str, quiet: bool):
        from planner.cli.output import console, progress_enabled

        self.bar = None
        if progress_enabled(quiet):
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console(stderr=True),
                transient=True,
            )
            self.task = self.bar.add_task(what, total=None)
        self.what = what

    def __enter__(self):
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()

    def poll(self, name: str, state: str) -> None:
        if self.bar is not None:
            self.bar.update(self.task, description=f"{self.what}: endpoint {name} is {state}")


def _confirm(verb: str, plan, where: str, yes: bool) -> None:
    """Ask before --apply changes a cloud account (as Terraform and SkyPilot do): --yes skips
    the question; with no terminal to ask on, exit 2 rather than act unasked."""
    if yes:
        return
    what = "create or update" if verb == "launch" else "delete"
    endpoints = len({a.workload for a in plan.allocations})
    if not sys.stdin.isatty():
        raise InputError(
            f"{verb} --apply would {what} the endpoints of plan {plan.plan_id} on {where}; "
            "stdin is not a terminal to confirm on: pass --yes to go ahead"
        )
    if not typer.confirm(
        f"{verb} --apply: {what} the endpoints of {endpoints} workload(s) of plan "
        f"{plan.plan_id} on {where}?",
        default=False,
        err=True,
    ):
        typer.echo("Nothing was done.", err=True)
        raise typer.Exit(1)


def _run(verb, target, apply: bool, yes: bool, fmt, output, force, quiet: bool) -> None:
    """The calls `verb` makes for `target` (dry run), or make them (--apply)."""
    from planner.app.launching import launch_apply, launch_calls

    guard_output(output, force)
    if not apply:
        printed(launch_calls(target, verb), fmt, output, force, f"the {verb} calls")
        return
    _confirm(verb, target.plan, target.title, yes)
    doing = "launching" if verb == "launch" else "tearing down"
    with _Waiting(f"{doing} on {target.title}", quiet) as shown:
        found = launch_apply(target, verb, shown.poll)
    printed(found, fmt, output, force, f"the {verb} calls")


def launch(
    plan_file: LaunchPlan,
    target: Target = ...,
    apply: Apply = False,
    yes: Yes = False,
    endpoint_url: EndpointUrl = None,
    api_endpoint: ApiEndpoint = None,
    project: Project = None,
    role_arn: str = typer.Option(
        None,
        "--execution-role-arn",
        metavar="TEXT",
        help="SageMaker execution role (overrides the plan's).",
    ),
    timeout: float = number(float, 1800.0, "--timeout", help="Seconds to wait per endpoint."),
    poll: float = number(float, 15.0, "--poll", help="Seconds between status checks."),
    fmt: LaunchFormat = format_option(LaunchFormat, "text", FORMAT_HELP),
    output: Path = file_option(),
    force: bool = force_option(),
    quiet: Quiet = False,
) -> None:
    """Print (dry run) or make (--apply) the plan's endpoints; idempotent, all or nothing."""
    from planner.app.launching import launch_target

    fmt = chosen(fmt, output, LaunchFormat, "text")
    target = launch_target(
        plan_file, target, endpoint_url=endpoint_url, api_endpoint=api_endpoint,
        project=project, role_arn=role_arn, timeout_s=timeout, poll_s=poll,
    )  # fmt: skip
    _run("launch", target, apply, yes, fmt, output, force, quiet)


def teardown(
    plan_file: LaunchPlan,
    target: Target = ...,
    apply: Apply = False,
    yes: Yes = False,
    endpoint_url: EndpointUrl = None,
    api_endpoint: ApiEndpoint = None,
    project: Project = None,
    timeout: float = number(float, 1800.0, "--timeout", help="Seconds to wait per operation."),
    fmt: LaunchFormat = format_option(LaunchFormat, "text", FORMAT_HELP),
    output: Path = file_option(),
    force: bool = force_option(),
    quiet: Quiet = False,
) -> None:
    """Print (dry run) or delete (--apply) what `planner launch` made for this plan."""
    from planner.app.launching import launch_target

    fmt = chosen(fmt, output, LaunchFormat, "text")
    target = launch_target(
        plan_file, target, endpoint_url=endpoint_url, api_endpoint=api_endpoint,
        project=project, timeout_s=timeout,
    )  # fmt: skip
    _run("teardown", target, apply, yes, fmt, output, force, quiet)


def register(app: typer.Typer) -> None:
    app.command(cls=PlannerCommand)(launch)
    app.command(cls=PlannerCommand)(teardown)
