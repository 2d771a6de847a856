"""The Plan: the versioned, JSON-serialisable contract between planning and everything after it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import Field, computed_field, model_validator

from planner.plans.annotations import PlanAnnotations
from planner.plans.economics import HOURS_PER_MONTH, PlanEconomics, UnitCosts, plan_economics
from planner.plans.frozen import Frozen
from planner.plans.prices import PriceBasis, price_basis
from planner.spec.capacity import PoolName
from planner.spec.commitments import CommitmentName, CommitmentProduct
from planner.spec.deploy import Deploy
from planner.spec.grammars import (
    Identifier,
    K8sLabelKey,
    K8sLabelValue,
    ModelName,
    RegionName,
    ZoneName,
)
from planner.spec.models import Name as WorkloadName
from planner.spec.recurrence import ScheduleText

SCHEMA_VERSION = 3
"""Version 3 moved baselines, schedule, frontier and robust into one optional `annotations`
document (planner.plans.annotations). Version 2 added plan_date, spec_sha256, catalog_sha256,
per-bucket routed rates, typed deploy and robust sections, and meets_slo computed from the
predictions. Version 1 and 2 files are read and upgraded by planner.plans.io."""


class BucketRate(Frozen):
    """Requests per second of one request-size bucket routed onto an allocation."""

    input_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0)
    rps: float = Field(ge=0, allow_inf_nan=False)


GroupName = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9._+-]{1,128}(?:/[A-Za-z0-9._+-]{1,128}){0,7}$")
]
"""A shared instance group: provider/region/zone/service/instance type/pricing."""
ProviderName = Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")]
"""A cloud's name, or a pool's kind of provider (owned, edge)."""
CloudRegion = Annotated[str, Field(pattern=r"^[a-z0-9-]{1,32}/[A-Za-z0-9][A-Za-z0-9-]{0,62}$")]
"""provider/region, as a workload lists where it runs."""


class Allocation(Frozen):
    """Instances of one offering, at one pricing, given to one workload."""

    workload: WorkloadName
    kind: Literal["serving", "batch", "training"]
    provider: ProviderName
    region: RegionName
    zone: ZoneName = ""
    service: Identifier
    instance_type: Identifier
    accelerator: Identifier
    accelerators_per_instance: int = Field(ge=1)
    pricing: Literal["on_demand", "spot"]
    count: int = Field(ge=1, description="Instances running at once.")
    tp: int = Field(ge=1, description="Tensor-parallel degree of each replica.")
    replicas_per_instance: int = Field(ge=1)
    nodes_per_replica: int | None = Field(
        None,
        ge=1,
        description="Instances one model replica spans (a multi-node replica: tensor parallel "
        "over the tp devices inside each instance, pipeline parallel across the instances; "
        "count is then replicas x nodes_per_replica and replicas_per_instance 1). None: one.",
    )
    price_per_hour: float = Field(ge=0, description="Dollars per instance-hour.")
    cost_per_hour: float = Field(
        ge=0, description="count x price_per_hour, less what commitments cover (covered_per_hour)."
    )
    covered_per_hour: float = Field(
        0.0,
        ge=0,
        description="List $/h of this allocation that commitments (Savings Plans, reservations, "
        "CUDs) cover: paid by their committed_per_hour, so not again here.",
    )
    covered_by: dict[str, float] = Field(
        default_factory=dict,
        description="List $/h covered by each commitment, by name (they add up to "
        "covered_per_hour).",
    )
    routed_rps: float | None = None
    routed_by_bucket: list[BucketRate] = Field(
        default_factory=list,
        description="Serving: the routed rate of each request-size bucket of the workload "
        "(they sum to routed_rps).",
    )
    utilisation: float | None = Field(None, description="Routed load / sustainable rate.")
    ttft_ms: float | None = Field(
        None, description="Predicted TTFT before queueing (worst bucket)."
    )
    tpot_ms: float | None = Field(None, description="Predicted TPOT (worst bucket).")
    max_batch: int | None = Field(None, description="Serving: concurrent sequences per replica.")
    capacity_source: str = Field(
        "",
        description="Serving: where the replica capacity comes from: profile (a measured "
        "profile row for each bucket), derived (from a measured row of another bucket: a larger "
        "bucket's rate, or a neighbour's scaled by the roofline), roofline (the performance "
        "model), or several joined by '+' (some buckets each); empty for jobs and older plans.",
    )
    calibration: str | None = Field(
        None,
        description="Set when the capacity and timing figures rest on no fitted measurements "
        "(an uncalibrated accelerator family, performance-model capacity): says so in words. "
        "Unset when the family was fitted or measured profiles give every figure.",
    )
    max_context: int | None = Field(None, description="Serving: longest request (in + out tokens).")
    prefill_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Serving and batch: share of the replicas' time spent on prefill (input "
        "tokens) for the requests routed here (the workload's mix when none are), by the "
        "performance model's prefill and decode times; the rest is decode (output tokens). "
        "Input and output $/M tokens split the cost by it. None in older plans.",
    )
    capacity_pool: PoolName | None = Field(
        None, description="Owned capacity (the spec's capacity: pool) this runs on, if any."
    )
    shared_group: GroupName | None = Field(
        None, description="Shared: the instance group these replicas are packed into."
    )
    shared_instances: int | None = Field(
        None,
        description="Shared: instances in the group (count is then this workload's replicas, "
        "each of tp accelerators, and cost_per_hour its share of the group's cost).",
    )
    hours: float | None = Field(None, description="Batch/training: hours the instances run.")
    starts_at_hours: float | None = Field(
        None,
        description="Jobs in a time window (Capacity Block, DWS): hours after the start the "
        "window opens and the job starts (None: at the start).",
    )
    billed_hours: float | None = Field(
        None,
        description="Jobs in a window paid in full: instance-hours billed per instance (the "
        "window's length; None: the hours run).",
    )
    job_cost: float | None = Field(None, description="Batch/training: dollars for the job.")
    compatible_instances: list[InstanceOption] = Field(
        default_factory=list,
        description="Serving and batch on VMs: other instance types for the same replicas, "
        "cheapest per replica first, up to COMPATIBLE_TOLERANCE dearer per replica than this one.",
    )
    source: str = Field("", description="Where the price came from (the catalog row's source).")
    as_of: str = Field("", description="Date of the price (the catalog row's as_of).")
    price_kind: str = Field(
        "",
        description="What the price rests on: list, derived, estimate, user or refreshed (the "
        "catalog row's kind for this pricing); empty: not recorded.",
    )


class InstanceOption(Frozen):
    """Another instance type an allocation's replicas could run on unchanged: the same provider,
    region, service, accelerator, pricing and TP (a Karpenter NodePool offers these too)."""

    instance_type: str
    accelerators_per_instance: int
    replicas_per_instance: int
    vcpus: float
    memory_gib: float
    price_per_hour: float = Field(description="Dollars per instance-hour at the pricing.")
    price_per_replica_hour: float = Field(description="price_per_hour / replicas_per_instance.")


class Alternative(Frozen):
    """A next-best single choice for a workload, and what it would cost."""

    description: str
    cost: float


class WorkloadResult(Frozen):
    """How the plan serves one workload."""

    name: WorkloadName
    kind: Literal["serving", "batch", "training"]
    model: ModelName | None = Field(None, description="Model name (None for gpu_hours training).")
    hf_id: ModelName | Literal[""] = ""
    weights_dtype: str = "bf16"
    engine: Literal["vllm", "sglang", "trt-llm"] = Field(
        "vllm",
        description="Serving engine the capacity figures assume and the emitters deploy "
        "(plans made before engines were recorded: vllm, what they were sized and emitted for).",
    )
    priority: int = 0
    min_replicas: int | None = None
    max_replicas: int | None = None
    requests_per_second: float | None = None
    ttft_p95_ms: float | None = None
    tpot_ms: float | None = None
    deadline_hours: float | None = Field(None, description="Batch/training: the deadline.")
    schedule: ScheduleText | None = Field(
        None, description="Batch: when the job recurs (keyword or cron, UTC); None: runs once."
    )
    runs_per_month: float | None = Field(
        None, description="Batch with a schedule: runs in the average month (365 / 12 days)."
    )
    allowed_regions: list[RegionName] | None = Field(None, description="Residency rule, if any.")
    cost_per_hour: float
    job_cost: float = 0.0
    replicas: int = 0
    regions: list[CloudRegion] = Field(default_factory=list)
    meets_slo: bool = Field(
        True, description="Predicted TTFT and TPOT of every allocation are within the SLO."
    )
    slo_note: str = ""
    binding: list[str] = Field(default_factory=list, description="Constraints that bind.")
    alternatives: list[Alternative] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="Why capacity went unused, etc.")
    min_regions: int = Field(1, description="Placement rule: spread over this many regions.")
    survive_region_loss: bool = Field(False, description="Placement rule: lose any one region.")
    input_tokens: float | None = Field(
        None, description="Serving and batch: mean prompt tokens per request."
    )
    output_tokens: float | None = Field(
        None, description="Serving and batch: mean generated tokens per request."
    )
    requests: float | None = Field(None, description="Batch: requests in the job.")
    tokens_trained: float | None = Field(
        None, description="Training given as model + tokens: tokens processed."
    )
    engine_settings: dict[str, int | str | bool] = Field(
        default_factory=dict,
        description="Serving: engine settings the spec sets (max_num_seqs, "
        "max_num_batched_tokens, kv_cache_dtype, prefix_caching); sized with, emitted as flags.",
    )
    assumptions: list[str] = Field(
        default_factory=list,
        description="Sizing assumptions the spec asked for (prefix-cache hits, engine settings).",
    )


class CapacityUse(Frozen):
    """How the plan uses one pool of owned or committed capacity."""

    name: PoolName
    kind: Literal[
        "reservation", "commitment", "capacity_block", "dws_calendar", "dws_flex_start",
        "cluster", "edge",
    ]  # fmt: skip
    accelerator: Identifier | Literal[""]
    accelerators: int
    used: int
    idle: int
    utilisation: float
    committed_per_hour: float = Field(description="Paid whether used or not.")
    idle_commitment_per_hour: float = Field(description="The share paid for idle capacity.")
    commitment_remaining: float | None = Field(
        None, description="Dollars still to pay until the term ends."
    )
    term_end: str | None = None
    note: str = ""
    node_selector: dict[K8sLabelKey, K8sLabelValue] = Field(
        default_factory=dict, description="Cluster pools: labels of the site's GPU nodes."
    )
    weights_dtype: str | None = Field(None, description="Edge pools: precision of the models.")


class CommitmentUse(Frozen):
    """How the plan uses one commitment (Savings Plan, reservation, CUD) of the spec."""

    name: CommitmentName
    product: CommitmentProduct
    provider: ProviderName | Literal[""] = Field("", description="The cloud it is bought from.")
    scope: str = Field(description="Where it applies: cloud, services, region, family, type.")
    term_years: int
    unit: Literal["usd", "instances", "accelerators"]
    capacity: float = Field(description="What it covers each hour, in its unit (usd: list $/h).")
    committed_per_hour: float = Field(description="Paid whatever runs.")
    discount: float
    discount_kind: str = Field(description="user, published or estimate (bundled level).")
    covered_per_hour: float = Field(description="List $/h of the plan's usage it covers.")
    used: float = Field(description="Capacity used, in its unit.")
    utilisation: float = Field(description="used / capacity.")
    saving_per_hour: float = Field(
        description="covered_per_hour - committed_per_hour: what it saves against list prices "
        "(negative: it costs more than the usage it covers)."
    )


class SharedGroup(Frozen):
    """VM instances whose GPUs hold replicas of several shared workloads."""

    name: GroupName
    provider: ProviderName
    region: RegionName
    service: Identifier
    instance_type: Identifier
    accelerator: Identifier
    pricing: Literal["on_demand", "spot"]
    instances: int
    accelerators_per_instance: int
    accelerators_used: int
    cost_per_hour: float
    workloads: list[WorkloadName]


class CatalogSource(Frozen):
    """A catalog file the plan's prices were read from."""

    path: str = Field(description="As given (bundled:offerings.csv for the bundled catalog).")
    sha256: str = Field(description="Of the file's content, to tell catalog versions apart.")
    rows: int = Field(description="Offerings read from it.")


