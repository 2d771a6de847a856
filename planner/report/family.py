"""Instance-type families in the three clouds' naming schemes, to match moved allocations."""

from __future__ import annotations

import re

_AZURE = re.compile(r"^(?:Standard_)?([A-Z]+)\d+(.*)$")


def instance_family(instance_type: str) -> str:
    """`p5.4xlarge`, `ml.p5.4xlarge` -> `p5`; `a2-highgpu-1g` -> `a2-highgpu`;
    `Standard_NC24ads_A100_v4` -> `NCads_A100_v4`; anything else unchanged."""
    name = instance_type.removeprefix("ml.")
    if "." in name:
        return name.split(".", 1)[0]
    azure = _AZURE.match(name)
    if name.startswith("Standard_") and azure:
        return azure.group(1) + azure.group(2)
    if name.count("-") >= 2:
        return name.rsplit("-", 1)[0]
    return name
