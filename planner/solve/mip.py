"""The placement MIP over one or more worlds, built apart from solving it (OR-Tools MathOpt).

Variables, shared by every world: integer instances n_c per candidate (serving, batch), batch
instance-hours h_c, one training gang z_c, and instances m_g bought for each shared group;
covered dollars v_kc of commitments. Rows: each constraint family (planner.rules.<family>)
writes its own, per workload and world (SERVING_ROWS; batch and training: the deadline and
spot-share families), then the families that tie workloads together (SHARED_ROWS: owned pools,
quotas, the budget) per world. A plain plan has one world, the spec's own; a robust plan one
per scenario, each with its traffic, sold offerings and prices. Objective: the fleet's cost at
the problem's own (base) prices, less covered dollars.

    routing    sum_c x_scb = 1                       every bucket is served       rules.routing
    capacity   sum_b d_sb/r_cb x_scb <= n_c          within SLO capacity          rules.capacity
    replicas   min/max replicas                                                   rules.replicas
    edge share, spot share, region spread, region loss          rules.edge_share, spot_share,
                                                                regions, region_loss
    deadlines  sum_c r_c 3600 h_c >= requests_s; h_c <= hours n_c; sum_c z_c = 1  rules.deadlines
    shared     pool use <= owned / quota; sum price_s x instances <= budget_s    rules.owned,
                                                                                quotas, budget
    (pack)     sum_c tp_c n_c <= size_g m_g          replicas fit bought instances (here)
    commitment sum_k v_kc <= price_c n_c; sum_c units_kc v_kc <= capacity_k     (here)
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from planner.catalog.commitments import Cover
from planner.perf.owned import OwnedPool
from planner.rules import capacity, deadlines
from planner.rules.families import BATCH_ROWS, SERVING_ROWS, SHARED_ROWS, TRAINING_ROWS
from planner.rules.rows import JobView, ServingView
from planner.solve.backend import LinearSum, Model, Variable, fast_sum, new_model
from planner.solve.candidates import Candidate
from planner.spec.models import BatchWorkload, Quota, ServingWorkload, Spec, TrainingWorkload


@dataclass(frozen=True)
class PlacementProblem:
    """What the MIP needs: the spec and each workload's candidates (sorted, deterministic)."""

    spec: Spec
    candidates: dict[str, tuple[Candidate, ...]]
    owned: Mapping[str, OwnedPool] = field(default_factory=dict)
    """Capacity the team has, by pool name: each pool's accelerators are its quota."""
    commitments: tuple[Cover, ...] = ()
    """Savings Plans, reservations and CUDs: on-demand usage they cover costs nothing more."""

    def demand(self, workload: ServingWorkload) -> tuple[float, ...]:
        """Peak requests/s of each bucket."""
        return bucket_demand(workload)


def bucket_demand(workload: ServingWorkload) -> tuple[float, ...]:
    """A serving workload's peak requests/s in each request-size bucket."""
    rate = workload.traffic.requests_per_second
    return tuple(rate * b.fraction for b in workload.traffic.request_buckets())


@dataclass(frozen=True)
class World:
    """One state of the world the fleet must serve: what each workload asks for there and
    what can be bought at which price. A plain plan has one world, its spec's."""

    name: str
    demand: Mapping[str, tuple[float, ...]]
    """Serving workload -> peak requests/s per bucket."""
    requests: Mapping[str, float]
    """Batch workload -> requests to finish by its deadline."""
    quotas: tuple[Quota, ...] = ()
    budget: float | None = None
    owned: Mapping[str, OwnedPool] = field(default_factory=dict)
    prices: Mapping[tuple, float] | None = None
    """(offering key, pricing) -> $/instance-hour of what is sold here; None: every candidate
    is sold, at its own price."""

    def price(self, c: Candidate) -> float | None:
        """What a unit of `c` (an instance; a multi-instance replica's instances) costs per
        hour in this world; None where it is not sold."""
        if self.prices is None:
            return c.price
        price = self.prices.get((c.offering.key, c.pricing))
        return None if price is None else price * c.nodes


