"""Capacity a team already has: reservations and commitments, its own clusters, edge devices.

Listed under `capacity:` in a spec. The planner fills this capacity before it buys: reserved
and committed instances cost nothing at the margin (their price is paid anyway), owned cluster
GPUs cost their amortised rate, and edge devices serve the share of traffic a workload allows
there, with the network round trip added to its latency.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, model_validator

from planner.bounds import (
    AtLeastOneReplica,
    DollarsPerHour,
    GangSize,
    Hours,
    HoursFromStart,
    MemoryGB,
    RoundTripMs,
    Throughput,
    UnitPrice,
)
from planner.clouds import catalog_services, cloud
from planner.spec.base import CloudName, Strict
from planner.spec.grammars import K8sLabelKey, K8sLabelValue

PoolName = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
        description="Lower-case letters, digits and '-' (used in names and node labels).",
    ),
]


class _OnACloudService(Strict):
    """Capacity bought on one cloud: its `service` (None: the cloud's VM service) must be one of
    that cloud's catalog services. Subclasses declare `provider` and `service`."""

    @model_validator(mode="after")
    def _service_of_provider(self) -> _OnACloudService:
        allowed = catalog_services(self.provider)
        if self.service is not None and self.service not in allowed:
            raise ValueError(
                f"service {self.service!r} is not one of {self.provider}'s: {', '.join(allowed)}"
            )
        return self

    @property
    def vm_service(self) -> str:
        """The catalog service the instances run under."""
        return self.service or cloud(self.provider).vm_service.name


class Reservation(_OnACloudService):
    """Reserved instances or a commitment: paid per hour whether used or not, until term end."""

    kind: Literal["reservation", "commitment"]
    name: PoolName
    provider: CloudName
    region: str = Field(min_length=1)
    zone: str = ""
    service: str | None = Field(
        None,
        min_length=1,
        description="One of the provider's catalog services; default: its VM service "
        "(ec2, gce, azure-vm, ...).",
    )
    instance_type: str = Field(min_length=1, description="As named in the catalog.")
    count: AtLeastOneReplica = Field(description="Instances reserved.")
    committed_per_hour: DollarsPerHour = Field(description="Dollars per hour for all of them.")
    term_end: dt.date = Field(description="Last day of the term (YYYY-MM-DD).")


class TimeWindow(_OnACloudService):
    """Capacity sold for a window of time, for batch and training jobs with deadlines.

    capacity_block: an EC2 Capacity Block for ML; dws_calendar: GCP Dynamic Workload Scheduler
    calendar mode; both start at a set time, last a set duration and are paid in full.
    dws_flex_start: DWS flex-start, which starts once capacity frees up (start_hours: the wait
    you expect) and is paid for the hours used, up to duration_hours.
    """

    kind: Literal["capacity_block", "dws_calendar", "dws_flex_start"]
    name: PoolName
    provider: CloudName
    region: str = Field(min_length=1)
    zone: str = ""
    service: str | None = Field(
        None, min_length=1, description="Default: the provider's VM service (ec2, gce...)."
    )
    instance_type: str = Field(min_length=1, description="As named in the catalog.")
    count: AtLeastOneReplica = Field(description="Instances in the window.")
    start_hours: HoursFromStart = Field(
        0.0, description="Hours after the jobs start (the plan's start) the window opens."
    )
    duration_hours: Hours = Field(description="How long the window lasts.")
    price_per_hour: UnitPrice = Field(
        description="Dollars per instance-hour (a block's upfront price / its instance-hours)."
    )

    @property
    def paid_in_full(self) -> bool:
        """Whether the whole window is paid whatever runs (blocks, calendar mode)."""
        return self.kind != "dws_flex_start"


class Cluster(Strict):
    """An on-premises (or self-run Kubernetes) GPU cluster."""

    kind: Literal["cluster"]
    name: PoolName = Field(description="The site's name.")
    accelerator: str = Field(min_length=1)
    gpus_per_node: GangSize
    nodes: AtLeastOneReplica
    cost_per_gpu_hour: UnitPrice = Field(0.0, description="Amortised dollars per GPU-hour.")
    region: str | None = Field(None, description="Where it is, for residency rules.")
    node_selector: dict[K8sLabelKey, K8sLabelValue] = Field(
        default_factory=dict, description="Labels that select the site's GPU nodes."
    )


class EdgePool(Strict):
    """Edge devices near users: a small quantised model answers there, plus the round trip."""

    kind: Literal["edge"]
    name: PoolName
    device: str = Field(min_length=1, description="A bundled device (e.g. jetson-orin-nx).")
    devices: AtLeastOneReplica
    regions: tuple[str, ...] = Field(min_length=1, description="Regions or sites served.")
    rtt_ms: RoundTripMs = Field(description="Network round trip from users to a device.")
    weights_dtype: Literal["bf16", "fp16", "fp8", "int8", "int4"] = Field(
        "int4", description="The quantisation models run at on the devices."
    )
    cost_per_device_hour: UnitPrice = 0.0
    memory_gb: MemoryGB | None = Field(None, description="For a device not bundled.")
    bandwidth_gbps: Throughput | None = Field(None, description="For a device not bundled.")
    tflops: Throughput | None = Field(None, description="Dense FP16 TFLOPS, not bundled.")

    @model_validator(mode="after")
    def _own_device_complete(self) -> EdgePool:
        given = [self.memory_gb, self.bandwidth_gbps, self.tflops]
        if any(v is not None for v in given) and None in given:
            raise ValueError("a device of your own needs memory_gb, bandwidth_gbps and tflops")
        return self


CapacityPool = Annotated[Reservation | TimeWindow | Cluster | EdgePool, Field(discriminator="kind")]
