"""Plans: the result model, and checking a plan against its spec independently of the solver."""

from planner.plans.model import Allocation, Baseline, Plan, WorkloadResult

__all__ = ["Allocation", "Baseline", "Plan", "WorkloadResult"]
