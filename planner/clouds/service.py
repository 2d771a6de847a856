"""What the registry says about one cloud: its services and the regions of its resource names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

ServiceKind = Literal["vm", "sagemaker", "vertex", "edge"]


@dataclass(frozen=True)
class Service:
    """One way to buy accelerators: a VM service, a managed endpoint service, or own capacity.

    `kind` is the spec's name for how it runs (placement.services; `kubernetes` runs on `vm`).
    `accelerators` maps the accelerators the service can run to its own API names; empty means
    whatever the catalog sells through it.
    """

    name: str
    provider: str
    kind: ServiceKind
    accelerators: dict[str, str] = field(default_factory=dict)
    in_catalog: bool = True
    """Sold in price catalogs (own clusters and edge devices come from the spec's capacity:)."""


@dataclass(frozen=True)
class ReferencePattern:
    """A resource name that carries its region: a registry, key or bucket address."""

    pattern: re.Pattern[str]
    default_region: str = ""
    """The region when the name leaves it out (gcr.io is in the `us` multi-region)."""

    def region(self, ref: str) -> str | None:
        """The region `ref` names, or None when `ref` is not this kind of name."""
        match = self.pattern.match(ref)
        if match is None:
            return None
        return match["region"] or self.default_region


@dataclass(frozen=True)
class Cloud:
    """A provider the planner buys from: its services and how its resource names give regions."""

    name: str
    title: str
    services: tuple[Service, ...]
    references: tuple[ReferencePattern, ...] = ()