class Provenance(Frozen):
    """Where the plan's prices come from. Each allocation also names its row's source and
    as_of; the report derives the price dates from those."""

    currency: str = Field("USD", description="ISO 4217 code of every money figure.")
    hours_per_month: float = Field(HOURS_PER_MONTH, description="Hours in a month of $/month.")
    catalogs: list[CatalogSource] = Field(default_factory=list)
    perf_fit: str | None = Field(
        None,
        description="The efficiency fit the capacity figures use when not the bundled one: a "
        "`planner calibrate` file and its sha256 (--fit).",
    )


COMPATIBLE_TOLERANCE = 0.5
"""Plans list compatible instance types up to 50% dearer per replica; deploy settings narrow it."""

COMPUTED_FIELDS = ("economics", "price_basis")
"""Plan fields derived from the others on every dump; a plan file's copies are dropped on load
(they are re-derived, so a hand-edited figure can never disagree with the plan)."""


class Plan(Frozen):
    """A placement: allocations, their cost and how good the solution is; what it beat and the
    rest worked out around it are its optional `annotations`."""

    schema_version: Literal[3] = SCHEMA_VERSION
    plan_id: str = Field(
        description="Stable id of this plan: hash of the spec digest, the plan date and the "
        "allocations (planner.plans.identity.plan_id)."
    )
    plan_date: dt.date | None = Field(
        None,
        description="The date the plan was made for: reservation terms and the commitment "
        "still to pay are counted from it (None: upgraded from version 1, unknown).",
    )
    spec_sha256: str | None = Field(
        None, description="sha256 of the canonical JSON of the validated spec it was made for."
    )
    catalog_sha256: str | None = Field(
        None, description="sha256 of the canonical JSON of the catalog rows the allocations use."
    )
    status: Literal["optimal", "feasible"]
    objective: Literal["cost", "completion_time"]
    objective_value: float = Field(description="Serving $/h plus batch/training job dollars.")
    cost_per_hour: float = Field(description="Serving fleet dollars per hour.")
    cost_per_month: float = Field(description="Serving fleet dollars per month (730 h).")
    job_cost: float = Field(description="Batch and training jobs, dollars in total.")
    peak_cost_per_hour: float = Field(description="All instances running at once, $/h.")
    lower_bound: float
    gap: float = Field(description="(objective - lower bound) / objective.")
    solve_seconds: float
    solver: str
    allocations: list[Allocation]
    workloads: list[WorkloadResult]
    capacity: list[CapacityUse] = Field(
        default_factory=list, description="Owned and committed capacity, used and idle."
    )
    committed_per_hour: float = Field(
        0.0, description="Commitments paid whatever the plan (not in cost_per_hour: sunk)."
    )
    commitments: list[CommitmentUse] = Field(
        default_factory=list,
        description="The spec's Savings Plans, reservations and CUDs: what each covers.",
    )
    shared_groups: list[SharedGroup] = Field(
        default_factory=list, description="Instances shared by several workloads' replicas."
    )
    makespan_hours: float | None = Field(
        None, description="When the last batch/training job finishes, hours from the start."
    )
    deploy: Deploy = Field(
        default_factory=Deploy, description="The spec's deploy settings, for emitters/launchers."
    )
    annotations: PlanAnnotations | None = Field(
        None,
        description="Baselines, hourly schedule, frontier and robust coverage, as the use "
        "cases attach them (planner.plans.annotations); None: a plan made by the solver alone. "
        "Not part of the plan id.",
    )
    provenance: Provenance = Field(
        default_factory=Provenance, description="Catalog files and currency of the prices."
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="What the planner warned of when it made the plan (prices older than the "
        "allowed age, ...); printed on stderr too.",
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(k in data for k in COMPUTED_FIELDS):
            data = {k: v for k, v in data.items() if k not in COMPUTED_FIELDS}
        return data

    @computed_field(description="Unit economics ($/M tokens, $/1k requests, $/month), derived.")
    @cached_property
    def economics(self) -> PlanEconomics:
        """Worked out once per plan object (a report asks for it once per workload); a Plan is
        frozen, and model_copy() below drops the cached value from the copy it updates."""
        return plan_economics(self)

    @computed_field(
        description="The hourly cost by price kind, and the share resting on derived or "
        "estimated prices, derived."
    )
    @property
    def price_basis(self) -> PriceBasis:
        return price_basis(self)

    @cached_property
    def workload_indices(self) -> Mapping[str, tuple[int, ...]]:
        """Each workload's allocation indices, in plan order: one pass over the plan, once per
        plan object (a consumer asking per workload or per allocation stays linear in it)."""
        found: dict[str, list[int]] = {}
        for i, a in enumerate(self.allocations):
            found.setdefault(a.workload, []).append(i)
        return {name: tuple(mine) for name, mine in found.items()}

    @cached_property
    def workload_positions(self) -> Mapping[str, int]:
        """Where each workload's result is in `workloads` (its first place, if named twice)."""
        found: dict[str, int] = {}
        for j, r in enumerate(self.workloads):
            found.setdefault(r.name, j)
        return found

    def unit_costs_of(self, workload: str) -> UnitCosts | None:
        """The unit economics of `workload` (economics.workloads follows `workloads`' order)."""
        j = self.workload_positions.get(workload)
        found = self.economics.workloads
        if j is not None and j < len(found) and found[j].name == workload:
            return found[j]
        return next((u for u in found if u.name == workload), None)

    def allocations_of(self, workload: str) -> list[Allocation]:
        """The allocations of `workload`, in plan order (none for a name the plan lacks)."""
        return [self.allocations[i] for i in self.workload_indices.get(workload, ())]

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Plan:
        copied = super().model_copy(update=update, deep=deep)
        for derived in ("economics", "workload_indices", "workload_positions"):
            copied.__dict__.pop(derived, None)
        return copied

    def to_dataframe(self):
        """The allocations as a pandas DataFrame, one row each, with the plan id (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as err:
            raise ImportError(
                "Plan.to_dataframe needs pandas: pip install 'llm-placement-planner[pandas]'"
            ) from err
        columns = ["plan_id", *Allocation.model_fields]
        rows = [{"plan_id": self.plan_id, **a.model_dump()} for a in self.allocations]
        optional = ("routed_rps", "utilisation", "ttft_ms", "tpot_ms", "hours", "job_cost")
        return pd.DataFrame(rows, columns=columns).astype({c: "float64" for c in optional})
