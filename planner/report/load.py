"""Plan files for the report verbs: read through the one loader every verb uses."""

from planner.plans.io import load_plan as read_plan

__all__ = ["read_plan"]
