"""Capacity the spec owns (capacity:): own clusters and edge devices, planned like offerings."""

from __future__ import annotations

from planner.clouds.service import Service

ONPREM = Service("onprem", "onprem", "vm", in_catalog=False)
"""Own clusters: Kubernetes runs them on the site's nodes."""
EDGE = Service("edge", "edge", "edge", in_catalog=False)
"""Edge devices: Kubernetes runs them on the devices' nodes."""
SERVICES = (ONPREM, EDGE)
