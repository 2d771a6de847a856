"""Vertex AI launcher: upload models, create endpoints and deploy them, through the GAPIC clients.

The request bodies are exactly what `planner emit --target vertex` writes. Endpoints and models
have ids fixed by the plan, so a second run finds them and changes nothing; a failed run undeploys
and deletes what it made. Plain-http API endpoints (local test servers) get anonymous
credentials, so real credentials never travel unencrypted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from planner.emit import launchable, vertex
from planner.emit.common import MANAGED_BY
from planner.emit.vertex import KMS_PLACEHOLDER
from planner.errors import InputError, PlannerError
from planner.extras import require
from planner.plans.model import Plan
from providers.launch import Call, Report, Undo, calls_by_endpoint, failed, failure_message, redact

VERTEX = "vertex"

Clients = Callable[[str, str], Any]


@dataclass(frozen=True)
class Endpoint:
    """One endpoint group's request bodies (REST JSON), in call order."""

    workload: str
    region: str
    uploads: tuple[dict[str, Any], ...]
    create: dict[str, Any]
    deploys: tuple[dict[str, Any], ...]

    @property
    def name(self) -> str:
        """Full resource name of the endpoint."""
        return f"{self.create['parent']}/endpoints/{self.create['endpointId']}"


def resolve_project(plan: Plan, project: str | None) -> str:
    """The project to launch in: the option, else the plan's deploy.gcp_project."""
    given = plan.deploy if isinstance(plan.deploy, dict) else plan.deploy.model_dump(mode="json")
    chosen = project or given.get("gcp_project") or ""
    if not chosen:
        raise InputError(
            "Vertex AI needs a project: set deploy.gcp_project in the spec, pass --project or "
            "set GOOGLE_CLOUD_PROJECT"
        )
    return chosen


def endpoints(plan: Plan, project: str | None = None) -> list[Endpoint]:
    """The plan's Vertex AI endpoint groups, as rendered by the emitter."""
    return [
        Endpoint(
            workload=workload,
            region=region,
            uploads=tuple(ops["UploadModel"]),
            create=ops["CreateEndpoint"][0],
            deploys=tuple(ops["DeployModel"]),
        )
        for workload, region, ops in calls_by_endpoint(
            launchable(plan, vertex.build(plan, project))
        )
    ]


def refusals(eps: list[Endpoint], project: str) -> list[str]:
    """Why these endpoints may not be made as they stand: no CMEK key or no service account."""
    out = []
    unkeyed = sorted(
        ep.name
        for ep in eps
        if ep.create["endpoint"].get("encryptionSpec", {}).get("kmsKeyName")
        == KMS_PLACEHOLDER.format(project=project, region=ep.region)
    )
    if unkeyed:
        out.append(
            f"endpoint(s) {', '.join(unkeyed)} have no customer-managed key: set "
            "deploy.security.gcp.kms_key_name, or deploy.security.allow_provider_managed_keys: "
            "true to use Google-managed keys"
        )
    if any("serviceAccount" not in d["deployedModel"] for ep in eps for d in ep.deploys):
        out.append(
            "Vertex AI deployed models need a dedicated service account: set "
            "deploy.security.gcp.service_account (or deploy.vertex_service_account)"
        )
    return out


def launch_calls(plan: Plan, project: str | None = None) -> list[Call]:
    """Every call a first launch makes, in order (what a dry run prints)."""
    calls = []
    for ep in endpoints(plan, project):
        calls += [Call(VERTEX, ep.region, "UploadModel", body) for body in ep.uploads]
        calls.append(Call(VERTEX, ep.region, "CreateEndpoint", ep.create))
        calls += [Call(VERTEX, ep.region, "DeployModel", body) for body in ep.deploys]
    return calls


def teardown_calls(plan: Plan, project: str | None = None) -> list[Call]:
    """Every call a teardown makes when all the plan's resources exist."""
    calls = []
    for ep in endpoints(plan, project):
        calls += [
            Call(
                VERTEX,
                ep.region,
                "UndeployModel",
                {"endpoint": ep.name, "deployedModelId": d["deployedModel"]["id"]},
            )
            for d in ep.deploys
        ]
        calls.append(Call(VERTEX, ep.region, "DeleteEndpoint", {"name": ep.name}))
        calls += [
            Call(VERTEX, ep.region, "DeleteModel", {"name": _model_name(body)})
            for body in ep.uploads
        ]
    return calls


