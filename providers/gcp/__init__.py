"""Google Cloud: catalog refresh, quotas and the Vertex AI launcher (SDKs imported lazily)."""

from __future__ import annotations

import os

from planner.errors import InputError
from providers.provider import Provider, Quotas, Request


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


PROVIDER = Provider(
    cloud="gcp",
    endpoint_services=("compute", "billing"),
    prices=_prices,
    quotas=_quotas,
    launch_targets=("vertex",),
)
