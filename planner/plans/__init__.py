"""Plans: the result model, and checking a plan against its spec independently of the solver."""

from planner.plans.annotations import Baseline, PlanAnnotations, annotations_of
from planner.plans.model import Allocation, Plan, WorkloadResult

__all__ = ["Allocation", "Baseline", "Plan", "PlanAnnotations", "WorkloadResult", "annotations_of"]