def _model_name(upload: dict[str, Any]) -> str:
    return f"{upload['parent']}/models/{upload['modelId']}"


def gapic_clients(api_endpoint: str | None = None, credentials: Any = None) -> Clients:
    """A cached GAPIC client per (kind, region): kind is "endpoint" or "model". Every client is
    bounded (providers.gcp.gapic): size cap, deadline, no redirect, answers checked.
    `credentials` (google-auth) replaces the default chain and the anonymous credentials a
    plain-http endpoint gets."""
    require("google.cloud.aiplatform_v1", "gcp", "planner launch/teardown --target vertex --apply")
    from google.api_core.client_options import ClientOptions
    from google.cloud import aiplatform_v1

    from providers.gcp.gapic import bounded_client

    classes = {
        "endpoint": aiplatform_v1.EndpointServiceClient,
        "model": aiplatform_v1.ModelServiceClient,
    }
    cache: dict[tuple[str, str], Any] = {}

    def client(kind: str, region: str) -> Any:
        if (kind, region) not in cache:
            endpoint = api_endpoint or f"{region}-aiplatform.googleapis.com"
            chosen = credentials
            if chosen is None and endpoint.startswith("http://"):
                from google.auth.credentials import AnonymousCredentials

                chosen = AnonymousCredentials()
            cache[(kind, region)] = bounded_client(
                classes[kind],
                credentials=chosen,
                client_options=ClientOptions(api_endpoint=endpoint),
            )
        return cache[(kind, region)]

    return client


def _request(cls_name: str, body: dict[str, Any]) -> Any:
    """A typed aiplatform_v1 request from a REST JSON body."""
    from google.cloud import aiplatform_v1

    return getattr(aiplatform_v1, cls_name).from_json(json.dumps(body))


def _get(call: Callable[..., Any], name: str) -> Any | None:
    """A get call's answer, or None where the resource does not exist."""
    from google.api_core.exceptions import NotFound

    try:
        return call(name=name)
    except NotFound:
        return None


def _is_cloud_error(err: Exception) -> bool:
    from google.api_core.exceptions import GoogleAPIError
    from google.auth.exceptions import GoogleAuthError

    return isinstance(err, GoogleAPIError | GoogleAuthError | PlannerError)


