"""Lagrangian decomposition of the fleet: the strategy for large fleets.

The shared rows (quotas, owned pools, the budget) are the only constraints that tie workloads
together. Priced with multipliers pi >= 0 they move into the objective and the fleet falls
apart into one small problem per workload:

    L(pi) = sum_w min_{plans of w} (cost_w + pi . use_w) - pi . capacity   <= the optimum

for every pi (weak duality), so each evaluation is a proven lower bound, and with integer
per-workload optima it is at least the LP bound at the LP's duals. Steps:

1. the fleet's LP relaxation (GLOP, `planner.solve.lp`): a lower bound and the first prices (duals);
2. each workload solved alone at the prices: serving exactly by `subproblem` (covering rows
   and branch and bound), training by enumeration, batch and workloads with spread,
   spot-share, edge-share or replica caps by a small MIP (SCIP); identical subproblems once;
3. a few subgradient steps on the prices, keeping the best bound and every plan seen;
4. repair: workloads on overflowing rows re-solved, largest first, within what is left;
   after the first, the serving workloads that compete for the rows the LP prices re-solved
   together, ten at a time, by the fleet MIP over them (a neighbourhood: the others fixed);
5. a restricted master MIP choosing one of the plans seen per workload (polish).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from planner.clock import Deadline
from planner.compute.executors import Executor
from planner.rules import capacity, deadlines, families, routing
from planner.rules.rows import JobView, ServingView
from planner.solve.backend import SolveOptions, fast_sum, new_model, run, run_model
from planner.solve.candidates import Candidate
from planner.solve.lp import SparseLP
from planner.solve.mip import OWNED_TIE_BREAK, PlacementProblem, build, instance_bound
from planner.solve.parallel import beside, parallel_map
from planner.solve.solution import Solution, read_solution
from planner.solve.subproblem import MAX_BUCKETS, covering_rows, solve_covering
from planner.spec.models import BatchWorkload, ServingWorkload, TrainingWorkload

_EPS = 1e-9
SUB_TOLERANCE = 1e-4
"""Relative tolerance of each workload's branch and bound (its bound accounts for it); looser
where the fleet's gap target is: an eighth of it (see sub_tolerance)."""
SUB_NODES = 5_000
REPAIR_TOLERANCE = 1e-4
"""Repairs are heuristics (the master MIP polishes them): a looser tolerance, fewer nodes."""
REPAIR_NODES = 3_000
STALL_ITERATIONS = 2
"""Price steps in a row that improve neither the plan nor the bound before the steps stop."""
NEIGHBOURHOOD_SHARE = 0.5
"""At most this share of the time left goes to the neighbourhood MIPs."""
NEIGHBOURHOOD_MISSES = 3
"""Neighbourhoods in a row that find nothing cheaper before the search gives up (each miss
doubles the next one's size)."""
MASTER_SHARE = 0.15
"""A price step after the first keeps this share of the time left as it starts for the master
MIP (its repairs stop there): the master, choosing among every plan the steps saw, is what
closes most of the gap on tight limits (5,000 workloads of the resident fleet: 10.4% where a
step's repair ran past the deadline and left it no time, 1.0% where it ran)."""
FIRST_ROUND_SHARE = 0.5
"""Until a plan exists, a round's searches stop at this share of the time left as it starts:
the repairs that make its answers fit the shared rows get the rest (a repair cut short keeps a
workload's cheapest single candidate, far dearer than a search cut short)."""
PRICE_STEPS_SHARE = 0.7
"""Each phase of the price steps keeps the rest of the time left for what comes after it: the
fleet LP may take this share of the time left when the decomposition starts, a round of
subproblems this share of the time left as it starts (its repairs stop where MASTER_SHARE is
left), another price step starts only if one as long as the last (its round and repair) takes
at most this share of the time left; the master MIP and the assembly get the rest. The first
round, with no plan yet, stops at FIRST_ROUND_SHARE instead, and its repairs at the deadline."""


def sub_tolerance(options: SolveOptions) -> float:
    """Each workload's branch-and-bound tolerance: SUB_TOLERANCE, or an eighth of the fleet's
    gap target where that is looser (solving parts far below the target the whole plan is held
    to buys nothing)."""
    return max(SUB_TOLERANCE, options.relative_gap / 8)


def time_windows(problem: PlacementProblem) -> bool:
    """Whether the problem has time-windowed capacity (Capacity Blocks, DWS)."""
    return any(p.window for p in problem.owned.values())


def eligible(problem: PlacementProblem) -> bool:
    """The decomposition handles every spec without instances shared between workloads,
    without commitments (their coverage rows tie workloads together) and without time windows
    (paid per instance, not per hour): the exact MIP plans those."""
    if problem.commitments or time_windows(problem):
        return False
    return not any(c.shared for cands in problem.candidates.values() for c in cands)


@dataclass(frozen=True)
class SharedRows:
    """The coupling rows: name and capacity of each."""

    names: tuple[str, ...]
    capacity: np.ndarray


@dataclass(eq=False)
class Unit:
    """One workload's subproblem: per-candidate cost and use of the shared rows."""

    name: str
    kind: str
    """covering (serving, exact), training (enumeration), batch or mip (small generic MIP)."""
    base: np.ndarray
    """Objective per instance (per choice for training), as the fleet MIP counts it."""
    row_ids: np.ndarray
    """Shared rows this workload can use."""
    use: np.ndarray
    """Use of those rows per instance (per choice), rows x candidates."""
    rows: np.ndarray | None = None
    """Covering rows (kind covering)."""
    covers: np.ndarray | None = None
    """covers[j, i]: candidate j covers every row at least as well as i (kind covering)."""
    same_rows: int = -1
    """Workloads with the same covering rows (kind covering) share this number: at the same
    prices they share one solve."""


@dataclass(frozen=True)
class Column:
    """One plan of one workload: counts per candidate, its cost, and how it was routed."""

    counts: tuple[int, ...]
    cost: float
    detail: Solution | None = None
    """Routing and hours where a MIP found them (None: routed at the end)."""


@dataclass(frozen=True)
class Answer:
    """A subproblem's result at some prices: its plan and a lower bound on its priced optimum."""

    column: Column | None
    bound: float


