"""GCP regional GPU quotas from Compute Engine `regions.get` (REST), as accelerator quotas.

`GET /compute/v1/projects/{project}/regions/{region}` lists `quotas: [{metric, limit, usage}]`;
metrics `NVIDIA_<GPU>_GPUS` limit on-demand GPUs and `PREEMPTIBLE_NVIDIA_<GPU>_GPUS` Spot ones.
The limit (not limit minus usage) is written: the plan may replace what runs today.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import Field

from planner._http import shape_types
from planner.spec.models import Quota
from providers.gcp.refresh import GcpApi
from providers.refresh_common import RefreshContext, RunLog, pages

SOURCE = "GCP Compute Engine regions.get quotas"

GPU_METRICS = {
    "NVIDIA_T4_GPUS": "T4",
    "NVIDIA_V100_GPUS": "V100",
    "NVIDIA_A100_GPUS": "A100",
    "NVIDIA_A100_80GB_GPUS": "A100-80GB",
    "NVIDIA_L4_GPUS": "L4",
    "NVIDIA_H100_GPUS": "H100",
    "NVIDIA_H200_GPUS": "H200",
}
"""Quota metric -> accelerator. Others (K80, P4, P100, H100 Mega, B200, committed and
workstation metrics) have no offering in the catalog and are skipped."""
SPOT_PREFIX = "PREEMPTIBLE_"


def region_quotas(region: str, quotas: Iterable[Mapping[str, Any]]) -> list[Quota]:
    """The accelerator quotas of one region's `quotas` list."""
    found = []
    for entry in quotas:
        metric = str(entry.get("metric", ""))
        spot = metric.startswith(SPOT_PREFIX)
        accelerator = GPU_METRICS.get(metric.removeprefix(SPOT_PREFIX))
        limit = float(entry.get("limit", -1))
        if accelerator is None or limit < 0:
            continue
        found.append(
            Quota(
                provider="gcp",
                region=region,
                accelerator=accelerator,
                pricing="spot" if spot else "on_demand",
                max_accelerators=math.floor(limit),
            )
        )
    return found


Shape, _Number, _Count = shape_types()


class _QuotaEntry(Shape):
    metric: str = ""
    limit: Annotated[float, Field(ge=-1, le=1e9, allow_inf_nan=False)] = -1


class RegionAnswer(Shape):
    """The fields of a Compute `regions.get` answer (or a `regions.list` item) read."""

    name: str = ""
    quotas: list[_QuotaEntry] | None = None


class RegionsPage(Shape):
    items: list[RegionAnswer] | None = None
    nextPageToken: str | None = None


def _all_regions(api: GcpApi, ctx: RefreshContext, base: str) -> list[Quota]:
    """Quotas of every region of the project (`regions.list`, paged)."""

    def fetch(token: str | None):
        page = api.http.get_json(base, {"pageToken": token} if token else {}, shape=RegionsPage)
        return page.get("items") or [], page.get("nextPageToken")

    quotas: list[Quota] = []
    for item in pages(fetch, ctx.progress, "quotas (all regions)"):
        quotas.extend(region_quotas(item.get("name", ""), item.get("quotas") or []))
    return quotas


def refresh_gcp_quotas(
    regions: Sequence[str] | None, ctx: RefreshContext, api: GcpApi
) -> tuple[list[Quota], RunLog]:
    """GPU quotas of `regions` (None: all) in the API's project; a failing region is logged."""
    log = RunLog()
    quotas: list[Quota] = []
    base = f"{api.compute_url.rstrip('/')}/compute/v1/projects/{api.project}/regions"
    if regions is None:
        try:
            return _all_regions(api, ctx, base), log
        except Exception as err:
            log.fail("gcp: quotas of all regions", err)
            return [], log
    for region in regions:
        try:
            answer = api.http.get_json(f"{base}/{region}", shape=RegionAnswer)
        except Exception as err:
            log.fail(f"gcp {region}: quotas", err)
            continue
        finally:
            ctx.progress.page(f"quotas {region}")
        quotas.extend(region_quotas(region, answer.get("quotas") or []))
    return quotas, log
