"""Use cases that make or delete a plan's managed endpoints through the launcher of the cloud's
provider (providers/<cloud>): `launch_calls` (the API calls, with their bodies: a dry run) and
`launch_apply` (make them, idempotent, all or nothing). A cloud without a launcher is an input
error naming it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from planner.app.arguments import checked
from planner.app.inputs import PathLike
from planner.bounds import MAX_SOLVE_S
from planner.errors import InputError

if TYPE_CHECKING:
    from planner.plans import Plan


@dataclass(frozen=True)
class LaunchCalls:
    """The calls `verb` (launch or teardown) would make for a plan: a dry run."""

    verb: str
    plan_id: str
    calls: tuple[Any, ...]
    """Each has service, region, operation, body and describe()."""


@dataclass(frozen=True)
class Launched:
    """What `verb` did: a line per endpoint and how many changes it made."""

    verb: str
    plan_id: str
    changes: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """A plan and the launcher that makes its endpoints, with the options the launcher uses
    (an endpoint override, a project, a role, how long to wait)."""

    plan: Plan
    launcher: Any
    options: Any

    @property
    def title(self) -> str:
        return self.launcher.title


@checked(timeout_s=(0, MAX_SOLVE_S), poll_s=(0.1, 86_400))
def launch_target(
    plan: Plan | PathLike,
    target: str,
    *,
    endpoint_url: str | None = None,
    api_endpoint: str | None = None,
    project: str | None = None,
    role_arn: str | None = None,
    timeout_s: float = 1800.0,
    poll_s: float = 15.0,
) -> Target:
    """The launcher `target` names (a launch target such as sagemaker, or a cloud with one)
    for `plan`, its options checked."""
    from planner._http import check_url
    from planner.plans import Plan
    from planner.plans.io import load_plan
    from planner.spec.grammars import GcpProject, RoleArn, check_option
    from providers.provider import LaunchOptions, launcher

    if timeout_s <= 0 or poll_s <= 0:
        raise InputError("--timeout and --poll must be above 0")
    check_option(project, GcpProject, "--project")
    check_option(role_arn, RoleArn, "--execution-role-arn")
    if endpoint_url is not None:
        check_url(endpoint_url, "--endpoint-url")
    if api_endpoint is not None:
        check_url(api_endpoint, "--api-endpoint", bare_host=True)
    found = launcher(target)
    loaded = plan if isinstance(plan, Plan) else load_plan(plan)
    options = LaunchOptions(
        endpoint_url=endpoint_url,
        api_endpoint=api_endpoint,
        project=project,
        role_arn=role_arn,
        timeout_s=timeout_s,
        poll_s=poll_s,
    )
    return Target(loaded, found, options)


@checked()
def launch_calls(target: Target, verb: str = "launch") -> LaunchCalls:
    """The calls `verb` (launch or teardown) would make: nothing is called."""
    calls = target.launcher.calls(target.plan, verb, target.options)
    return LaunchCalls(verb, target.plan.plan_id, tuple(calls))


@checked()
def launch_apply(
    target: Target, verb: str = "launch", on_poll: Callable[[str, str], None] | None = None
) -> Launched:
    """Make the calls of `verb`, waiting for each endpoint (`on_poll(name, state)` hears each
    status); idempotent, all or nothing."""
    options = target.options if on_poll is None else replace(target.options, on_poll=on_poll)
    report = target.launcher.apply(target.plan, verb, options)
    return Launched(verb, target.plan.plan_id, report.changes, tuple(report.lines))
