"""Job scheduling on limited capacity, a request-level simulator of serving plans, and the
hourly (autoscaled) replica schedule against the peak-sized static fleet.

    jobs = load_jobs("examples/jobs/jobs.yaml")
    problem = build_problem(jobs)
    comparison = compare_policies(problem, objective="weighted-completion")
    report = simulate(plan, spec, requests=100_000, policy="fcfs", seed=0)
    hours = autoscale(plan, spec)
"""

from planner.schedule.autoscale import (
    AllocationHours,
    AutoscaleBounds,
    AutoscalePlan,
    WorkloadAutoscale,
    autoscale,
)
from planner.schedule.compare import POLICIES, Comparison, best_list_schedule, compare_policies
from planner.schedule.durations import build_problem, job_hours
from planner.schedule.gantt import write_gantt
from planner.schedule.jobs import Job, JobsFile, Options, Pool
from planner.schedule.jobs_load import load_jobs, parse_jobs
from planner.schedule.metrics import ScheduleMetrics, objective_value, schedule_metrics
from planner.schedule.optimal import optimal_schedule
from planner.schedule.policies import LIST_POLICIES, NON_PREEMPTIVE, list_schedule
from planner.schedule.problem import (
    OBJECTIVES,
    PoolSpec,
    Schedule,
    SchedulingProblem,
    Segment,
    Task,
)
from planner.schedule.queue_sim import QUEUE_POLICIES, QueueResult, serve
from planner.schedule.replicas import ServingModel, serving_models
from planner.schedule.report import SimulationReport, WorkloadSimulation
from planner.schedule.simulate import simulate
from planner.schedule.trace import Trace, parse_trace, read_trace

__all__ = [
    "LIST_POLICIES",
    "NON_PREEMPTIVE",
    "OBJECTIVES",
    "POLICIES",
    "QUEUE_POLICIES",
    "AllocationHours",
    "AutoscaleBounds",
    "AutoscalePlan",
    "Comparison",
    "Job",
    "JobsFile",
    "Options",
    "Pool",
    "PoolSpec",
    "QueueResult",
    "Schedule",
    "ScheduleMetrics",
    "SchedulingProblem",
    "Segment",
    "ServingModel",
    "SimulationReport",
    "Task",
    "Trace",
    "WorkloadAutoscale",
    "WorkloadSimulation",
    "autoscale",
    "best_list_schedule",
    "build_problem",
    "compare_policies",
    "job_hours",
    "list_schedule",
    "load_jobs",
    "objective_value",
    "optimal_schedule",
    "parse_jobs",
    "parse_trace",
    "read_trace",
    "schedule_metrics",
    "serve",
    "serving_models",
    "simulate",
    "write_gantt",
]
