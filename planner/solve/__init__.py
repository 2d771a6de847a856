"""Solving: candidates, the MIP, running OR-Tools, diagnosing infeasibility, making the Plan."""

from planner.solve.run import SolveOptions
from planner.solve.solver import make_problem, solve

__all__ = ["SolveOptions", "make_problem", "solve"]
