"""The workload spec: pydantic v2 models for one file of `workloads:`, `constraints:` and `models:`.

Every model forbids unknown keys (a typo must never pass silently) and is frozen.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from planner.bounds import (
    AcceleratorCount,
    AtLeastOneReplica,
    Budget,
    ContextTokens,
    Fraction,
    GangSize,
    GpuHours,
    Hours,
    MemoryGB,
    Millis,
    ModelDimension,
    ParamsB,
    Priority,
    Rate,
    Regions,
    Replicas,
    Requests,
    Share,
    Tokens,
    TotalTokens,
    Vocabulary,
)
from planner.facts.llms import LLM
from planner.spec.base import CloudName, Strict
from planner.spec.capacity import CapacityPool
from planner.spec.commitments import Commitment
from planner.spec.deploy import Deploy
from planner.spec.grammars import HfRepoId, Identifier, ModelName, RegionName
from planner.spec.recurrence import parse_schedule

Provider = CloudName
CountryCode = Annotated[
    str, Field(pattern=r"^[A-Z]{2}$", description="An ISO 3166-1 alpha-2 country code (DE).")
]
Service = Literal["vm", "sagemaker", "vertex", "kubernetes"]
Pricing = Literal["on_demand", "spot"]
WeightsDtype = Literal["bf16", "fp16", "fp8", "int8", "int4", "fp4"]
Engine = Literal["vllm", "sglang", "trt-llm"]
Objective = Literal["cost", "completion_time"]

NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
Name = Annotated[
    str,
    Field(
        pattern=NAME_PATTERN,
        description="Lower-case letters, digits and '-', 1-63 characters (a DNS label: safe as a "
        "Kubernetes, SageMaker or Vertex resource name).",
    ),
]


class Bucket(Strict):
    """One request size in a traffic histogram, with its share of the requests."""

    input_tokens: Tokens = Field(description="Prompt tokens per request.")
    output_tokens: Tokens = Field(description="Generated tokens per request.")
    fraction: Fraction = Field(description="Share of requests of this size.")


class Traffic(Strict):
    """Request rate and request sizes: either averages or a histogram of buckets."""

    requests_per_second: Rate = Field(description="Peak request rate (requests/s).")
    input_tokens: Tokens | None = Field(None, description="Average prompt tokens per request.")
    output_tokens: Tokens | None = Field(None, description="Average generated tokens per request.")
    buckets: tuple[Bucket, ...] | None = Field(
        None, min_length=1, description="Histogram of request sizes; fractions sum to 1."
    )
    prefix_hit_rate: Share | None = Field(
        None,
        description="Expected share of prompt tokens found in the engine's prefix cache (a "
        "shared system prompt, multi-turn history); their prefill is skipped. Give this or "
        "shared_prefix_tokens.",
    )
    shared_prefix_tokens: Tokens | None = Field(
        None,
        description="Prompt tokens every request shares (a system prompt), cached after the "
        "first request; give this or prefix_hit_rate.",
    )
    hourly_profile: tuple[Share, ...] | None = Field(
        None,
        min_length=24,
        max_length=24,
        description="24 values, hour 0-23 (UTC): the rate in that hour as a fraction of "
        "requests_per_second (the peak).",
    )

    @model_serializer(mode="wrap")
    def _omit_unset_prefix(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The prefix fields only where the spec sets them: a spec without them keeps the
        digest (and its saved plans their spec match) it had before the fields existed."""
        data = handler(self)
        if isinstance(data, dict):
            for name in ("prefix_hit_rate", "shared_prefix_tokens"):
                if data.get(name) is None:
                    data.pop(name, None)
        return data

    @model_validator(mode="after")
    def _prefix_given_once(self) -> Traffic:
        if self.prefix_hit_rate is not None and self.shared_prefix_tokens is not None:
            raise ValueError("give prefix_hit_rate or shared_prefix_tokens, not both")
        if self.prefix_hit_rate is not None and self.prefix_hit_rate >= 1:
            raise ValueError("prefix_hit_rate must be below 1 (some of each prompt is new)")
        return self

    def prefix_hit(self, input_tokens: int) -> float:
        """The share of a prompt of `input_tokens` the prefix cache holds."""
        if self.shared_prefix_tokens is not None:
            return min(self.shared_prefix_tokens, input_tokens - 1) / input_tokens
        return self.prefix_hit_rate or 0.0

    @model_validator(mode="after")
    def _sizes_given_once(self) -> Traffic:
        averages = (self.input_tokens, self.output_tokens)
        if self.buckets is None:
            if None in averages:
                raise ValueError(
                    "give request sizes either as input_tokens and output_tokens (averages) "
                    "or as buckets (a histogram)"
                )
        else:
            if averages != (None, None):
                raise ValueError(
                    "give request sizes as input_tokens/output_tokens or as buckets, not both"
                )
            total = math.fsum(b.fraction for b in self.buckets)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"bucket fractions must sum to 1 (they sum to {total:g})")
        return self

    def request_buckets(self) -> tuple[Bucket, ...]:
        """The request-size histogram (a single bucket when averages were given)."""
        if self.buckets is not None:
            return self.buckets
        assert self.input_tokens is not None and self.output_tokens is not None
        return (
            Bucket(input_tokens=self.input_tokens, output_tokens=self.output_tokens, fraction=1),
        )


