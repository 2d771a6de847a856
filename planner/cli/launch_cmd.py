"""`planner launch` and `planner teardown`: make or delete a plan's SageMaker / Vertex AI endpoints.

Both are dry runs unless --apply is given: they print the API calls, with their bodies.
"""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from planner.errors import InputError


class LaunchTarget(enum.StrEnum):
    sagemaker = "sagemaker"
    vertex = "vertex"


PLAN_HELP = "Plan JSON (planner plan --format json -o FILE)."
ENDPOINT_URL_HELP = "SageMaker/Auto Scaling endpoint URL (e.g. a local moto server)."
API_ENDPOINT_HELP = "Vertex AI API endpoint (default: REGION-aiplatform.googleapis.com)."


def _print_calls(calls, verb: str) -> None:
    if not calls:
        typer.echo(f"nothing to {verb}: the plan has no allocations for this target")
        return
    typer.echo(f"Dry run: {len(calls)} call(s) {verb} would make (pass --apply to make them)")
    for number, call in enumerate(calls, 1):
        typer.echo(f"\n# {number}. {call.describe()}")


def _print_report(report, plan_id: str) -> None:
    for line in report.lines:
        typer.echo(line)
    typer.echo(f"plan {plan_id}: {report.changes} change(s)")


def _sagemaker(endpoint_url: str | None, timeout: float, poll: float):
    from providers.aws.sagemaker import SageMakerLauncher, Waiting, boto3_clients

    return SageMakerLauncher(boto3_clients(endpoint_url), Waiting(timeout, poll))


def _vertex(plan, project: str | None, api_endpoint: str | None, timeout: float):
    from providers.gcp.vertex import VertexLauncher, gapic_clients, resolve_project

    return VertexLauncher(
        gapic_clients(api_endpoint), resolve_project(plan, project), timeout_s=timeout
    )


def launch(
    plan_file: Path = typer.Argument(..., help=PLAN_HELP),
    target: LaunchTarget = typer.Option(..., "--target", "-t", help="sagemaker or vertex."),
    apply: bool = typer.Option(False, "--apply", help="Make the calls (default: dry run)."),
    endpoint_url: str = typer.Option(
        None, "--endpoint-url", envvar="PLANNER_AWS_ENDPOINT_URL", help=ENDPOINT_URL_HELP
    ),
    api_endpoint: str = typer.Option(
        None, "--api-endpoint", envvar="PLANNER_VERTEX_API_ENDPOINT", help=API_ENDPOINT_HELP
    ),
    project: str = typer.Option(
        None, "--project", envvar="GOOGLE_CLOUD_PROJECT", help="Google Cloud project."
    ),
    role_arn: str = typer.Option(
        None, "--execution-role-arn", help="SageMaker execution role (overrides the plan's)."
    ),
    timeout: float = typer.Option(1800.0, "--timeout", help="Seconds to wait per endpoint."),
    poll: float = typer.Option(15.0, "--poll", help="Seconds between status checks."),
) -> None:
    """Print (dry run) or make (--apply) the plan's endpoints; idempotent, all or nothing."""
    from planner.plans.io import load_plan
    from planner.spec.grammars import GcpProject, RoleArn, check_option

    if timeout <= 0 or poll <= 0:
        raise InputError("--timeout and --poll must be above 0")
    check_option(project, GcpProject, "--project")
    check_option(role_arn, RoleArn, "--execution-role-arn")
    plan = load_plan(plan_file)
    if target is LaunchTarget.sagemaker:
        if not apply:
            from providers.aws.sagemaker import launch_calls

            _print_calls(launch_calls(plan, role_arn), "launch")
            return
        report = _sagemaker(endpoint_url, timeout, poll).apply(plan, role_arn)
    else:
        if not apply:
            from providers.gcp.vertex import launch_calls

            _print_calls(launch_calls(plan, project), "launch")
            return
        report = _vertex(plan, project, api_endpoint, timeout).apply(plan)
    _print_report(report, plan.plan_id)


def teardown(
    plan_file: Path = typer.Argument(..., help=PLAN_HELP),
    target: LaunchTarget = typer.Option(..., "--target", "-t", help="sagemaker or vertex."),
    apply: bool = typer.Option(False, "--apply", help="Make the calls (default: dry run)."),
    endpoint_url: str = typer.Option(
        None, "--endpoint-url", envvar="PLANNER_AWS_ENDPOINT_URL", help=ENDPOINT_URL_HELP
    ),
    api_endpoint: str = typer.Option(
        None, "--api-endpoint", envvar="PLANNER_VERTEX_API_ENDPOINT", help=API_ENDPOINT_HELP
    ),
    project: str = typer.Option(
        None, "--project", envvar="GOOGLE_CLOUD_PROJECT", help="Google Cloud project."
    ),
    timeout: float = typer.Option(1800.0, "--timeout", help="Seconds to wait per operation."),
) -> None:
    """Print (dry run) or delete (--apply) what `planner launch` made for this plan."""
    from planner.plans.io import load_plan
    from planner.spec.grammars import GcpProject, check_option

    check_option(project, GcpProject, "--project")
    plan = load_plan(plan_file)
    if target is LaunchTarget.sagemaker:
        if not apply:
            from providers.aws.sagemaker import teardown_calls

            _print_calls(teardown_calls(plan), "teardown")
            return
        report = _sagemaker(endpoint_url, timeout, 15.0).teardown(plan)
    else:
        if not apply:
            from providers.gcp.vertex import teardown_calls

            _print_calls(teardown_calls(plan, project), "teardown")
            return
        report = _vertex(plan, project, api_endpoint, timeout).teardown(plan)
    _print_report(report, plan.plan_id)


def register(app: typer.Typer) -> None:
    app.command()(launch)
    app.command()(teardown)
