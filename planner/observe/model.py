"""The observation: per workload, what a source measured over a window (None: not measured)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

NO_DATA = "no data"


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Point(Frozen):
    """One step of a time series: its end (Unix seconds) and the mean over the step."""

    t: float
    value: float


class WorkloadObservation(Frozen):
    """What was measured for one workload. Fractions are 0-1; latencies in milliseconds."""

    workload: str
    status: Literal["ok", "no data"] = Field(
        description="'no data' when no request series was found: never read as zero traffic."
    )
    note: str = ""
    rps_mean: float | None = None
    rps_p95: float | None = Field(None, description="95th percentile of the step means.")
    rps_steps: tuple[Point, ...] = ()
    input_tokens: float | None = Field(None, description="Mean prompt tokens per request.")
    output_tokens: float | None = Field(None, description="Mean generated tokens per request.")
    hourly_profile: tuple[float, ...] | None = Field(
        None, description="24 values, UTC hours, as fractions of the busiest hour."
    )
    ttft_p95_ms: float | None = None
    ttft_mean_ms: float | None = None
    tpot_p95_ms: float | None = None
    tpot_mean_ms: float | None = None
    request_latency_p95_ms: float | None = Field(None, description="Whole request (CloudWatch).")
    request_latency_mean_ms: float | None = None
    overhead_latency_mean_ms: float | None = None
    gpu_utilisation: float | None = None
    gpu_memory_used_gib: float | None = None
    gpu_memory_utilisation: float | None = None
    cpu_utilisation: float | None = Field(
        None, description="CloudWatch's scale: 1.0 per fully busy vCPU."
    )
    kv_cache_usage: float | None = None
    requests_running: float | None = Field(None, description="Mean per replica.")
    requests_waiting: float | None = Field(None, description="Mean per replica.")
    replicas: float | None = Field(None, description="Mean replicas running over the window.")

    @property
    def has_traffic(self) -> bool:
        """Requests were measured and some arrived: the only case right-sizing acts on."""
        return self.status == "ok" and bool(self.rps_mean) and bool(self.rps_p95)


class Observation(Frozen):
    """Everything one source said about one plan's serving workloads over one window."""

    source: str = Field(
        min_length=1, description="The `planner observe --source` that measured it."
    )
    url: str
    plan_id: str
    label: str = Field("", description="The series label that names workloads (Prometheus).")
    start: float
    end: float
    step_s: float
    workloads: tuple[WorkloadObservation, ...]
    notes: tuple[str, ...] = ()

    @property
    def window_s(self) -> float:
        return self.end - self.start

    def of(self, workload: str) -> WorkloadObservation | None:
        """The observation of `workload`, or None when the plan had no such serving workload."""
        return next((w for w in self.workloads if w.workload == workload), None)