class EngineSettings(Strict):
    """Serving-engine settings the user sets instead of the engine's defaults: sizing uses them
    and the emitted server flags carry them (planner/facts/engine_defaults.py: the defaults)."""

    max_num_seqs: AtLeastOneReplica | None = Field(
        None,
        description="Most requests the engine runs at once (vLLM --max-num-seqs, SGLang "
        "--max-running-requests, TensorRT-LLM --max_batch_size); default: the engine's.",
    )
    max_num_batched_tokens: Tokens | None = Field(
        None,
        description="Most tokens one engine step takes (vLLM --max-num-batched-tokens, SGLang "
        "--chunked-prefill-size, TensorRT-LLM --max_num_tokens); default: the engine's.",
    )
    kv_cache_dtype: Literal["fp8", "fp4"] | None = Field(
        None,
        description="fp8: store the KV cache in 8 bits (twice the tokens per GiB); fp4: in 4 "
        "bits with 8-bit block scales (about 3.5 times), only where the engine's deployed "
        "release keeps one on the chip (planner/facts/data/kv_cache_dtypes.csv); default: "
        "16-bit. vLLM and SGLang only.",
    )

    @property
    def kv_dtype(self) -> str:
        """The KV dtype asked for; empty: the engine's default."""
        return self.kv_cache_dtype or ""

    prefix_caching: bool | None = Field(
        None,
        description="Prefix caching on or off; default: the engine's (on for vLLM 0.8.5, "
        "SGLang, TensorRT-LLM 1.0). vLLM and SGLang only.",
    )

    def given(self) -> dict[str, int | str | bool]:
        """The settings the user gave, by name."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class ServingSLO(Strict):
    """Latency targets for a serving endpoint."""

    ttft_p95_ms: Millis | None = Field(
        None, description="95th percentile time to first token, including queueing (ms)."
    )
    tpot_ms: Millis | None = Field(None, description="Time per output token (ms).")


MIN_REGION_SHARE = 0.1
"""Default least share of a workload's requests a region carries to count toward min_regions."""


