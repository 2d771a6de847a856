"""SageMaker launcher: make, check and delete the endpoints a plan emits, through boto3.

The request bodies are exactly what `planner emit --target sagemaker` writes. A run is
idempotent (an endpoint already on this plan's config is left alone, so is autoscaling that
matches) and all-or-nothing: when a call fails, what this run made is deleted again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from planner.emit import launchable, sagemaker
from planner.emit.common import MANAGED_BY
from planner.emit.sagemaker import KMS_PLACEHOLDER, ROLE_PLACEHOLDER
from planner.errors import InputError, PlannerError
from planner.extras import require
from planner.plans.model import Plan
from providers.aws import sdk
from providers.launch import (
    Call,
    Report,
    Undo,
    calls_by_endpoint,
    failed,
    failure_message,
    redact,
)

SAGEMAKER = "sagemaker"
AUTOSCALING = "application-autoscaling"
NOT_FOUND_CODES = {"ResourceNotFound", "ObjectNotFoundException", "ValidationException"}

Clients = Callable[[str, str], Any]


@dataclass(frozen=True)
class Endpoint:
    """One endpoint group's request bodies, keyed by API operation, in call order."""

    workload: str
    region: str
    models: tuple[dict[str, Any], ...]
    config: dict[str, Any]
    endpoint: dict[str, Any]
    targets: tuple[dict[str, Any], ...]
    policies: tuple[dict[str, Any], ...]

    @property
    def name(self) -> str:
        return self.endpoint["EndpointName"]

    @property
    def config_name(self) -> str:
        return self.config["EndpointConfigName"]


def with_role(plan: Plan, role_arn: str) -> Plan:
    """The plan with `role_arn` as its execution role, wherever the deploy settings name one."""
    given = plan.deploy if isinstance(plan.deploy, dict) else plan.deploy.model_dump(mode="json")
    deploy = {**given, "execution_role_arn": role_arn}
    security = dict(deploy.get("security") or {})
    if (security.get("aws") or {}).get("execution_role_arn"):
        security["aws"] = {**security["aws"], "execution_role_arn": role_arn}
        deploy["security"] = security
    return plan.model_copy(update={"deploy": deploy})


def refusals(eps: list[Endpoint]) -> list[str]:
    """Why these endpoints may not be made as they stand: a missing role or key."""
    out = []
    if any(m["ExecutionRoleArn"] == ROLE_PLACEHOLDER for e in eps for m in e.models):
        out.append(
            "SageMaker needs an execution role: set deploy.security.aws.execution_role_arn "
            "(or deploy.execution_role_arn) in the spec, or pass --execution-role-arn"
        )
    unkeyed = sorted(
        f"{e.name} ({e.region})"
        for e in eps
        if e.config.get("KmsKeyId") == KMS_PLACEHOLDER.format(region=e.region)
    )
    if unkeyed:
        out.append(
            f"endpoint(s) {', '.join(unkeyed)} run on instance types whose storage takes a "
            "customer-managed KMS key and none is given: set deploy.security.aws.kms_key_arn, "
            "deploy the emitted CloudFormation stack (it creates one), or set "
            "deploy.security.allow_provider_managed_keys: true"
        )
    return out


def endpoints(plan: Plan, role_arn: str | None = None) -> list[Endpoint]:
    """The plan's SageMaker endpoint groups, as rendered by the emitter."""
    if role_arn:
        plan = with_role(plan, role_arn)
    return [
        Endpoint(
            workload=workload,
            region=region,
            models=tuple(ops["CreateModel"]),
            config=ops["CreateEndpointConfig"][0],
            endpoint=ops["CreateEndpoint"][0],
            targets=tuple(ops["RegisterScalableTarget"]),
            policies=tuple(ops["PutScalingPolicy"]),
        )
        for workload, region, ops in calls_by_endpoint(launchable(plan, sagemaker.build(plan)))
    ]


