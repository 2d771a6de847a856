"""A solved placement, whichever strategy found it: instance counts, per-bucket routing,
batch hours, training choices and shared instances, keyed by (workload, candidate index)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from planner.solve.backend import Outcome
from planner.solve.mip import Built, PlacementProblem


@dataclass
class Solution:
    """Values of one plan's decisions; missing keys are zero."""

    counts: dict[tuple[str, int], int] = field(default_factory=dict)
    """Instances of each serving or batch candidate; 1 for a chosen training candidate."""
    shares: dict[tuple[str, int, int], float] = field(default_factory=dict)
    """Share of bucket b of workload w routed to candidate i, by (w, i, b)."""
    hours: dict[tuple[str, int], float] = field(default_factory=dict)
    """Batch: instance-hours on each candidate."""
    shared_instances: dict[tuple, int] = field(default_factory=dict)
    """Instances bought for each shared group."""

    def count(self, workload: str, i: int) -> int:
        return self.counts.get((workload, i), 0)

    def shares_by_workload(self) -> dict[str, dict[tuple[int, int], float]]:
        """Each workload's routing shares by (candidate index, bucket), grouped in one pass (a
        plan's workloads read theirs from it: scanning every share for each workload is
        quadratic in the fleet)."""
        out: dict[str, dict[tuple[int, int], float]] = {}
        for (name, i, b), x in self.shares.items():
            out.setdefault(name, {})[(i, b)] = x
        return out

    def reindexed(self, index: Mapping[tuple[str, int], int]) -> Solution:
        """This solution with each (workload, candidate index) key moved to `index`'s (a
        problem restricted to some candidates and the full one)."""
        return Solution(
            counts={(w, index[(w, i)]): n for (w, i), n in self.counts.items()},
            shares={(w, index[(w, i)], b): x for (w, i, b), x in self.shares.items()},
            hours={(w, index[(w, i)]): h for (w, i), h in self.hours.items()},
            shared_instances=dict(self.shared_instances),
        )

    def merge(self, other: Solution) -> None:
        """Add the decisions of a solution of other workloads (a block solved apart)."""
        self.counts.update(other.counts)
        self.shares.update(other.shares)
        self.hours.update(other.hours)
        self.shared_instances.update(other.shared_instances)


def positions(problem: PlacementProblem, sub: PlacementProblem) -> dict[tuple[str, int], int]:
    """Where each candidate of `sub`, a problem restricted to some of `problem`'s candidates,
    stands in `problem`: (workload, index in sub) -> index in problem."""
    return {
        (w, j): full[id(c)]
        for w, cands in sub.candidates.items()
        for full in [{id(c): i for i, c in enumerate(problem.candidates[w])}]
        for j, c in enumerate(cands)
    }


def read_solution(problem: PlacementProblem, built: Built, outcome: Outcome) -> Solution:
    """The solution a MathOpt run of `built` found."""
    values = outcome.result.variable_values()
    out = Solution()
    for key, var in built.n.items():
        if (n := round(values[var])) > 0:
            out.counts[key] = n
    for key, var in built.z.items():
        if values[var] > 0.5:
            out.counts[key] = 1
    for key, var in built.x.items():
        if (share := values[var]) > 0:
            out.shares[key] = share
    for key, var in built.h.items():
        out.hours[key] = values[var]
    for group, var in built.m.items():
        out.shared_instances[group] = round(values[var])
    return out