def spec_world(problem: PlacementProblem, name: str = "spec") -> World:
    """The world `problem`'s spec describes: its traffic, volumes, quotas, budget and pools."""
    spec = problem.spec
    return World(
        name=name,
        demand={w.name: bucket_demand(w) for w in spec.workloads if isinstance(w, ServingWorkload)},
        requests={
            w.name: w.volume.request_count for w in spec.workloads if isinstance(w, BatchWorkload)
        },
        quotas=tuple(spec.constraints.quotas),
        budget=spec.constraints.budget_per_hour,
        owned=problem.owned,
    )


@dataclass
class Built:
    """A built model and the handles needed to read a solution back."""

    model: Model
    n: dict[tuple[str, int], Variable] = field(default_factory=dict)
    x: dict[tuple[str, int, int], Variable] = field(default_factory=dict)
    """Routing shares in the first world, by (workload, candidate, bucket)."""
    h: dict[tuple[str, int], Variable] = field(default_factory=dict)
    z: dict[tuple[str, int], Variable] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    """Names of the constraint groups that were added (those the diagnosis may relax)."""
    relaxed: bool = False
    """Integer and binary variables are continuous (the LP relaxation)."""
    n_bounds: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)
    """Tighter bounds on instance counts, by (workload, candidate index)."""
    shared_use: dict[tuple, list[tuple[Candidate, Variable]]] = field(default_factory=dict)
    """Replica slots on shared instances, by shared group (offering, pricing)."""
    m: dict[tuple, Variable] = field(default_factory=dict)
    """Instances bought for each shared group."""
    routes: list[dict[tuple[str, int, int], Variable]] = field(default_factory=list)
    """Routing shares per world (routes[0] is x)."""
    _group_names: set[str] = field(default_factory=set, repr=False)

    def hint(self, counts: Mapping[tuple[str, int], int]) -> dict:
        """A solution hint: instance counts (training choices) by (workload, candidate index)."""
        found = {}
        for key, count in counts.items():
            var = self.n.get(key) or self.z.get(key)
            if var is not None:
                found[var] = count
        return found

    def integer(self, lb: float, ub: float, name: str, key: tuple[str, int] | None = None):
        """An instance-count variable: integer, or continuous in the relaxation."""
        if key is not None and key in self.n_bounds:
            lb, ub = max(lb, self.n_bounds[key][0]), min(ub, self.n_bounds[key][1])
        if self.relaxed:
            return self.model.add_variable(lb=lb, ub=ub, name=name)
        return self.model.add_integer_variable(lb=lb, ub=ub, name=name)

    def binary(self, name: str):
        """A yes/no variable: binary, or in [0, 1] in the relaxation."""
        return self.integer(0, 1, name)


@dataclass
class _Ledger:
    """One world's accelerators per pool and dollars per hour, as linear terms."""

    pools: dict[tuple[str, str, str, str], list] = field(default_factory=lambda: defaultdict(list))
    hourly: list = field(default_factory=list)

    def add(self, c: Candidate, price: float, accelerators: float, var) -> None:
        self.pools[c.pool].append(accelerators * var)
        self.hourly.append(price * var)


