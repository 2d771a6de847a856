"""Solving: a spec's candidates, the placement model, the strategy that solves it, the Plan.

Callers outside this package use what is exported here (the import contract keeps them off the
modules inside).
"""

from planner.solve.assemble import assemble_plan
from planner.solve.backend import SOLVER_NAME, SolveOptions
from planner.solve.planning import solve
from planner.solve.problem import make_problem

__all__ = ["SOLVER_NAME", "SolveOptions", "assemble_plan", "make_problem", "solve"]
