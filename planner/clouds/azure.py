"""Azure: virtual machines (Kubernetes and Ray run on them)."""

from __future__ import annotations

from planner.clouds.service import Cloud, Service

VM = Service("azure-vm", "azure", "vm")
CLOUD = Cloud(name="azure", title="Azure", services=(VM,))
