"""Solving: a spec's candidates, the placement model, the strategy that solves it, the Plan.

Callers outside this package use what is exported here (the import contract keeps them off the
modules inside).
"""

from planner.solve.assemble import assemble_plan
from planner.solve.backend import SOLVER_NAME, SolveOptions
from planner.solve.fleet import Fleet, solve_fleet
from planner.solve.mip import PlacementProblem, World, spec_world
from planner.solve.planning import solve, solved, with_fit, with_price_warnings
from planner.solve.problem import make_problem
from planner.solve.solved import Solved

__all__ = [
    "SOLVER_NAME",
    "Fleet",
    "PlacementProblem",
    "SolveOptions",
    "Solved",
    "World",
    "assemble_plan",
    "make_problem",
    "solve",
    "solve_fleet",
    "solved",
    "spec_world",
    "with_fit",
    "with_price_warnings",
]
