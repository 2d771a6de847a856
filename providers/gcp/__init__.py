"""Google Cloud: catalog refresh, quotas and the Vertex AI launcher (SDKs imported lazily)."""

from __future__ import annotations

import os
from typing import Any

from planner.errors import InputError
from providers.provider import Launcher, LaunchOptions, Provider, Quotas, Request


def _api(request: Request, uses_compute: bool):
    from providers.gcp.refresh import BILLING_URL, COMPUTE_URL, GcpApi, gcp_headers

    compute = request.endpoint("compute")
    billing = request.endpoint("billing")
    real = billing is None or (uses_compute and compute is None)
    headers = gcp_headers(os.environ, real_endpoint=real)
    return GcpApi(
        http=request.ctx.http(headers),
        compute_url=compute or COMPUTE_URL,
        billing_url=billing or BILLING_URL,
        project=request.project,
    )


def _prices(request: Request):
    from providers.gcp.refresh import refresh_gcp

    api = _api(request, uses_compute=bool(request.project))
    return refresh_gcp(request.regions, request.base, request.ctx, api)


def _quotas(request: Request) -> Quotas:
    from providers.gcp.quotas import SOURCE, refresh_gcp_quotas

    if not request.project:
        raise InputError("GCP quotas need a project: give --project or set GOOGLE_CLOUD_PROJECT")
    quotas, log = refresh_gcp_quotas(request.regions, request.ctx, _api(request, True))
    how = "regional limits of the NVIDIA_*_GPUS (on-demand) and PREEMPTIBLE_* (spot) metrics"
    return Quotas(quotas, log, SOURCE, how)


def _vertex_calls(plan: Any, verb: str, options: LaunchOptions) -> list[Any]:
    from providers.gcp.vertex import launch_calls, teardown_calls

    calls = launch_calls if verb == "launch" else teardown_calls
    return calls(plan, options.project)


def _vertex_apply(plan: Any, verb: str, options: LaunchOptions) -> Any:
    from providers.gcp.vertex import VertexLauncher, gapic_clients, resolve_project

    launcher = VertexLauncher(
        gapic_clients(options.api_endpoint),
        resolve_project(plan, options.project),
        timeout_s=options.timeout_s,
    )
    return launcher.apply(plan) if verb == "launch" else launcher.teardown(plan)


PROVIDER = Provider(
    cloud="gcp",
    endpoint_services=("compute", "billing"),
    prices=_prices,
    quotas=_quotas,
    launchers=(Launcher("vertex", "Vertex AI", _vertex_calls, _vertex_apply),),
)
