"""Plans: the result model, and checking a plan against its spec independently of the solver."""

from planner.plan.model import Allocation, Baseline, Plan, WorkloadResult

__all__ = ["Allocation", "Baseline", "Plan", "WorkloadResult"]