def _covering_rows(problem: PlacementProblem, w: ServingWorkload) -> np.ndarray:
    cands = problem.candidates[w.name]
    return covering_rows(
        [c.bucket_rps for c in cands], problem.demand(w),
        [c.replicas_per_instance for c in cands], w.min_replicas,
    )  # fmt: skip


def priced_rows(problem: PlacementProblem) -> tuple[SharedRows, list[Unit]]:
    """The coupling rows of `problem` and each workload's subproblem data, without the
    serving workloads' covering rows (`add_covering`): what the fleet LP needs."""
    spec = problem.spec
    coupling = families.coupling(spec, problem.owned)
    names = [r.name for r in coupling]
    caps = [r.capacity for r in coupling]
    pooled = [(r, row.covers) for r, row in enumerate(coupling) if row.covers is not None]
    dollars = [r for r, row in enumerate(coupling) if row.covers is None]
    cover_cache: dict[tuple, list[int]] = {}

    def covering(pool) -> list[int]:
        if pool not in cover_cache:
            cover_cache[pool] = [r for r, covers in pooled if covers(pool)]
        return cover_cache[pool]

    units = []
    for w in spec.workloads:
        cands = problem.candidates[w.name]
        k = len(cands)
        per: dict[int, np.ndarray] = {}
        base = np.zeros(k)
        for i, c in enumerate(cands):
            if isinstance(w, TrainingWorkload):
                acc, hourly = c.instances * c.accelerators, c.instances * c.price
                base[i] = c.instances * c.price * c.hours
            else:
                acc, hourly = c.accelerators, c.price
                base[i] = (c.price or OWNED_TIE_BREAK) if isinstance(w, ServingWorkload) else 0.0
            for r in covering(c.pool):
                per.setdefault(r, np.zeros(k))[i] += acc
            for r in dollars:
                per.setdefault(r, np.zeros(k))[i] += hourly
        row_ids = np.array(sorted(per), dtype=int)
        use = np.array([per[r] for r in row_ids]) if per else np.zeros((0, k))
        units.append(Unit(w.name, _kind(w, cands), base, row_ids, use))
    return SharedRows(tuple(names), np.array(caps)), units


def add_covering(problem: PlacementProblem, units: list[Unit]) -> None:
    """Each covering unit's rows and dominance matrix, in place."""
    spec = problem.spec
    covering = [w for u, w in zip(units, spec.workloads, strict=True) if u.kind == "covering"]
    # in this process: a workload's rows (thousands for three buckets) cost less to work out
    # than to send back from a worker (on the 1,000-workload unseen input of the matrix, 300 MB
    # of rows: 2.6 s of CPU here, 4.1-4.8 s over two worker processes, and no sooner done)
    found = [_covering_rows(problem, w) for w in covering]
    rows_of = {w.name: r for w, r in zip(covering, found, strict=True)}
    # one candidates x candidates matrix per distinct (rates, replicas): workloads of one model
    # and request mix over the same offerings share it (at 20,000 workloads, one each would
    # hold gigabytes)
    covers_of: dict[tuple, np.ndarray] = {}
    same = _SameRows()
    for unit, w in zip(units, spec.workloads, strict=True):
        if unit.kind == "covering":
            assert isinstance(w, ServingWorkload)
            cands = problem.candidates[w.name]
            unit.rows = rows_of[w.name]
            unit.same_rows = same.number(unit.rows)
            rates = np.array([c.bucket_rps for c in cands], dtype=float)
            reps = np.array([c.replicas_per_instance for c in cands]) if w.min_replicas else None
            key = (rates.shape, rates.tobytes(), b"" if reps is None else reps.tobytes())
            if key not in covers_of:
                covers_of[key] = _covers(rates, reps)
            unit.covers = covers_of[key]


def shared_rows(problem: PlacementProblem) -> tuple[SharedRows, list[Unit]]:
    """The coupling rows of `problem` and each workload's subproblem data."""
    rows, units = priced_rows(problem)
    add_covering(problem, units)
    return rows, units


class _SameRows:
    """Numbers covering-row matrices, equal matrices alike (found by a digest, then compared
    in full): what the subproblems' cache keys on instead of the rows' bytes (a copy of every
    workload's rows in every key, tens of kilobytes each, kept for every price step: about
    1 GB a step at 20,000 workloads)."""

    def __init__(self):
        self._seen: dict[tuple, list[tuple[np.ndarray, int]]] = {}
        self._count = 0

    def number(self, rows: np.ndarray) -> int:
        key = (rows.shape, hashlib.blake2b(rows.tobytes(), digest_size=16).digest())
        alike = self._seen.setdefault(key, [])
        for other, n in alike:
            if np.array_equal(other, rows):
                return n
        alike.append((rows, self._count))
        self._count += 1
        return self._count - 1


def _covers(rates: np.ndarray, replicas: np.ndarray | None) -> np.ndarray:
    """covers[j, i]: candidate j covers every covering row at least as well as i: it carries
    every bucket at least as fast (the rows include each bucket alone) and, where the workload
    asks for replicas, has as many. Read-only (workloads share it)."""
    covers = (rates[:, None, :] >= rates[None, :, :] - 1e-12).all(axis=2)
    if replicas is not None:
        covers &= replicas[:, None] >= replicas[None, :]
    covers.flags.writeable = False
    return covers


def _kind(w, cands: tuple[Candidate, ...]) -> str:
    if isinstance(w, TrainingWorkload):
        return "training"
    if isinstance(w, BatchWorkload):
        return "batch"
    simple = families.exact_without_mip_rows(w, cands) and (
        len(w.traffic.request_buckets()) <= MAX_BUCKETS
    )
    return "covering" if simple else "mip"


