"""Which shared limit covers which pool: the one place the rule is written.

A candidate draws on one pool: (provider, region, accelerator, pricing) for cloud offerings,
("owned", pool name, accelerator, pricing) for capacity the team has. A quota covers the cloud
pools of its provider, region and accelerator (canonical name), at its pricing or at any
pricing when it names none; an owned pool's size is the limit of its own pool.
"""

from __future__ import annotations

from planner.facts import find_accelerator
from planner.spec.models import Quota

Pool = tuple[str, str, str, str]


def quota_accelerator(quota: Quota) -> str:
    """The quota's accelerator by its canonical name."""
    acc = find_accelerator(quota.accelerator)
    return acc.name if acc else quota.accelerator


def quota_covers(quota: Quota, pool: Pool, accelerator: str | None = None) -> bool:
    """Whether `quota` limits `pool` (`accelerator`: the quota's canonical name, if known)."""
    name = accelerator if accelerator is not None else quota_accelerator(quota)
    return pool[:3] == (quota.provider, quota.region, name) and (
        quota.pricing is None or pool[3] == quota.pricing
    )


def owned_covers(name: str, pool: Pool) -> bool:
    """Whether `pool` is the owned capacity pool `name`."""
    return pool[:2] == ("owned", name)