class Placement(Strict):
    """Where a workload may run and how it may be spread."""

    providers: tuple[Provider, ...] | None = Field(
        None, min_length=1, description="Allowed clouds; all when omitted."
    )
    regions: tuple[RegionName, ...] | None = Field(
        None, min_length=1, description="Allowed regions (data residency); all when omitted."
    )
    countries: tuple[CountryCode, ...] | None = Field(
        None,
        min_length=1,
        description="Allowed countries (data residency), ISO 3166-1 alpha-2 codes such as DE; "
        "a region counts where its cloud's registry entry names its country (own clusters, edge "
        "devices and regions of unknown country are left out); all when omitted.",
    )
    services: tuple[Service, ...] | None = Field(
        None,
        min_length=1,
        description="Allowed ways to run: vm, sagemaker, vertex, kubernetes; all when omitted.",
    )
    accelerators: tuple[str, ...] | None = Field(
        None,
        min_length=1,
        description="Allowed accelerator types (names or aliases: H100, L4...); all when omitted.",
    )
    spot: bool | None = Field(
        None,
        description="Allow spot/preemptible capacity. Default: allowed for preemptible batch and "
        "training jobs, not for serving.",
    )
    max_spot_share: Share = Field(
        1.0, description="Largest share of the workload's capacity that may be spot."
    )
    min_regions: Regions = Field(
        1,
        description="Spread over at least this many regions, each carrying at least "
        "min_region_share of the requests (serving).",
    )
    min_region_share: Share = Field(
        MIN_REGION_SHARE,
        description="Least share of the workload's requests a region must carry to count "
        "toward min_regions (default 0.1: a standby instance carrying 0.1% of the traffic does "
        "not make a second region).",
    )
    survive_region_loss: bool = Field(
        False, description="Keep the demand served if any one region is lost."
    )
    priority: Priority = Field(0, description="Higher runs first when capacity is short.")
    allow_uncalibrated: bool = Field(
        False,
        description="Allow accelerators whose family has no fitted measurements (their capacity "
        "is the median of the fitted families, flagged uncalibrated in the plan). Naming a chip "
        "in `accelerators` or giving measured profiles for it also allows it.",
    )

    @model_validator(mode="after")
    def _spread_adds_up(self) -> Placement:
        if self.min_regions * self.min_region_share > 1 + 1e-9:
            raise ValueError(
                f"min_regions {self.min_regions} x min_region_share {self.min_region_share:g} "
                "is more than all of the traffic"
            )
        return self


SERVING_ONLY_PLACEMENT: dict[str, object] = {
    "min_regions": 1,
    "min_region_share": MIN_REGION_SHARE,
    "survive_region_loss": False,
}
"""Placement fields about spreading requests over regions, with their defaults: a batch or
training job has no traffic to spread, so it may not set them (planner.rules.regions and
planner.rules.region_loss name serving as their only kind)."""


class WorkloadBase(Strict):
    """Fields every workload has."""

    name: Name
    weights_dtype: WeightsDtype = Field("bf16", description="Precision of the model weights.")
    placement: Placement = Placement()

    @model_validator(mode="after")
    def _placement_fits_the_kind(self) -> WorkloadBase:
        kind = getattr(self, "kind", "serving")
        if kind == "serving":
            return self
        for name, default in SERVING_ONLY_PLACEMENT.items():
            if getattr(self.placement, name) != default:
                raise ValueError(
                    f"placement.{name} applies to serving workloads only: a {kind} job has no "
                    "requests to spread over regions; remove it"
                )
        return self