class Subproblems:
    """Solves workloads alone at prices, each distinct (workload, prices, room) once."""

    def __init__(self, problem: PlacementProblem, units: list[Unit], options: SolveOptions):
        self.problem = problem
        self.units = {u.name: u for u in units}
        self.options = replace(options, executor=None)  # this object travels to the workers
        self._seen: dict[tuple, Answer] = {}
        self._alone: dict[str, PlacementProblem] = {}
        self._workload = {w.name: w for w in problem.spec.workloads}
        self.deadline: float | None = None
        """time.time() past which searches stop at their best plan so far (a wall-clock time,
        the same in every worker process); repairs stop at `repair_deadline`."""
        self.repair_deadline: float | None = None
        self._last: dict[str, tuple[int, ...]] = {}
        """Each workload's counts at the last prices: the next search starts from them."""
        self._lp_prices: np.ndarray | None = None
        self._lp_counts: dict[str, np.ndarray] = {}

    def at_lp_prices(self, prices: np.ndarray, counts: dict[str, np.ndarray]) -> None:
        """The fleet LP's duals and its instance counts per serving workload. At those prices
        each workload's share of the LP solution is optimal for the workload's own LP
        relaxation (the LP decomposes at its duals), so its priced cost bounds the workload's
        optimum from below (the search stops once within tolerance of it, and a search stopped
        by its node limit keeps it as its bound), and the counts rounded up are a plan to
        start the search from (they cover every row the fractional ones do)."""
        self._lp_prices = prices.copy()
        self._lp_counts = {n: c for n, c in counts.items() if self.units[n].kind == "covering"}

    def _from_lp(self, name: str, prices: np.ndarray, eff: np.ndarray):
        """The LP's bound and rounded-up plan of workload `name` at `prices` (-inf, None:
        not the LP's prices, or no LP solution)."""
        x = self._lp_counts.get(name)
        if x is None or self._lp_prices is None or not np.array_equal(prices, self._lp_prices):
            return -math.inf, None
        # the LP's tolerances (1e-7) and rounding: a bound a hair under its value
        floor = float(eff @ np.maximum(x, 0.0)) * (1 - 1e-6) - 1e-9
        return floor, tuple(int(v) for v in np.ceil(x - 1e-6))

    def _key(self, name: str, prices: np.ndarray, room: np.ndarray | None):
        unit = self.units[name]
        local = prices[unit.row_ids] if unit.row_ids.size else np.zeros(0)
        eff = unit.base + (local @ unit.use if unit.row_ids.size else 0.0)
        rooms = room[unit.row_ids] if room is not None and unit.row_ids.size else None
        # workloads whose covering rows are the same (same rates, request mix, demand and
        # replicas, candidate for candidate) share one solve at the same prices
        who = unit.same_rows if unit.kind == "covering" else name
        use = (unit.use.tobytes(), unit.row_ids.tobytes()) if rooms is not None else b""
        key = (who, eff.round(12).tobytes(), None if rooms is None else rooms.round(9).tobytes(),
               use)  # fmt: skip
        return key, unit, eff, rooms

    def solve(
        self,
        name: str,
        prices: np.ndarray,
        room: np.ndarray | None = None,
        start: tuple[int, ...] | None = None,
    ) -> Answer:
        """The workload alone at `prices`; within `room` of the shared rows when given (a
        repair: solved to REPAIR_TOLERANCE, its bound is not used). `start`, a plan of this
        workload known to be feasible (its plan at earlier prices), seeds the search: only
        plans cheaper than it at these prices are explored."""
        key, unit, eff, rooms = self._key(name, prices, room)
        if key not in self._seen:
            fitting = self._fitting(name, prices, unit, rooms)
            if fitting is not None:
                self._seen[key] = fitting
            else:
                lp = self._from_lp(name, prices, eff)
                self._seen[key] = self._solve(unit, eff, rooms, start, lp)
        return self._seen[key]

    def _fitting(
        self, name: str, prices: np.ndarray, unit: Unit, rooms: np.ndarray | None
    ) -> Answer | None:
        """In a repair, the workload's plan at the same prices without `rooms`, where it was
        searched for already and fits them: no plan that fits is cheaper (within the search's
        tolerance), so it is the repair's answer without a second search. None otherwise."""
        if rooms is None or unit.kind != "covering":
            return None
        free = self._seen.get(self._key(name, prices, None)[0])
        if free is None or free.column is None:
            return None
        used = unit.use @ np.array(free.column.counts, dtype=float)
        return free if (used <= rooms + 1e-7).all() else None

    def solve_all(
        self,
        names: Sequence[str],
        prices: np.ndarray,
        workers: int,
        executor: Executor | None = None,
    ) -> list[Answer]:
        """Every workload in `names` at `prices`, new ones over `workers` processes (or
        `executor`)."""
        keys = [self._key(n, prices, None)[0] for n in names]
        todo = list({k: n for k, n in zip(keys, names, strict=True) if k not in self._seen}.items())
        items = [(n, self._last.get(n)) for _, n in todo]
        found = parallel_map(_solve_priced, (self, prices), items, workers, executor=executor)
        for (key, _), answer in zip(todo, found, strict=True):
            self._seen[key] = answer
        answers = [self._seen[k] for k in keys]
        for n, a in zip(names, answers, strict=True):
            if a.column is not None:
                self._last[n] = a.column.counts
        return answers

    def _solve(
        self,
        unit: Unit,
        eff: np.ndarray,
        room: np.ndarray | None,
        start: tuple[int, ...] | None = None,
        lp: tuple[float, tuple[int, ...] | None] = (-math.inf, None),
    ) -> Answer:
        k = eff.size
        if unit.kind == "training":
            fits = np.ones(k, dtype=bool)
            if room is not None:
                fits = (unit.use <= room[:, None] + _EPS).all(axis=0)
            w = self._workload[unit.name]
            cands = self.problem.candidates[unit.name]
            fits &= np.array([families.gang_allowed(w, c) for c in cands], dtype=bool)
            if not fits.any():
                return Answer(None, math.inf)
            i = int(np.argmin(np.where(fits, eff, math.inf)))
            counts = tuple(int(j == i) for j in range(k))
            return Answer(Column(counts, float(unit.base[i])), float(eff[i]))
        if unit.kind == "covering":
            floor, rounded = lp
            return self._covering(unit, eff, room, start or rounded, floor)
        simple_batch = unit.kind == "batch" and families.cheapest_rate_exact(
            self._workload[unit.name]
        )
        if simple_batch and room is None and np.array_equal(eff, unit.base):
            found = self._batch_unpriced(unit)
            assert found is not None
            return found
        return self._mip(unit, eff, room)

    def _batch_unpriced(self, unit: Unit, room: np.ndarray | None = None) -> Answer | None:
        """A batch job whose instances carry no price: all on its cheapest work rate (the
        cheapest whose instances fit `room` of the shared rows, where given; None where none
        does). Its cost bounds the job's optimum at any prices >= 0."""
        w = self._workload[unit.name]
        cands = self.problem.candidates[w.name]
        for i in sorted(range(len(cands)), key=lambda j: (cands[j].price / cands[j].batch_rps, j)):
            hours = w.volume.request_count / (cands[i].batch_rps * 3600)
            n = max(1, math.ceil(hours / w.deadline_hours - 1e-9))
            if room is not None and (unit.use[:, i] * n > room + _EPS).any():
                continue
            detail = Solution(counts={(w.name, i): n}, hours={(w.name, i): hours})
            counts = tuple(n if j == i else 0 for j in range(len(cands)))
            cost = hours * cands[i].price
            return Answer(Column(counts, cost, detail), cost)
        return None

    def _covering(
        self,
        unit: Unit,
        eff: np.ndarray,
        room: np.ndarray | None,
        start: tuple[int, ...] | None = None,
        floor: float = -math.inf,
    ) -> Answer:
        assert unit.rows is not None
        keep = _undominated(eff, unit.covers, unit.use if room is not None else None)
        usage = unit.use[:, keep] if room is not None else None
        repair = room is not None
        seed = None  # solve_covering drops a start that does not cover or fit
        if start is not None and sum(start) == sum(start[j] for j in keep):
            seed = tuple(start[j] for j in keep)  # none on a candidate dominated here
        found = solve_covering(
            eff[keep], unit.rows[:, keep], usage=usage, room=room,
            tolerance=REPAIR_TOLERANCE if repair else sub_tolerance(self.options),
            max_nodes=REPAIR_NODES if repair else SUB_NODES, start=seed,
            deadline=self.repair_deadline if repair else self.deadline, floor=floor,
        )  # fmt: skip
        if not found.feasible:
            return Answer(None, found.bound)
        counts = [0] * eff.size
        for j, c in zip(keep, found.counts, strict=True):
            counts[j] = c
        cost = float(unit.base @ np.array(counts))
        return Answer(Column(tuple(counts), cost), found.bound)

    def _mip(self, unit: Unit, eff: np.ndarray, room: np.ndarray | None) -> Answer:
        problem = self.problem
        w = self._workload[unit.name]
        if unit.name not in self._alone:
            self._alone[unit.name] = _apart(problem, (w,))
        alone = self._alone[unit.name]
        priced = {(w.name, i): float(eff[i] - unit.base[i]) for i in range(eff.size)}
        rows = []
        if room is not None:
            for r in range(unit.use.shape[0]):
                coefs = {(w.name, i): float(unit.use[r, i]) for i in range(eff.size)}
                rows.append((coefs, float(room[r])))
        built = build(alone, prices=priced, rows=rows)
        outcome = run(built, replace(self.options, relative_gap=1e-6))  # by its deadline
        simple_batch = isinstance(w, BatchWorkload) and families.cheapest_rate_exact(w)
        if outcome.status == "unknown" and simple_batch:
            found = self._batch_unpriced(unit, room)  # out of time: its cheapest work rate
            if found is not None:
                return found
        if outcome.status not in ("optimal", "feasible"):
            return Answer(None, math.inf if outcome.status == "infeasible" else 0.0)
        detail = read_solution(alone, built, outcome)
        counts = tuple(detail.count(w.name, i) for i in range(eff.size))
        cost = outcome.objective - sum(priced[(w.name, i)] * n for i, n in enumerate(counts))
        bound = outcome.bound if math.isfinite(outcome.bound) else 0.0
        return Answer(Column(counts, cost, detail), bound)