@dataclass
class _Context:
    """The model as the constraint families see it (planner.rules.rows.Rows): columns, rows,
    groups the diagnosis may leave out, and each world's ledger of shared use."""

    built: Built
    worlds: tuple[World, ...]
    ledgers: list[_Ledger]
    cost: list
    disabled: frozenset[str]
    covers: tuple[Cover, ...] = ()
    committable: list = field(default_factory=list)
    """(candidate, instances) of on-demand serving usage some commitment may cover."""

    def group(self, name: str) -> bool:
        """Whether the constraint group `name` is kept (and record it as one)."""
        if name in self.disabled:
            return False
        if name not in self.built._group_names:
            self.built._group_names.add(name)
            self.built.groups.append(name)
        return True

    def tag(self, s: int) -> str:
        """Prefix of world s's constraint names (none when there is one world)."""
        return "" if len(self.worlds) == 1 else f"{s},"

    def columns(self, cost, lo, hi, names=None) -> list:
        model, out = self.built.model, []
        for j, (c, low, high) in enumerate(zip(cost, lo, hi, strict=True)):
            var = model.add_variable(lb=low, ub=high, name=names(j) if names else "")
            if c:
                self.cost.append(c * var)
            out.append(var)
        return out

    def row(self, cols, coefs, lo: float, hi: float, name: str = "") -> None:
        expr = _sum(a * v for a, v in zip(coefs, cols, strict=True))
        self.built.model.add_linear_constraint(lb=lo, ub=hi, expr=expr, name=name)

    def add(self, expr, name: str = "") -> None:
        self.built.model.add_linear_constraint(expr, name=name)

    def binary(self, name: str):
        return self.built.binary(name)

    @staticmethod
    def sum(terms):
        return _sum(terms)


def instance_bound(workload: ServingWorkload, demand: tuple[float, ...], c: Candidate) -> int:
    """Most instances of one candidate a serving workload could ever need."""
    needed = sum(d / r for d, r in zip(demand, c.bucket_rps, strict=True) if r > 0)
    floor = math.ceil(workload.min_replicas / c.replicas_per_instance)
    return max(math.ceil(needed) + 1, floor)


OWNED_TIE_BREAK = 1e-4
"""Objective weight per instance of free owned capacity, so a plan takes no more of it than it
needs (idle capacity then shows as idle); small against any real price."""

instance_floor = capacity.instance_floor


def _sum(terms) -> LinearSum:
    return fast_sum(terms)


def build(
    problem: PlacementProblem,
    disabled: frozenset[str] = frozenset(),
    *,
    worlds: Sequence[World] | None = None,
    relaxed: bool = False,
    n_bounds: dict[tuple[str, int], tuple[float, float]] | None = None,
    prices: Mapping[tuple[str, int], float] | None = None,
    rows: Sequence[tuple[Mapping[tuple[str, int], float], float]] = (),
) -> Built:
    """The MIP for `problem` over `worlds` (default: the spec's own), leaving out the
    constraint groups named in `disabled`.

    `relaxed` builds the LP relaxation; `n_bounds` narrows chosen instance counts. `prices`
    adds a cost per instance (per choice, for training) by (workload, candidate index): the
    prices of shared rows a decomposition moved into the objective; `rows` adds limits
    sum(coefficient x instances) <= right-hand side (what is left of shared rows).
    """
    worlds = tuple(worlds) if worlds is not None else (spec_world(problem),)
    built = Built(new_model("placement"), relaxed=relaxed, n_bounds=dict(n_bounds or {}))
    built.routes = [built.x] + [{} for _ in worlds[1:]]
    ctx = _Context(built, worlds, [_Ledger() for _ in worlds], [], disabled)
    ctx.covers = problem.commitments
    for w in problem.spec.workloads:  # each workload's variables and its families' rows
        cands = problem.candidates[w.name]
        if isinstance(w, ServingWorkload):
            _serving(ctx, w, cands)
        elif isinstance(w, BatchWorkload):
            _batch(ctx, w, cands)
        else:
            _training(ctx, w, cands)
    _shared_instances(ctx)
    _commitments(ctx, problem.commitments)
    for s, world in enumerate(worlds):  # the rows that tie workloads together
        for family_rows in SHARED_ROWS:
            family_rows(ctx, s, world, ctx.ledgers[s])
    _priced_rows(ctx, prices or {}, rows)
    built.model.minimize(_sum(ctx.cost))
    return built


