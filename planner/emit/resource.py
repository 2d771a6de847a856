"""What a target builder hands the renderer: one resource to render, and what was left out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Resource:
    """One file to write: where it goes, which template renders it, and the data it needs.

    `meta` is not rendered; launchers read it (region, resource names, API operation).
    """

    target: str
    workload: str
    index: int
    kind: str
    template: str
    context: Mapping[str, Any]
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def extension(self) -> str:
        """json, yaml or sh, from the template's name (`name.EXT.j2`)."""
        return self.template.removesuffix(".j2").rsplit(".", 1)[-1]

    @property
    def path(self) -> str:
        """`<target>/<workload>-<index>-<kind>.<ext>`, relative to the output folder."""
        return f"{self.target}/{self.workload}-{self.index}-{self.kind}.{self.extension}"


@dataclass(frozen=True)
class Note:
    """Why a target left an allocation out (`index`: the allocation's index in its workload)."""

    target: str
    workload: str
    index: int
    text: str


@dataclass(frozen=True)
class Built:
    """A target's resources, the allocations they cover, notes on those it skipped,
    advisories (security settings loosened where the deployment could not run otherwise), and
    the allocations it cannot deploy with their workload's engine."""

    resources: tuple[Resource, ...]
    notes: tuple[Note, ...] = ()
    covered: frozenset[tuple[str, int]] = frozenset()
    advisories: tuple[str, ...] = ()
    refused: tuple[Note, ...] = ()


@dataclass(frozen=True)
class Rendered:
    """A rendered file: its path, its exact text, and the data it holds (None for scripts),
    made when first asked for (writing files needs only the text)."""

    resource: Resource
    text: str
    make_data: Callable[[], Any] = field(repr=False, compare=False)

    @cached_property
    def data(self) -> Any:
        return self.make_data()

    @property
    def path(self) -> str:
        return self.resource.path