def _apart(problem: PlacementProblem, workloads: tuple) -> PlacementProblem:
    """`workloads` of `problem` without the shared rows (quotas, budget, owned pools): the
    caller adds what is left of those as rows of its own."""
    constraints = problem.spec.constraints.model_copy(
        update={"quotas": (), "budget_per_hour": None}
    )
    spec = problem.spec.model_copy(update={"workloads": workloads, "constraints": constraints})
    return PlacementProblem(spec, {w.name: problem.candidates[w.name] for w in workloads}, {})


def _solve_priced(
    state: tuple[Subproblems, np.ndarray], item: tuple[str, tuple[int, ...] | None]
) -> Answer:
    subs, prices = state
    name, start = item
    return subs.solve(name, prices, start=start)


def _undominated(eff: np.ndarray, covers: np.ndarray, use: np.ndarray | None) -> list[int]:
    """Candidates no other candidate beats at these prices: no dearer (ties: the first),
    covering no less (and, when shared room is limited, using no more of any row)."""
    k = eff.size
    index = np.arange(k)
    before = (eff[:, None] < eff[None, :]) | (
        (eff[:, None] == eff[None, :]) & (index[:, None] < index[None, :])
    )
    beats = before & covers
    if use is not None:
        beats &= (use[:, :, None] <= use[:, None, :] + 1e-12).all(axis=0)
    return [int(i) for i in np.flatnonzero(~beats.any(axis=0))]


@dataclass
class Result:
    """What the decomposition found."""

    solution: Solution | None
    bound: float
    lp_bound: float
    lagrangian_bound: float
    seconds: float
    iterations: int = 0
    columns: int = 0
    log: list[str] = field(default_factory=list)
    lp_seconds: float = 0.0
    """How long the fleet LP took: what the caller predicts the full MIP's cost from."""
    prices: np.ndarray | None = None
    """The prices of the best Lagrangian bound (None: no round of subproblems finished)."""
    priced_bounds: dict[str, float] = field(default_factory=dict)
    """Each workload's bound on its priced optimum at `prices`."""


Mapper = Callable[[Callable, Sequence], list]