def _serving(ctx: _Context, w: ServingWorkload, cands: tuple[Candidate, ...]) -> None:
    """A serving workload: instances n_c shared by the worlds, its families' rows in each."""
    built = ctx.built
    bound = [max(instance_bound(w, world.demand[w.name], c) for world in ctx.worlds) for c in cands]
    n = []
    for i, c in enumerate(cands):
        n.append(built.integer(0, bound[i], f"n[{w.name},{i}]", (w.name, i)))
        built.n[(w.name, i)] = n[i]
        if c.shared:
            built.shared_use.setdefault(c.shared_group, []).append((c, n[i]))
        else:
            ctx.cost.append((c.price or OWNED_TIE_BREAK) * n[i])
            if _committable(ctx, c):
                ctx.committable.append((c, c.price * n[i], c.price / c.nodes, 1.0))
    for s, world in enumerate(ctx.worlds):
        priced = [(i, c, p) for i, c in enumerate(cands) if (p := world.price(c)) is not None]
        for i, c, price in priced:
            if not c.shared:
                ctx.ledgers[s].add(c, price, c.accelerators, n[i])
        sold = [(i, c) for i, c, _ in priced]
        view = ServingView(s, w, world.demand[w.name], cands, sold, n)
        for family_rows in SERVING_ROWS:
            family_rows(ctx, view)
        built.routes[s].update({(w.name, i, b): x for (i, b), x in view.x.items()})


def _shared_instances(ctx: _Context) -> None:
    """Instances bought for each shared group hold its replicas' GPUs.

    TP degrees are powers of two dividing the instance's GPU count, so replicas whose GPUs add
    up to at most m instances' worth always pack onto m instances: the total is exact.
    """
    built = ctx.built
    for group in sorted(built.shared_use):
        slots = built.shared_use[group]
        c0 = slots[0][0]
        size = c0.offering.accelerator_count
        bound = sum(c.tp * ub for c, ub in ((c, v.upper_bound) for c, v in slots))
        m = built.integer(0, math.ceil(bound / size), f"m[{'/'.join(group[0])},{group[1]}]")
        built.m[group] = m
        ctx.add(_sum(c.tp * n for c, n in slots) <= size * m)
        ctx.cost.append(c0.price * m)
        for s, world in enumerate(ctx.worlds):
            if (price := world.price(c0)) is not None:
                ctx.ledgers[s].add(c0, price, size, m)


def _commitments(ctx: _Context, covers: tuple[Cover, ...]) -> None:
    """commitment: covered list dollars per hour v_kc of each committable candidate c.

    sum_k v_kc <= list $/h of c              (a dollar of usage is covered once)
    sum_c units_kc v_kc <= capacity_k        (within what commitment k covers each hour)

    A serving candidate's list $/h is price_c n_c; a job's is its spend while it runs: a
    training gang's instances x price x z_c for its hours, a batch job's price_c h_c / W_c
    (its instance-hours spread over its window W_c: linear, where the hours it really runs,
    h_c / n_c, are not; the plan's figures bill the hours it runs, so a job that ends early
    gets no more than they allow). Jobs and serving share each hour's capacity (as if every
    job ran at once: never more coverage than billing gives).
    Each covered dollar leaves the objective (x its hours for a job, whose cost is for the
    run): the commitment is paid whatever runs, so covered usage costs nothing more (its
    committed_per_hour is a constant, reported in the plan, and does not move the optimum).
    """
    model = ctx.built.model
    use: dict[str, list] = defaultdict(list)
    for c, spend, instance_price, hours in ctx.committable:
        mine = [k for k in covers if k.covers(c.offering, c.pricing)]
        parts = []
        for k in mine:
            label = f"v[{k.name},{c.workload},{'/'.join(c.offering.key)},{c.tp}]"
            v = model.add_variable(lb=0, name=label)
            parts.append(v)
            use[k.name].append(k.units_per_dollar(c.offering, instance_price) * v)
            ctx.cost.append(-hours * v)
        ctx.add(_sum(parts) <= spend)
    for k in covers:
        if use[k.name]:
            ctx.add(_sum(use[k.name]) <= k.capacity, f"commitment[{k.name}]")


