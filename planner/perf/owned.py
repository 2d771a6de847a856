"""Capacity the team already has, as offerings the MIP fills before it buys.

Reserved and committed instances become copies of their catalog offering at $0 (their price is
paid anyway); an own cluster is one offering of its nodes at the amortised GPU rate; an edge
pool is one offering of its device per region it serves. Each pool's accelerators are its quota.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from planner.catalog import Catalog
from planner.catalog.offering import Offering
from planner.errors import InputError
from planner.facts import Accelerator, find_accelerator
from planner.spec.capacity import Cluster, EdgePool, Reservation, TimeWindow
from planner.spec.models import Spec


@dataclass(frozen=True)
class OwnedPool:
    """One capacity pool as the solver sees it."""

    name: str
    kind: str
    accelerator: Accelerator
    accelerators: int
    """How many accelerators the pool holds: its quota."""
    committed_per_hour: float = 0.0
    term_end: dt.date | None = None
    rtt_ms: float = 0.0
    weights_dtype: str | None = None
    """Edge pools: the precision models run at there."""
    start_hours: float = 0.0
    """Time windows (Capacity Blocks, DWS): hours after the start the window opens."""
    duration_hours: float | None = None
    """Time windows: how long the window lasts (None: capacity that is always there)."""
    paid_in_full: bool = False
    """Time windows: the whole window is paid (blocks, calendar mode), not the hours used."""

    @property
    def window(self) -> bool:
        return self.duration_hours is not None


def edge_device(pool: EdgePool) -> Accelerator:
    """The accelerator an edge pool runs on: a bundled device, or the one the spec describes."""
    known = find_accelerator(pool.device)
    if known is not None and pool.memory_gb is None:
        return known
    assert pool.memory_gb and pool.bandwidth_gbps and pool.tflops
    return Accelerator(
        name=pool.device,
        vendor="custom",
        memory_gb=pool.memory_gb,
        bandwidth_gbps=pool.bandwidth_gbps,
        bf16_tflops=pool.tflops,
        fp8_tflops=None,
        int8_tops=None,
        interconnect_gbps=0.0,
        supports_bf16=True,
    )


def _reserved(pool: Reservation | TimeWindow, index: int, catalog: Catalog) -> Offering:
    matches = [
        o
        for o in catalog.offerings
        if (o.provider, o.region, o.service, o.instance_type)
        == (pool.provider, pool.region, pool.vm_service, pool.instance_type)
        and (not pool.zone or o.zone in ("", pool.zone))
        and not o.owned
    ]
    if not matches:
        raise InputError(
            f"capacity[{index}] ({pool.name}): {pool.provider} {pool.region} {pool.vm_service} "
            f"{pool.instance_type} is not in the catalog, so its accelerators are unknown"
        )
    base = min(matches, key=lambda o: o.key)
    return replace(
        base, zone=pool.zone, price_on_demand=0.0, price_spot=None, owned=pool.name,
        source=f"{pool.kind}:{pool.name}", as_of="", price_kind="user", spot_price_kind="",
    )  # fmt: skip


def owned_capacity(
    spec: Spec, catalog: Catalog, today: dt.date
) -> tuple[list[Offering], dict[str, OwnedPool], list[str]]:
    """Offerings and pools for the spec's `capacity:` section on date `today`, and notes
    (reservations whose term ended before it are left out)."""
    offerings: list[Offering] = []
    pools: dict[str, OwnedPool] = {}
    notes: list[str] = []
    for index, pool in enumerate(spec.capacity):
        if isinstance(pool, Reservation):
            if pool.term_end < today:
                notes.append(f"{pool.name}: term ended {pool.term_end}, not used")
                continue
            offering = _reserved(pool, index, catalog)
            accelerator = find_accelerator(offering.accelerator)
            assert accelerator is not None
            offerings.append(offering)
            pools[pool.name] = OwnedPool(
                pool.name, pool.kind, accelerator, pool.count * offering.accelerator_count,
                committed_per_hour=pool.committed_per_hour, term_end=pool.term_end,
            )  # fmt: skip
        elif isinstance(pool, TimeWindow):
            offering = replace(_reserved(pool, index, catalog), price_on_demand=pool.price_per_hour)
            accelerator = find_accelerator(offering.accelerator)
            assert accelerator is not None
            offerings.append(offering)
            pools[pool.name] = OwnedPool(
                pool.name, pool.kind, accelerator, pool.count * offering.accelerator_count,
                start_hours=pool.start_hours, duration_hours=pool.duration_hours,
                paid_in_full=pool.paid_in_full,
            )  # fmt: skip
        elif isinstance(pool, Cluster):
            accelerator = find_accelerator(pool.accelerator)
            assert accelerator is not None
            offerings.append(
                Offering(
                    provider="onprem",
                    region=pool.region or f"site-{pool.name}",
                    service="onprem",
                    instance_type=f"{pool.name}-node",
                    accelerator=accelerator.name,
                    accelerator_count=pool.gpus_per_node,
                    accelerator_memory_gb=accelerator.memory_gb,
                    vcpus=0.0,
                    memory_gib=0.0,
                    price_on_demand=pool.cost_per_gpu_hour * pool.gpus_per_node,
                    owned=pool.name,
                    source=f"cluster:{pool.name}",
                    price_kind="user",
                )
            )
            pools[pool.name] = OwnedPool(
                pool.name, "cluster", accelerator, pool.gpus_per_node * pool.nodes
            )
        else:
            device = edge_device(pool)
            for region in pool.regions:
                offerings.append(
                    Offering(
                        provider="edge",
                        region=region,
                        service="edge",
                        instance_type=device.name,
                        accelerator=device.name,
                        accelerator_count=1,
                        accelerator_memory_gb=device.memory_gb,
                        vcpus=0.0,
                        memory_gib=0.0,
                        price_on_demand=pool.cost_per_device_hour,
                        owned=pool.name,
                        source=f"edge:{pool.name}",
                        price_kind="user",
                    )
                )
            pools[pool.name] = OwnedPool(
                pool.name, "edge", device, pool.devices, rtt_ms=pool.rtt_ms,
                weights_dtype=pool.weights_dtype,
            )  # fmt: skip
    return offerings, pools, notes