class ServingWorkload(WorkloadBase):
    """An online endpoint with traffic and latency SLOs."""

    kind: Literal["serving"]
    model: ModelName = Field(description="A bundled model name or one under `models:`.")
    engine: Engine = Field(
        "vllm", description="Serving engine the capacity figures assume (vllm: what emit deploys)."
    )
    engine_settings: EngineSettings = Field(
        EngineSettings(), description="Engine settings that replace the engine's defaults."
    )
    traffic: Traffic
    slo: ServingSLO = ServingSLO()
    min_replicas: Replicas = Field(1, description="Fewest replicas to run.")
    max_replicas: AtLeastOneReplica | None = Field(None, description="Most replicas to run.")
    edge_share_max: Share = Field(
        0.0, description="Largest share of requests edge devices may serve."
    )
    sharing: Literal["dedicated", "shared"] = Field(
        "dedicated",
        description="shared: replicas may be packed onto multi-GPU VM instances together with "
        "other shared workloads (each replica takes whole GPUs); dedicated: instances of its own.",
    )

    @model_serializer(mode="wrap")
    def _omit_unset_engine_settings(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """engine_settings only where the spec sets some: a spec without them keeps its digest."""
        data = handler(self)
        if isinstance(data, dict) and not any(
            v is not None for v in (data.get("engine_settings") or {}).values()
        ):
            data.pop("engine_settings", None)
        return data

    @model_validator(mode="after")
    def _engine_takes_the_settings(self) -> ServingWorkload:
        given = self.engine_settings
        if self.engine == "trt-llm" and (
            given.kv_cache_dtype is not None or given.prefix_caching is not None
        ):
            raise ValueError(
                "engine_settings: kv_cache_dtype and prefix_caching are vLLM and SGLang server "
                "flags; trtllm-serve takes them from an options file the planner does not write"
            )
        return self

    @model_validator(mode="after")
    def _replica_bounds(self) -> ServingWorkload:
        if self.max_replicas is not None and self.min_replicas > self.max_replicas:
            raise ValueError(
                f"min_replicas ({self.min_replicas}) is above max_replicas ({self.max_replicas})"
            )
        return self


class BatchVolume(Strict):
    """How much a batch job processes: a request shape and a count or total token volume."""

    input_tokens: Tokens = Field(description="Prompt tokens per request.")
    output_tokens: Tokens = Field(description="Generated tokens per request.")
    requests: Requests | None = Field(None, description="Number of requests.")
    total_tokens: TotalTokens | None = Field(
        None, description="Total tokens (input + output) instead of a request count."
    )

    @model_validator(mode="after")
    def _one_amount(self) -> BatchVolume:
        if (self.requests is None) == (self.total_tokens is None):
            raise ValueError("give exactly one of requests or total_tokens")
        return self

    @property
    def request_count(self) -> float:
        """Requests in the job (derived from total_tokens when that was given)."""
        if self.requests is not None:
            return float(self.requests)
        assert self.total_tokens is not None
        return self.total_tokens / (self.input_tokens + self.output_tokens)


class BatchWorkload(WorkloadBase):
    """Offline inference over a fixed volume, due by a deadline."""

    kind: Literal["batch"]
    model: ModelName = Field(description="A bundled model name or one under `models:`.")
    engine: Engine = Field(
        "vllm",
        description="Serving engine the throughput figures assume (vllm: what emit deploys).",
    )
    volume: BatchVolume
    deadline_hours: Hours = Field(description="Hours from start to finish the job.")
    preemptible: bool = Field(False, description="The job tolerates preemption (spot capacity).")
    schedule: str | None = Field(
        None,
        min_length=1,
        description="A recurring job: hourly, daily, weekly, monthly or a cron expression "
        "('30 2 * * *', UTC); every run is costed in $/month figures. None: runs once.",
    )

    @field_validator("schedule")
    @classmethod
    def _schedule_parses(cls, value: str | None) -> str | None:
        if value is not None and parse_schedule(value).runs_per_month == 0:
            raise ValueError(f"schedule {value!r} never runs")
        return value


class TrainingWorkload(WorkloadBase):
    """A training or fine-tuning job: a gang of accelerators on one instance type."""

    kind: Literal["training"]
    model: ModelName | None = Field(None, description="Model trained (with `tokens`).")
    tokens: TotalTokens | None = Field(None, description="Training tokens processed (with model).")
    gpu_hours: GpuHours | None = Field(
        None, description="Work in accelerator-hours on `reference_accelerator`."
    )
    reference_accelerator: str | None = Field(
        None, min_length=1, description="Accelerator that `gpu_hours` is measured on."
    )
    min_accelerator_memory_gb: MemoryGB | None = Field(
        None, description="Each accelerator needs at least this much memory (GB)."
    )
    gang_size: GangSize = Field(1, description="Accelerators that must run together.")
    deadline_hours: Hours | None = Field(None, description="Hours to finish the job.")
    preemptible: bool = Field(False, description="The job tolerates preemption (spot capacity).")

    @model_validator(mode="after")
    def _work_given_once(self) -> TrainingWorkload:
        by_model = self.model is not None or self.tokens is not None
        by_hours = self.gpu_hours is not None or self.reference_accelerator is not None
        if by_model and by_hours:
            raise ValueError(
                "give the work either as model + tokens or as gpu_hours + reference_accelerator"
            )
        if by_hours and (self.gpu_hours is None or self.reference_accelerator is None):
            raise ValueError("gpu_hours and reference_accelerator go together")
        if not by_hours and (self.model is None or self.tokens is None):
            raise ValueError(
                "give the work as model + tokens or as gpu_hours + reference_accelerator"
            )
        return self


Workload = Annotated[
    ServingWorkload | BatchWorkload | TrainingWorkload, Field(discriminator="kind")
]
WORKLOAD_KINDS = {"serving": ServingWorkload, "batch": BatchWorkload, "training": TrainingWorkload}


class Quota(Strict):
    """Most accelerators usable in one (provider, region, accelerator[, pricing]) pool."""

    provider: Provider
    region: RegionName
    accelerator: Identifier
    pricing: Pricing | None = Field(None, description="Limit only this pricing; both when omitted.")
    max_accelerators: AcceleratorCount


class Constraints(Strict):
    """Limits shared by all workloads, and what to optimise."""

    budget_per_hour: Budget | None = Field(None, description="Most dollars per hour.")
    quotas: tuple[Quota, ...] = ()
    objective: Objective = "cost"


class ModelDefinition(Strict):
    """A model the bundled list lacks: its shape, as in its config.json."""

    name: ModelName
    params_b: ParamsB = Field(description="Total parameters, billions.")
    active_params_b: ParamsB | None = Field(
        None, description="Parameters active per token (MoE), billions; default params_b."
    )
    layers: ModelDimension
    hidden_size: ModelDimension
    attention_heads: ModelDimension
    kv_heads: ModelDimension
    head_dim: ModelDimension | None = Field(
        None, description="Default hidden_size / attention_heads."
    )
    vocab_size: Vocabulary = 0
    max_context: ContextTokens = Field(0, description="Context window (tokens); 0: not limited.")
    hf_id: HfRepoId = ""

    def to_llm(self) -> LLM:
        """The model as the performance model's LLM value."""
        return LLM(
            name=self.name,
            params_b=self.params_b,
            active_params_b=self.active_params_b or self.params_b,
            layers=self.layers,
            hidden_size=self.hidden_size,
            attention_heads=self.attention_heads,
            kv_heads=self.kv_heads,
            head_dim=self.head_dim or self.hidden_size // self.attention_heads,
            vocab_size=self.vocab_size,
            max_context=self.max_context,
            hf_id=self.hf_id,
        )


class Spec(Strict):
    """One spec file: the workloads to place, shared constraints and extra model definitions."""

    workloads: tuple[Workload, ...] = Field(min_length=1)
    constraints: Constraints = Constraints()
    models: tuple[ModelDefinition, ...] = ()
    capacity: tuple[CapacityPool, ...] = Field(
        (), description="Reservations, commitments, own clusters and edge devices to use first."
    )
    deploy: Deploy = Deploy()
    commitments: tuple[Commitment, ...] = Field(
        (),
        description="Savings Plans, reserved instances, CUDs, Azure reservations and savings "
        "plans, and negotiated discounts: usage they cover is priced at the committed rate.",
    )

    @model_validator(mode="after")
    def _commitment_names_unique(self) -> Spec:
        names = [c.name for c in self.commitments]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"commitment names must be unique: {', '.join(twice)} repeated")
        return self

    def user_llms(self) -> tuple[LLM, ...]:
        """Models defined in this file, as LLM values."""
        return tuple(m.to_llm() for m in self.models)


def kv_dtype_of(workload: Workload) -> str:
    """The KV-cache dtype a workload's engine_settings ask for; empty: the engine's default."""
    settings = getattr(workload, "engine_settings", None)
    return settings.kv_dtype if settings is not None else ""