def decompose(
    problem: PlacementProblem,
    options: SolveOptions,
    *,
    iterations: int = 8,
    mapper: Mapper | None = None,
) -> Result:
    """Lagrangian decomposition of `problem` (see the module's docstring), by the options'
    deadline (`time_limit_s` from now where they have none). Every phase stops there with what
    it has: an LP stopped by it leaves no prices (each workload then starts from its own
    optimum), subproblems stop at their best plan so far (or their cheapest single-candidate
    plan), repairs and the master MIP are skipped once it has passed; the result is the best
    plan that respects the shared rows, if any was found, with the best bound proved."""
    options = options.with_deadline()
    deadline = options.deadline
    assert deadline is not None
    clock = deadline.clock
    start = clock()
    lp_end = deadline.within(PRICE_STEPS_SHARE * max(0.0, deadline.left()))
    deadline.phase("shared rows")
    rows, units = priced_rows(problem)
    subs = Subproblems(problem, units, options)

    def on_time(first: bool) -> None:
        # from the start: searches stop at their best plan so far, or their cheapest single
        # candidate, when the time is up (in wall-clock time for the worker processes): a
        # round's searches at a share of the time left as it starts; the first round's repairs
        # at the deadline (no plan exists yet), a later step's where they leave the master MIP
        # its share (a plan exists: a step cut short only finds no better one)
        left = max(0.0, deadline.left())
        end = deadline.within((FIRST_ROUND_SHARE if first else PRICE_STEPS_SHARE) * left)
        repairs = deadline if first else deadline.within((1 - MASTER_SHARE) * left)
        subs.deadline, subs.repair_deadline = end.wall(), repairs.wall()

    names = [u.name for u in units]
    deadline.phase("fleet LP")
    lp_started = clock()
    # the LP on one core (HiGHS's simplex), the covering rows on the other meanwhile; where
    # the solve has an executor, one after the other here (the LP needs no covering rows)
    lp_state = (problem, rows, units, replace(options, deadline=lp_end, executor=None))
    lp_found = beside(_fleet_lp_of, lp_state, 1 if options.executor else options.workers)
    deadline.phase("covering rows")
    try:
        add_covering(problem, units)
    finally:  # the LP's process ends here, whatever happened in this one
        lp_bound, prices, lp_counts = lp_found()
    subs.at_lp_prices(prices, lp_counts)
    result = Result(None, lp_bound, lp_bound, -math.inf, 0.0)
    result.lp_seconds = clock() - lp_started
    columns: dict[str, dict[tuple[int, ...], Column]] = {n: {} for n in names}
    best_plan: dict[str, Column] | None = None
    best_value = math.inf
    step_scale = 0.5
    stalled, last = 0, (math.inf, -math.inf)
    for it in range(iterations):
        step_started = clock()
        deadline.phase("first round" if it == 0 else "price step")
        on_time(first=best_plan is None)
        answers = subs.solve_all(names, prices, options.workers, options.executor)
        if any(a.column is None for a in answers):
            break  # a workload has no plan at all: the caller reports why
        lagr = sum(a.bound for a in answers) - float(prices @ rows.capacity)
        if lagr > result.lagrangian_bound:
            result.lagrangian_bound, result.prices = lagr, prices.copy()
            result.priced_bounds = {n: a.bound for n, a in zip(names, answers, strict=True)}
        for n, a in zip(names, answers, strict=True):
            columns[n].setdefault(a.column.counts, a.column)  # type: ignore[union-attr]
        plan = {n: a.column for n, a in zip(names, answers, strict=True)}
        used = _pad(_usage(units, plan), rows.capacity.size)
        over = used - rows.capacity
        if (over <= 1e-7).all():
            value = sum(c.cost for c in plan.values())  # type: ignore[union-attr]
            if value < best_value:
                best_plan, best_value = plan, value  # type: ignore[assignment]
        else:
            # the two repairs of the first iteration are independent: one on each core
            deadline.phase("repair")
            modes = [False, True] if it == 0 else [False]
            state = (subs, units, plan, rows, prices)
            repairs = parallel_map(
                _repair_in, state, modes, options.workers, per_worker=1,
                executor=options.executor,
            )  # fmt: skip
            for repaired in repairs:
                if repaired is None:
                    continue
                for n, c in repaired.items():
                    columns[n].setdefault(c.counts, c)
                value = sum(c.cost for c in repaired.values())
                if value < best_value:
                    best_plan, best_value = repaired, value
        result.iterations = it + 1
        step_took = clock() - step_started  # a price step: its round and repair
        bound = max(result.lp_bound, result.lagrangian_bound)
        in_time = not deadline.passed()
        if it == 0 and best_plan is not None and _short(best_plan, bound, options) and in_time:
            # trade the binding rows between the workloads that compete for them, at once,
            # where the gap is: the workloads whose plans are furthest from their priced optima
            gaps = {n: _reduced_cost(u, best_plan[n], prices, a)
                    for n, u, a in zip(names, units, answers, strict=True)}  # fmt: skip
            deadline.phase("neighbourhoods")
            best_plan = _neighbourhood(problem, units, rows, best_plan, prices, bound,
                                       options, deadline, result.log, gaps)  # fmt: skip
            best_value = sum(c.cost for c in best_plan.values())
            for n, c in best_plan.items():
                columns[n].setdefault(c.counts, c)
        result.log.append(
            f"iteration {it}: L {lagr:,.4f}, bound {bound:,.4f}, plan {best_value:,.4f} "
            f"({clock() - start:.2f} s)"
        )
        if best_value < math.inf and best_value - bound <= options.relative_gap * best_value:
            break
        if deadline.passed():
            break  # the best plan so far, if any, with the best bound so far
        if best_plan is not None and PRICE_STEPS_SHARE * max(0.0, deadline.left()) < step_took:
            break  # another step as long as this one would not leave the rest their time
            # (the first step's neighbourhoods, which no later step repeats, not counted)
        progress = best_value < last[0] * (1 - 1e-6) or bound > last[1] + 1e-6 * abs(bound)
        stalled, last = (0 if progress else stalled + 1), (best_value, bound)
        if stalled == STALL_ITERATIONS:
            break  # neither the plan nor the bound moved: more steps rarely pay for their time
        # subgradient step (Polyak) towards the best plan's value
        norm = float(over @ over)
        if norm <= _EPS:
            break
        target = best_value if best_value < math.inf else abs(bound) * 1.02 + 1.0
        if lagr < result.lagrangian_bound - 1e-9:
            step_scale /= 2
        step = step_scale * (target - lagr) / norm
        prices = np.maximum(0.0, prices + step * over)
    result.bound = max(result.lp_bound, result.lagrangian_bound)
    if best_plan is not None:
        if not deadline.passed():
            deadline.phase("master")
            best_plan = _master(problem, units, rows, columns, best_plan, options, deadline)
        result.solution = _assemble(problem, units, best_plan)
    result.columns = sum(len(c) for c in columns.values())
    result.seconds = clock() - start
    return result


