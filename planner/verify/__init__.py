"""Verify: a consumer of the Plan that re-checks it against its spec and catalog, independently
of the solver (it shares only the public planning rules of `planner.solve.candidates`)."""

from planner.verify.checks import Capacity, Violation, residency_violations, verify

__all__ = ["Capacity", "Violation", "residency_violations", "verify"]