def _committable(ctx: _Context, c: Candidate) -> bool:
    """Whether a commitment may cover candidate c (not a prepaid time window)."""
    return not c.billed_hours and any(k.covers(c.offering, c.pricing) for k in ctx.covers)


def _batch(ctx: _Context, w: BatchWorkload, cands: tuple[Candidate, ...]) -> None:
    """A batch job: instances n_c and instance-hours h_c, its deadline and spot rows."""
    built = ctx.built
    most = max(world.requests[w.name] for world in ctx.worlds)
    n, h = [], []
    for i, c in enumerate(cands):
        hours = c.window_hours or w.deadline_hours  # a time window: the hours it leaves
        bound = math.ceil(most / c.batch_rps / 3600 / hours) + 1
        n.append(built.integer(0, bound, f"n[{w.name},{i}]", (w.name, i)))
        h.append(built.model.add_variable(lb=0, ub=bound * hours, name=f"h[{w.name},{i}]"))
        built.n[(w.name, i)], built.h[(w.name, i)] = n[i], h[i]
        deadlines.link_row(ctx, h[i], n[i], hours)
        if c.billed_hours:  # a window paid in full: every instance for all of it
            ctx.cost.append(c.price * c.billed_hours * n[i])
        else:
            ctx.cost.append(c.price * h[i])
            if _committable(ctx, c):
                ctx.committable.append((c, (c.price / hours) * h[i], c.price, hours))
    for s, world in enumerate(ctx.worlds):
        priced = [(i, p) for i, c in enumerate(cands) if (p := world.price(c)) is not None]
        for i, price in priced:
            ctx.ledgers[s].add(cands[i], price, cands[i].accelerators, n[i])
        view = JobView(s, w, cands, [i for i, _ in priced], n, h, world.requests[w.name])
        for family_rows in BATCH_ROWS:
            family_rows(ctx, view)


def _training(ctx: _Context, w: TrainingWorkload, cands: tuple[Candidate, ...]) -> None:
    """A training job: one binary z_c per gang shape sold in every world, its gang and spot
    rows."""
    built = ctx.built
    chosen = []
    for i, c in enumerate(cands):
        everywhere = all(world.price(c) is not None for world in ctx.worlds)
        z = (
            built.binary(f"z[{w.name},{i}]")
            if everywhere
            else built.integer(0, 0, f"z[{w.name},{i}]")
        )
        built.z[(w.name, i)] = z
        chosen.append(z)
        ctx.cost.append(c.instances * c.price * (c.billed_hours or c.hours) * z)
        if _committable(ctx, c):
            ctx.committable.append((c, c.instances * c.price * z, c.price, c.hours))
        for s, world in enumerate(ctx.worlds):
            if (price := world.price(c)) is not None:
                ctx.ledgers[s].add(c, c.instances * price, c.instances * c.accelerators, z)
    view = JobView(0, w, cands, list(range(len(cands))), chosen)
    for family_rows in TRAINING_ROWS:
        family_rows(ctx, view)


def _priced_rows(ctx: _Context, prices: Mapping[tuple[str, int], float], rows) -> None:
    """A decomposition's prices on instances (objective) and limits on what is left (rows)."""
    built = ctx.built

    def unit(key: tuple[str, int]):
        return built.n[key] if key in built.n else built.z[key]

    for key, price in sorted(prices.items()):
        if price:
            ctx.cost.append(price * unit(key))
    for r, (coefs, rhs) in enumerate(rows):
        terms = [c * unit(key) for key, c in sorted(coefs.items()) if c]
        if terms:
            ctx.add(_sum(terms) <= rhs, f"row_{r}")