def launch_calls(plan: Plan, role_arn: str | None = None) -> list[Call]:
    """Every call a first launch makes, in order (what a dry run prints)."""
    calls = []
    for ep in endpoints(plan, role_arn):
        calls += [Call(SAGEMAKER, ep.region, "CreateModel", m) for m in ep.models]
        calls.append(Call(SAGEMAKER, ep.region, "CreateEndpointConfig", ep.config))
        calls.append(Call(SAGEMAKER, ep.region, "CreateEndpoint", ep.endpoint))
        for target, policy in zip(ep.targets, ep.policies, strict=True):
            calls.append(Call(AUTOSCALING, ep.region, "RegisterScalableTarget", target))
            calls.append(Call(AUTOSCALING, ep.region, "PutScalingPolicy", policy))
    return calls


def teardown_calls(plan: Plan) -> list[Call]:
    """Every call a teardown makes when all the plan's resources exist."""
    calls = []
    for ep in endpoints(plan):
        for target in ep.targets:
            body = {k: target[k] for k in ("ServiceNamespace", "ResourceId", "ScalableDimension")}
            calls.append(Call(AUTOSCALING, ep.region, "DeregisterScalableTarget", body))
        calls.append(Call(SAGEMAKER, ep.region, "DeleteEndpoint", {"EndpointName": ep.name}))
        calls.append(
            Call(
                SAGEMAKER,
                ep.region,
                "DeleteEndpointConfig",
                {"EndpointConfigName": ep.config_name},
            )
        )
        calls += [
            Call(SAGEMAKER, ep.region, "DeleteModel", {"ModelName": m["ModelName"]})
            for m in ep.models
        ]
    return calls


def boto3_clients(endpoint_url: str | None = None) -> Clients:
    """A cached client per (service, region), from the SDK's usual credential chain."""
    boto3 = require("boto3", "aws", "planner launch/teardown --target sagemaker --apply")

    session = boto3.session.Session()
    cache: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in cache:
            cache[(service, region)] = sdk.client(service, region, endpoint_url,
                                                  session=session)  # fmt: skip
        return cache[(service, region)]

    return client


def _missing(err: Exception) -> bool:
    """A ClientError that says the resource does not exist."""
    response = getattr(err, "response", None)
    if not response:
        return False
    error = response.get("Error", {})
    message = str(error.get("Message", "")).lower()
    code = error.get("Code", "")
    if code == "ValidationException":
        return "could not find" in message or "not found" in message
    return code in NOT_FOUND_CODES


def _describe(call: Callable[..., dict], **params: Any) -> dict | None:
    """A describe call's answer, or None where the resource does not exist."""
    from botocore.exceptions import ClientError

    try:
        return call(**params)
    except ClientError as err:
        if _missing(err):
            return None
        raise


@dataclass
class Waiting:
    """How long to wait for an endpoint to be InService, and how often to look."""

    timeout_s: float = 1800.0
    poll_s: float = 15.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    on_poll: Callable[[str, str], None] | None = None
    """Told (endpoint name, its status) at every look: the CLI's progress display."""


def wait_in_service(sm: Any, name: str, waiting: Waiting) -> None:
    """Poll until the endpoint is InService; raise on Failed or when the time is up."""
    deadline = time.monotonic() + waiting.timeout_s
    while True:
        status = sm.describe_endpoint(EndpointName=name)
        state = status["EndpointStatus"]
        if waiting.on_poll is not None:
            waiting.on_poll(name, state)
        if state == "InService":
            return
        if state in ("Failed", "OutOfService"):
            reason = status.get("FailureReason", "no reason given")
            raise PlannerError(f"endpoint {name} is {state}: {reason}")
        if time.monotonic() >= deadline:
            raise PlannerError(
                f"endpoint {name} still {state} after {waiting.timeout_s:g} s (raise --timeout)"
            )
        waiting.sleep(waiting.poll_s)


def _check_ours(sm: Any, current: dict) -> None:
    tags = sm.list_tags(ResourceArn=current["EndpointArn"]).get("Tags", [])
    if {t["Key"]: t["Value"] for t in tags}.get("managed-by") != MANAGED_BY:
        raise PlannerError(
            f"endpoint {current['EndpointName']} exists and was not made by the planner "
            "(no managed-by tag); leaving it alone"
        )


