"""The simulator's report: latency, waiting, utilisation and SLO attainment per workload."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LatencyFigures(Frozen):
    """Percentiles over the simulated requests, in milliseconds."""

    requests: int = 0
    ttft_p50_ms: float | None = None
    ttft_p95_ms: float | None = None
    ttft_p99_ms: float | None = None
    e2e_p50_ms: float | None = None
    e2e_p95_ms: float | None = None
    e2e_p99_ms: float | None = None
    wait_mean_ms: float | None = Field(None, description="Time not being served, mean.")
    wait_p95_ms: float | None = None
    slo_attainment: float | None = Field(
        None, description="Share of requests whose TTFT met the workload's ttft_p95_ms."
    )


class ClassLatency(LatencyFigures):
    """The figures of one priority class (higher is served first)."""

    priority: int


class WorkloadSimulation(LatencyFigures):
    """One serving workload under simulation."""

    workload: str
    utilisation: float | None = Field(None, description="Busy share of the replicas' slots.")
    planned_utilisation: float | None = Field(None, description="The plan's, over its replicas.")
    ttft_slo_ms: float | None = None
    meets_slo: bool | None = Field(None, description="At least 95% of TTFTs within the SLO.")
    classes: list[ClassLatency] = []


class SimulationReport(Frozen):
    """A simulation of every serving workload of a plan under one queue discipline."""

    policy: str
    seed: int
    source: str = Field(description="'poisson' or the trace file.")
    requests: int
    workloads: list[WorkloadSimulation]