def wider_bound(
    wider: PlacementProblem, names: Sequence[str], found: Result, options: SolveOptions
) -> float:
    """A lower bound on the optimum of `wider`: the problem `found` decomposed, with more
    candidates for the workloads `names` (-inf where `found` proved no Lagrangian bound).

    The Lagrangian bound at `found`'s best prices, with those workloads' subproblems solved
    again over their wider candidates (the others' are unchanged, and so are the shared rows:
    they follow from the spec's constraints and owned pools alone). Any prices give a bound;
    a search the options' deadline stops gives its own proven bound."""
    prices = found.prices
    if prices is None:
        return -math.inf
    wanted = set(names)
    spec = wider.spec.model_copy(
        update={"workloads": tuple(w for w in wider.spec.workloads if w.name in wanted)}
    )
    sub = PlacementProblem(spec, {w.name: wider.candidates[w.name] for w in spec.workloads},
                           wider.owned)  # fmt: skip
    rows, units = shared_rows(sub)
    subs = Subproblems(sub, units, options)
    if options.deadline is not None:
        subs.deadline = subs.repair_deadline = options.deadline.wall()
    answers = subs.solve_all([u.name for u in units], prices, options.workers, options.executor)
    if not all(math.isfinite(a.bound) for a in answers):
        return -math.inf
    others = sum(b for n, b in found.priced_bounds.items() if n not in wanted)
    return others + sum(a.bound for a in answers) - float(prices @ rows.capacity)


def _usage(units: list[Unit], plan: dict[str, Column]) -> np.ndarray:
    total: np.ndarray | None = None
    for u in units:
        if not u.row_ids.size:
            continue
        col = plan[u.name]
        part = u.use @ np.array(col.counts, dtype=float)
        if total is None:
            size = 1 + max(int(x.row_ids.max()) for x in units if x.row_ids.size)
            total = np.zeros(size)
        total[u.row_ids] += part
    return total if total is not None else np.zeros(0)


def _pad(v: np.ndarray, size: int) -> np.ndarray:
    return np.concatenate([v, np.zeros(size - v.size)]) if v.size < size else v


def _repair_in(state, every: bool) -> dict[str, Column] | None:
    subs, units, plan, rows, prices = state
    return _repair(subs, units, plan, rows, prices, every=every)


def _repair(
    subs: Subproblems, units, plan, rows: SharedRows, prices, *, every: bool = False
) -> dict[str, Column] | None:
    """Move workloads off overflowing rows, largest first, each re-solved within what the
    others leave, until nothing overflows (`every`: re-solve every workload on them)."""
    size = rows.capacity.size

    def use_of(u: Unit, col: Column) -> np.ndarray:
        part = np.zeros(size)
        if u.row_ids.size:
            part[u.row_ids] = u.use @ np.array(col.counts, dtype=float)
        return part

    room = rows.capacity - _pad(_usage(units, plan), size)
    over = room < -1e-7
    movers = [u for u in units if (use_of(u, plan[u.name])[over] > 0).any()]
    movers.sort(key=lambda u: (-plan[u.name].cost, u.name))
    out = dict(plan)
    if every:  # take them all off, then put them back largest first
        for u in movers:
            room += use_of(u, plan[u.name])
    for u in movers:
        if (room >= -1e-7).all() and not every:
            break
        mine = use_of(u, out[u.name]) if not every else np.zeros(size)
        if not every and not (mine[room < -1e-7] > 0).any():
            continue
        free = np.maximum(room + mine, 0.0)
        answer = subs.solve(u.name, prices, free)
        if answer.column is None:
            answer = subs.solve(u.name, np.zeros_like(prices), free)
        if answer.column is None:
            if every:
                return None  # taken off and cannot be put back
            continue  # stays where it was, its use still counted in `room`
        out[u.name] = answer.column
        room = room + mine - use_of(u, answer.column)
    if (room < -1e-7).any():
        return None
    return out


def _fixed_use(units: list[Unit], plan: dict[str, Column], free: set[str], size: int) -> np.ndarray:
    """Use of the shared rows by the workloads not in `free`, at their plans."""
    fixed = np.zeros(size)
    for u in units:
        if u.name not in free and u.row_ids.size:
            fixed[u.row_ids] += u.use @ np.array(plan[u.name].counts, dtype=float)
    return fixed


def _short(plan: dict[str, Column], bound: float, options: SolveOptions) -> bool:
    """The plan is further from the bound than the gap target."""
    value = sum(c.cost for c in plan.values())
    return value - bound > options.relative_gap * value


def _reduced_cost(u: Unit, col: Column, prices: np.ndarray, answer: Answer) -> float:
    """How far `col` is from the workload's optimum at `prices` (its share of the duality
    gap): its priced cost less the subproblem's bound at those prices."""
    priced = col.cost
    if u.row_ids.size:
        priced += float(prices[u.row_ids] @ (u.use @ np.array(col.counts, dtype=float)))
    return max(0.0, priced - answer.bound)