class SageMakerLauncher:
    """Applies and tears down a plan's SageMaker endpoints with the given clients."""

    def __init__(self, clients: Clients, waiting: Waiting | None = None) -> None:
        self.clients = clients
        self.waiting = waiting or Waiting()

    def apply(self, plan: Plan, role_arn: str | None = None) -> Report:
        """Make or update every endpoint of the plan; all or nothing."""
        eps = endpoints(plan, role_arn)
        refused = refusals(eps)
        if refused:
            raise InputError("; ".join(refused))
        report, undo = Report(), Undo()
        for ep in eps:
            step = f"launching endpoint {ep.name} in {ep.region}"
            try:
                self._endpoint(ep, report, undo)
                self._autoscaling(ep, report, undo)
            except Exception as err:
                if not _is_cloud_error(err):
                    raise
                raise failed(err)(failure_message(step, err, undo)) from err
        return report

    def _endpoint(self, ep: Endpoint, report: Report, undo: Undo) -> None:
        sm = self.clients(SAGEMAKER, ep.region)
        where = f"({ep.region})"
        current = _describe(sm.describe_endpoint, EndpointName=ep.name)
        if current is not None:
            _check_ours(sm, current)
            if current["EndpointConfigName"] == ep.config_name:
                wait_in_service(sm, ep.name, self.waiting)
                report.same(f"unchanged endpoint {ep.name} {where}")
                return
        for body in ep.models:
            name = body["ModelName"]
            if _describe(sm.describe_model, ModelName=name) is None:
                sm.create_model(**body)
                undo.push(f"deleted model {name}", lambda n=name: sm.delete_model(ModelName=n))
                report.changed(f"created model {name} {where}")
            else:
                report.same(f"unchanged model {name} {where}")
        if _describe(sm.describe_endpoint_config, EndpointConfigName=ep.config_name) is None:
            sm.create_endpoint_config(**ep.config)
            undo.push(
                f"deleted endpoint config {ep.config_name}",
                lambda: sm.delete_endpoint_config(EndpointConfigName=ep.config_name),
            )
            report.changed(f"created endpoint config {ep.config_name} {where}")
        if current is None:
            sm.create_endpoint(**ep.endpoint)
            undo.push(
                f"deleted endpoint {ep.name}", lambda: sm.delete_endpoint(EndpointName=ep.name)
            )
            report.changed(f"created endpoint {ep.name} {where}")
        else:
            self._update(sm, ep, current, undo)
            report.changed(
                f"updated endpoint {ep.name} {where} from {current['EndpointConfigName']}"
            )
        wait_in_service(sm, ep.name, self.waiting)

    def _update(self, sm: Any, ep: Endpoint, current: dict, undo: Undo) -> None:
        """Point an existing endpoint at this plan's config (autoscaling of old variants off)."""
        aas = self.clients(AUTOSCALING, ep.region)
        wanted = {t["ResourceId"] for t in ep.targets}
        prefix = f"endpoint/{ep.name}/variant/"
        found = aas.describe_scalable_targets(ServiceNamespace=SAGEMAKER).get("ScalableTargets", [])
        for target in found:
            if target["ResourceId"].startswith(prefix) and target["ResourceId"] not in wanted:
                aas.deregister_scalable_target(
                    ServiceNamespace=SAGEMAKER,
                    ResourceId=target["ResourceId"],
                    ScalableDimension=target["ScalableDimension"],
                )
        previous = current["EndpointConfigName"]
        sm.update_endpoint(EndpointName=ep.name, EndpointConfigName=ep.config_name)
        undo.push(
            f"returned endpoint {ep.name} to {previous}",
            lambda: sm.update_endpoint(EndpointName=ep.name, EndpointConfigName=previous),
        )
        sm.add_tags(ResourceArn=current["EndpointArn"], Tags=ep.endpoint["Tags"])

    def _autoscaling(self, ep: Endpoint, report: Report, undo: Undo) -> None:
        aas = self.clients(AUTOSCALING, ep.region)
        for target, policy in zip(ep.targets, ep.policies, strict=True):
            rid = target["ResourceId"]
            found = aas.describe_scalable_targets(
                ServiceNamespace=SAGEMAKER,
                ResourceIds=[rid],
                ScalableDimension=target["ScalableDimension"],
            ).get("ScalableTargets", [])
            same = found and (found[0]["MinCapacity"], found[0]["MaxCapacity"]) == (
                target["MinCapacity"],
                target["MaxCapacity"],
            )
            if same:
                report.same(f"unchanged scalable target {rid}")
            else:
                aas.register_scalable_target(**target)
                if not found:
                    undo.push(
                        f"deregistered scalable target {rid}",
                        lambda t=target: aas.deregister_scalable_target(
                            ServiceNamespace=t["ServiceNamespace"],
                            ResourceId=t["ResourceId"],
                            ScalableDimension=t["ScalableDimension"],
                        ),
                    )
                report.changed(
                    f"registered scalable target {rid} "
                    f"({target['MinCapacity']}-{target['MaxCapacity']} instances)"
                )
            self._policy(aas, policy, report)

    @staticmethod
    def _policy(aas: Any, policy: dict, report: Report) -> None:
        found = aas.describe_scaling_policies(
            ServiceNamespace=SAGEMAKER,
            ResourceId=policy["ResourceId"],
            ScalableDimension=policy["ScalableDimension"],
            PolicyNames=[policy["PolicyName"]],
        ).get("ScalingPolicies", [])
        wanted = policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"]
        if found and (
            found[0].get("TargetTrackingScalingPolicyConfiguration", {}).get("TargetValue")
            == wanted
        ):
            report.same(f"unchanged scaling policy {policy['PolicyName']}")
            return
        aas.put_scaling_policy(**policy)
        report.changed(f"put scaling policy {policy['PolicyName']} (target {wanted:g}/min)")

    def teardown(self, plan: Plan) -> Report:
        """Delete what the plan made; an endpoint now on another plan's config is left."""
        report = Report()
        for ep in endpoints(plan):
            try:
                self._teardown(ep, report)
            except Exception as err:
                if not _is_cloud_error(err):
                    raise
                raise failed(err)(
                    redact(f"teardown of endpoint {ep.name} in {ep.region}: {err}")
                ) from err
        return report

    def _teardown(self, ep: Endpoint, report: Report) -> None:
        from botocore.exceptions import ClientError

        sm = self.clients(SAGEMAKER, ep.region)
        aas = self.clients(AUTOSCALING, ep.region)
        current = _describe(sm.describe_endpoint, EndpointName=ep.name)
        ours = current is not None and current["EndpointConfigName"] == ep.config_name
        if ours:
            for target in ep.targets:
                try:
                    aas.deregister_scalable_target(
                        **{
                            k: target[k]
                            for k in ("ServiceNamespace", "ResourceId", "ScalableDimension")
                        }
                    )
                    report.changed(f"deregistered scalable target {target['ResourceId']}")
                except ClientError as err:
                    if not _missing(err):
                        raise
            sm.delete_endpoint(EndpointName=ep.name)
            report.changed(f"deleted endpoint {ep.name} ({ep.region})")
        elif current is not None:
            report.same(
                f"left endpoint {ep.name} ({ep.region}): it runs {current['EndpointConfigName']}"
            )
        if _describe(sm.describe_endpoint_config, EndpointConfigName=ep.config_name):
            sm.delete_endpoint_config(EndpointConfigName=ep.config_name)
            report.changed(f"deleted endpoint config {ep.config_name}")
        for body in ep.models:
            if _describe(sm.describe_model, ModelName=body["ModelName"]):
                sm.delete_model(ModelName=body["ModelName"])
                report.changed(f"deleted model {body['ModelName']}")


def _is_cloud_error(err: Exception) -> bool:
    """An error from the cloud or the SDK (to report and roll back), not a bug."""
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(err, ClientError | BotoCoreError | PlannerError)
