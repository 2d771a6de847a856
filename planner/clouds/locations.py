"""Where a referenced thing lives: the region of an image registry, bucket or key, from its name
(each cloud's module in the registry lists the names that carry a region).

Public sources without a region (Hugging Face, Docker Hub, GHCR, ...) have no location; a bucket's
region is not in its name, so it comes from deploy.security.bucket_regions or stays unknown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from planner.clouds import CLOUDS

UNKNOWN = "?"
MULTI_REGIONS = frozenset({"us", "eu", "europe", "asia"})

_BUCKET = re.compile(r"^(s3|gs)://(?P<bucket>[^/]+)")


@dataclass(frozen=True)
class Located:
    """A reference and where it lives: a region, a multi-region, or UNKNOWN."""

    kind: str
    ref: str
    region: str


def locate(kind: str, ref: str, bucket_regions: Mapping[str, str]) -> Located | None:
    """Where `ref` lives, or None when it has no region (a public, global source)."""
    if match := _BUCKET.match(ref):
        return Located(kind, ref, bucket_regions.get(match["bucket"], UNKNOWN))
    for cloud in CLOUDS.values():
        for pattern in cloud.references:
            if region := pattern.region(ref):
                return Located(kind, ref, region)
    return None


def outside(located: Located, allowed: list[str]) -> str | None:
    """Why `located` breaks residency in `allowed`, or None when it keeps it."""
    if located.region in allowed:
        return None
    if located.region == UNKNOWN:
        return "its region is unknown (declare the bucket in deploy.security.bucket_regions)"
    if located.region in MULTI_REGIONS:
        return f"it is in the multi-region location '{located.region}', not one region"
    return f"it is in {located.region}"