def _neighbourhood(
    problem: PlacementProblem,
    units: list[Unit],
    rows: SharedRows,
    plan: dict[str, Column],
    prices: np.ndarray,
    bound: float,
    options: SolveOptions,
    deadline: Deadline,
    log: list[str],
    gaps: dict[str, float] | None = None,
) -> dict[str, Column]:
    """Re-solve together the serving workloads that compete for the rows the LP prices
    (binding quotas or pools), every other workload kept at its plan: the fleet MIP over
    them trades that capacity between them, which one-plan-per-workload repairs cannot.

    Work goes where the gap is: workloads in decreasing share of the duality gap (`gaps`;
    plan cost without them). The neighbourhood's size adapts to what the MIPs take on this
    fleet: it starts at two workloads and doubles after a group solved within half its time
    slice or found nothing cheaper, and halves after a group ran out of its slice. It stops
    when the plan is within the gap target of `bound`, NEIGHBOURHOOD_SHARE of the time left is
    spent, or NEIGHBOURHOOD_MISSES groups in a row find nothing cheaper."""
    clock = deadline.clock
    started = clock()
    stop = deadline.within(NEIGHBOURHOOD_SHARE * max(0.0, deadline.left()))

    priced = prices > _EPS
    everyone = [u for u in units if u.kind == "covering" and priced[u.row_ids].any()]
    if gaps is not None:
        everyone.sort(key=lambda u: (-gaps[u.name], -plan[u.name].cost, u.name))
    else:
        everyone.sort(key=lambda u: (-plan[u.name].cost, u.name))
    k, at, misses = 2, 0, 0
    while at < len(everyone):
        left = stop.left()
        if not _short(plan, bound, options) or left < 0.05:
            break
        group = everyone[at : at + k]
        at += len(group)
        slice_s = max(0.05, min(left, left / 2 if at < len(everyone) else left))
        before = sum(c.cost for c in plan.values())
        began = clock()
        plan, finished = _reoptimise(
            problem, units, rows, plan, group, options, stop.within(slice_s)
        )
        took = clock() - began
        after = sum(c.cost for c in plan.values())
        log.append(f"neighbourhood of {len(group)} workloads: plan {before:,.4f} -> "
                   f"{after:,.4f} ({clock() - started:.2f} s)")  # fmt: skip
        misses = misses + 1 if after >= before else 0
        if misses == NEIGHBOURHOOD_MISSES:
            break  # the workloads furthest from their optima gain nothing by trading
        if not finished:
            k = max(2, k // 2)
        elif took < slice_s / 2 or after >= before:
            k *= 2
    return plan


def _reoptimise(
    problem: PlacementProblem,
    units: list[Unit],
    rows: SharedRows,
    plan: dict[str, Column],
    group: list[Unit],
    options: SolveOptions,
    stop: Deadline,
) -> tuple[dict[str, Column], bool]:
    """The fleet MIP over the serving workloads in `group` within what the others leave of
    the shared rows, started from `plan`, until `stop`; the cheaper of its plan and `plan`,
    and whether the MIP finished (proved its gap) before `stop`."""
    size = rows.capacity.size
    names = {u.name for u in group}
    fixed = _fixed_use(units, plan, names, size)
    sub = _apart(problem, tuple(w for w in problem.spec.workloads if w.name in names))
    limits: list[tuple[dict[tuple[str, int], float], float]] = [({}, 0.0) for _ in range(size)]
    for u in group:
        for r, use in zip(u.row_ids, u.use, strict=True):
            limits[r][0].update({(u.name, i): float(a) for i, a in enumerate(use) if a})
    built = build(sub, rows=[(c, float(rows.capacity[r] - fixed[r]))
                             for r, (c, _) in enumerate(limits) if c])  # fmt: skip
    hint = built.hint({(u.name, i): n for u in group for i, n in enumerate(plan[u.name].counts)})
    value = sum(c.cost for c in plan.values())
    mine = sum(plan[u.name].cost for u in group)
    # this part's share of the fleet's gap target: half of the fleet's slack in dollars
    gap = min(0.5, max(1e-6, options.relative_gap * value / max(mine, 1e-9) / 2))
    outcome = run(built, replace(options, deadline=stop, relative_gap=gap), hint=hint)
    finished = outcome.status in ("optimal", "infeasible")
    if outcome.status not in ("optimal", "feasible"):
        return plan, finished
    found = read_solution(sub, built, outcome)
    out = dict(plan)
    for u in group:
        counts = tuple(found.count(u.name, i) for i in range(u.base.size))
        out[u.name] = Column(counts, float(u.base @ np.array(counts, dtype=float)))
    return (out if sum(c.cost for c in out.values()) < value - 1e-9 else plan), finished


def _master(problem, units, rows: SharedRows, columns, plan, options, deadline: Deadline):
    """Choose one seen plan per workload within the shared rows (SCIP), from `plan`; not
    where less than half a second is left (building it takes a moment)."""
    remaining = deadline.left()
    open_units = [u for u in units if len(columns[u.name]) > 1 and u.row_ids.size]
    if not open_units or remaining < 0.5:
        return plan
    size = rows.capacity.size
    fixed = _fixed_use(units, plan, {u.name for u in open_units}, size)
    model = new_model("master")
    choice: dict[str, list[tuple[Column, object]]] = {}
    per_row: list[list] = [[] for _ in range(size)]
    cost = []
    hint = {}
    for u in open_units:
        options_u = []
        for j, (counts, col) in enumerate(sorted(columns[u.name].items())):
            var = model.add_binary_variable(name=f"pick[{u.name},{j}]")
            options_u.append((col, var))
            cost.append(col.cost * var)
            hint[var] = 1.0 if counts == plan[u.name].counts else 0.0
            use = u.use @ np.array(counts, dtype=float)
            for r, amount in zip(u.row_ids, use, strict=True):
                if amount:
                    per_row[r].append(amount * var)
        model.add_linear_constraint(fast_sum([v for _, v in options_u]) == 1)
        choice[u.name] = options_u
    for r in range(size):
        if per_row[r]:
            model.add_linear_constraint(fast_sum(per_row[r]) <= rows.capacity[r] - fixed[r] + 1e-9)
    model.minimize(fast_sum(cost))
    limits = replace(options, time_limit_s=min(remaining, 30.0),
                     relative_gap=options.relative_gap / 2)  # fmt: skip
    outcome = run_model(model, limits, hint)
    if not outcome.solved:
        return plan
    values = outcome.values()
    chosen = dict(plan)
    for name, options_u in choice.items():
        chosen[name] = max(options_u, key=lambda item: values[item[1]])[0]
    if sum(c.cost for c in chosen.values()) <= sum(c.cost for c in plan.values()) + 1e-9:
        return chosen
    return plan


def _assemble(problem: PlacementProblem, units: list[Unit], plan: dict[str, Column]) -> Solution:
    """One Solution: counts from the chosen plans, routing per bucket, batch hours."""
    out = Solution()
    by_name = {w.name: w for w in problem.spec.workloads}
    to_route = []
    for u in units:
        col = plan[u.name]
        if col.detail is not None:
            out.counts.update({k: v for k, v in col.detail.counts.items() if v})
            out.shares.update(col.detail.shares)
            out.hours.update(col.detail.hours)
            continue
        for i, n in enumerate(col.counts):
            if n:
                out.counts[(u.name, i)] = n
        if u.kind == "covering":
            to_route.append((by_name[u.name], col.counts))
    out.shares.update(route(problem, to_route))
    return out


def route(
    problem: PlacementProblem, plans: Sequence[tuple[ServingWorkload, Sequence[int]]]
) -> dict:
    """Shares of each bucket per candidate that fit the counts: in proportion to capacity for
    one bucket; for all workloads with more, one LP whose rows the routing and capacity
    families write (as in the MIP and the fleet LP), each candidate's instances fixed at its
    count, sending each bucket where it takes the least instance-time."""
    shares: dict[tuple[str, int, int], float] = {}
    lp = SparseLP(np.zeros(0))
    routed: list[tuple[str, dict[tuple[int, int], int]]] = []
    for w, counts in plans:
        cands = problem.candidates[w.name]
        demand = problem.demand(w)
        used = [i for i, n in enumerate(counts) if n > 0]
        if len(demand) == 1:
            total = sum(counts[i] * cands[i].bucket_rps[0] for i in used)
            shares.update({(w.name, i, 0): counts[i] * cands[i].bucket_rps[0] / total
                           for i in used})  # fmt: skip
            continue
        fixed = np.array([float(counts[i]) for i in used])
        instances: list[int | None] = [None] * len(cands)  # columns of the used ones only
        for i, col in zip(used, lp.columns(np.zeros(len(used)), fixed, fixed), strict=True):
            instances[i] = int(col)
        view = ServingView(0, w, demand, cands, [(i, cands[i]) for i in used], instances)
        x, load = routing.route(lp, view, view.sold, keep=False)  # unnamed: nothing reads names
        capacity.capacity(lp, view, load, keep=False)
        for terms in load.values():  # the objective: instance-time of the routed load
            lp.cost([col for col, _ in terms], [amount for _, amount in terms])
        routed.append((w.name, x))
    if not routed:
        return shares
    found = lp.solve(60.0)
    if not found.optimal:
        raise RuntimeError("no routing fits the chosen instance counts")
    for name, x in routed:
        shares.update(
            {(name, i, b): v for (i, b), col in x.items() if (v := float(found.x[col])) > 1e-12}
        )
    return shares


def _fleet_lp_of(state) -> tuple[float, np.ndarray, dict[str, np.ndarray]]:
    return fleet_lp(*state)


def fleet_lp(
    problem: PlacementProblem, rows: SharedRows, units: list[Unit], options: SolveOptions
) -> tuple[float, np.ndarray, dict[str, np.ndarray]]:
    """The fleet's LP relaxation, its rows written by the constraint families, with HiGHS:
    its optimum, the shared rows' duals (prices >= 0) and each serving workload's instance
    counts in its solution (empty where it was not solved); -inf and no prices where the
    options' deadline has passed (then it is not even built)."""
    if options.seconds_left() <= 0.0:
        return -math.inf, np.zeros(rows.capacity.size), {}
    lp = SparseLP(rows.capacity)
    serving: dict[str, np.ndarray] = {}
    for u, w in zip(units, problem.spec.workloads, strict=True):
        cands = problem.candidates[w.name]
        if isinstance(w, TrainingWorkload):
            cols = lp.columns(u.base, np.zeros(len(cands)), np.ones(len(cands)))
            view = JobView(0, w, cands, list(range(len(cands))), cols)
            for family_rows in families.LP_TRAINING_ROWS:
                family_rows(lp, view)
        elif isinstance(w, BatchWorkload):
            cols = _batch_lp(lp, w, cands)
        else:
            assert isinstance(w, ServingWorkload)
            demand = problem.demand(w)
            high = np.array([float(instance_bound(w, demand, c)) for c in cands])
            cols = lp.columns(u.base, np.zeros(len(cands)), high)
            serving[w.name] = cols
            view = ServingView(0, w, demand, cands, list(enumerate(cands)), cols)
            for family_rows in families.LP_SERVING_ROWS:
                family_rows(lp, view)
        if u.row_ids.size:
            r, i = np.nonzero(u.use)
            lp.shared(u.row_ids[r], cols[i], u.use[r, i])
    # the time left by the deadline (or the limit): no plan exists yet, and one without the
    # LP's prices is far dearer; the limit is wall-clock time, so on a loaded machine it can
    # pass before the LP has had the CPU it needs (a 1,000-workload fleet LP: 2-4 s of CPU,
    # unsolved after 10 s at a load of 17 on 2 cores): longer tries, within the time left
    shared = rows.capacity.size
    limit = options.seconds_left()
    if limit <= 0.0:
        return -math.inf, np.zeros(shared), {}
    found = lp.solve(limit)
    for more in (2, 4):
        if not found.timed_out or options.seconds_left() <= 0.0:
            break
        found = lp.solve(min(more * limit, options.seconds_left()))
    if not found.optimal:
        return -math.inf, np.zeros(shared), {}
    counts = {name: found.x[cols] for name, cols in serving.items()}
    return found.objective, np.maximum(-found.duals[:shared], 0.0), counts


def _batch_lp(lp: SparseLP, w: BatchWorkload, cands: tuple[Candidate, ...]) -> np.ndarray:
    """Instances n and instance-hours h per candidate, the deadline family's rows on them."""
    k = len(cands)
    top = np.array([
        math.ceil(w.volume.request_count / c.batch_rps / 3600 / w.deadline_hours) + 1.0
        for c in cands
    ])  # fmt: skip
    n = lp.columns(np.zeros(k), np.zeros(k), top)
    h = lp.columns(np.array([c.price for c in cands]), np.zeros(k), top * w.deadline_hours)
    for i in range(k):
        deadlines.link_row(lp, h[i], n[i], w.deadline_hours)
    view = JobView(0, w, cands, list(range(k)), n, h, w.volume.request_count)
    for family_rows in families.LP_BATCH_ROWS:
        family_rows(lp, view)
    return n