class VertexLauncher:
    """Applies and tears down a plan's Vertex AI endpoints with the given clients."""

    def __init__(self, clients: Clients, project: str, timeout_s: float = 1800.0) -> None:
        self.clients = clients
        self.project = project
        self.timeout_s = timeout_s

    def _wait(self, operation: Any) -> Any:
        return operation.result(timeout=self.timeout_s)

    def apply(self, plan: Plan) -> Report:
        """Upload, create and deploy every endpoint of the plan; all or nothing."""
        eps = endpoints(plan, self.project)
        refused = refusals(eps, self.project)
        if refused:
            raise InputError("; ".join(refused))
        report, undo = Report(), Undo()
        for ep in eps:
            try:
                self._endpoint(plan, ep, report, undo)
            except Exception as err:
                if not _is_cloud_error(err):
                    raise
                step = f"launching endpoint {ep.name}"
                raise failed(err)(failure_message(step, err, undo)) from err
        return report

    def _endpoint(self, plan: Plan, ep: Endpoint, report: Report, undo: Undo) -> None:
        endpoints_api = self.clients("endpoint", ep.region)
        models_api = self.clients("model", ep.region)
        current = _get(endpoints_api.get_endpoint, ep.name)
        if current is not None and current.labels.get("managed-by") != MANAGED_BY:
            raise PlannerError(
                f"endpoint {ep.name} exists and was not made by the planner (no managed-by "
                "label); leaving it alone"
            )
        deployed = {d.id for d in current.deployed_models} if current is not None else set()
        wanted = {d["deployedModel"]["id"] for d in ep.deploys}
        if current is not None and wanted <= deployed and len(deployed) == len(wanted):
            report.same(f"unchanged endpoint {ep.name}")
            return
        for body in ep.uploads:
            name = _model_name(body)
            if _get(models_api.get_model, name) is None:
                self._wait(models_api.upload_model(request=_request("UploadModelRequest", body)))
                undo.push(
                    f"deleted model {name}",
                    lambda n=name: self._wait(models_api.delete_model(name=n)),
                )
                report.changed(f"uploaded model {name}")
            else:
                report.same(f"unchanged model {name}")
        if current is None:
            request = _request("CreateEndpointRequest", ep.create)
            self._wait(endpoints_api.create_endpoint(request=request))
            undo.push(
                f"deleted endpoint {ep.name}",
                lambda: self._wait(endpoints_api.delete_endpoint(name=ep.name)),
            )
            report.changed(f"created endpoint {ep.name}")
        for body in ep.deploys:
            model_id = body["deployedModel"]["id"]
            if model_id in deployed:
                report.same(f"unchanged deployed model {model_id} on {ep.name}")
                continue
            self._wait(endpoints_api.deploy_model(request=_request("DeployModelRequest", body)))
            undo.push(
                f"undeployed {model_id} from {ep.name}",
                lambda i=model_id: self._wait(
                    endpoints_api.undeploy_model(endpoint=ep.name, deployed_model_id=i)
                ),
            )
            spec = body["deployedModel"]["dedicatedResources"]
            report.changed(
                f"deployed {model_id} on {ep.name}: {spec['machineSpec']['machineType']}, "
                f"{spec['minReplicaCount']}-{spec['maxReplicaCount']} replicas"
            )
        for old in sorted(deployed - wanted):
            self._wait(endpoints_api.undeploy_model(endpoint=ep.name, deployed_model_id=old))
            report.changed(f"undeployed {old} (an earlier plan's) from {ep.name}")
        if current is not None and current.labels.get("planner-plan-id") != plan.plan_id:
            self._relabel(endpoints_api, ep)
            report.changed(f"relabelled endpoint {ep.name} with plan {plan.plan_id}")

    @staticmethod
    def _relabel(endpoints_api: Any, ep: Endpoint) -> None:
        from google.cloud import aiplatform_v1
        from google.protobuf import field_mask_pb2

        endpoint = aiplatform_v1.Endpoint(name=ep.name, labels=ep.create["endpoint"]["labels"])
        endpoints_api.update_endpoint(
            endpoint=endpoint, update_mask=field_mask_pb2.FieldMask(paths=["labels"])
        )

    def teardown(self, plan: Plan) -> Report:
        """Undeploy and delete what the plan made; an endpoint serving other models stays."""
        report = Report()
        for ep in endpoints(plan, self.project):
            try:
                self._teardown(ep, report)
            except Exception as err:
                if not _is_cloud_error(err):
                    raise
                raise failed(err)(redact(f"teardown of endpoint {ep.name}: {err}")) from err
        return report

    def _teardown(self, ep: Endpoint, report: Report) -> None:
        endpoints_api = self.clients("endpoint", ep.region)
        models_api = self.clients("model", ep.region)
        current = _get(endpoints_api.get_endpoint, ep.name)
        if current is not None:
            ours = {d["deployedModel"]["id"] for d in ep.deploys}
            deployed = {d.id for d in current.deployed_models}
            for model_id in sorted(deployed & ours):
                self._wait(
                    endpoints_api.undeploy_model(endpoint=ep.name, deployed_model_id=model_id)
                )
                report.changed(f"undeployed {model_id} from {ep.name}")
            mine = current.labels.get("planner-plan-id") == ep.create["endpoint"]["labels"].get(
                "planner-plan-id"
            )
            if deployed - ours or not mine:
                report.same(f"left endpoint {ep.name}: it belongs to another plan")
            else:
                self._wait(endpoints_api.delete_endpoint(name=ep.name))
                report.changed(f"deleted endpoint {ep.name}")
        for body in ep.uploads:
            name = _model_name(body)
            if _get(models_api.get_model, name) is not None:
                self._wait(models_api.delete_model(name=name))
                report.changed(f"deleted model {name}")
