"""What changed between two plans: allocations added, removed, resized, moved or changed,
the cost delta per workload and in total, and changes to predicted latency and SLOs.

Allocations are matched on (workload, provider, region, service, instance type, pricing).
Unmatched ones of the same workload are paired as *moved*: first within an instance family
(another region, provider, pricing or service), then on the same accelerator, then any; at each
step the pairs closest in cost go first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.figures import ms, number, pct, relative_change, usd
from planner.plans import Allocation, Plan, WorkloadResult
from planner.report.breakdown import allocation_hourly, allocation_job
from planner.report.family import instance_family

KEY_FIELDS = ("workload", "provider", "region", "service", "instance_type", "pricing")
_TOL = 1e-6


def allocation_key(a: Allocation) -> tuple[str, ...]:
    """What identifies an allocation across plans."""
    return tuple(str(getattr(a, f)) for f in KEY_FIELDS)


def describe_allocation(a: Allocation) -> str:
    """`2x p5.4xlarge (H100) aws/us-west-2 ec2 on-demand` (`(B200 [uncalibrated])` when its
    figures rest on no fitted measurements)."""
    where = f"{a.provider}/{a.region}" + (f"/{a.zone}" if a.zone else "")
    pricing = a.pricing.replace("_", "-")
    flag = " [uncalibrated]" if a.calibration else ""
    return f"{a.count}x {a.instance_type} ({a.accelerator}{flag}) {where} {a.service} {pricing}"


@dataclass(frozen=True)
class AllocationChange:
    """One allocation that differs between the plans."""

    change: str  # added | removed | resized | moved | changed
    workload: str
    old: Allocation | None
    new: Allocation | None
    details: tuple[str, ...] = ()

    @property
    def hourly_delta(self) -> float:
        """Change in serving $/h."""
        return _hourly(self.new) - _hourly(self.old)

    @property
    def job_delta(self) -> float:
        """Change in job dollars."""
        return _job(self.new) - _job(self.old)

    def describe(self) -> str:
        """One line: what changed, from what to what."""
        before = describe_allocation(self.old) if self.old else ""
        after = describe_allocation(self.new) if self.new else ""
        text = {
            "added": f"{self.workload}: added {after}",
            "removed": f"{self.workload}: removed {before}",
            "moved": f"{self.workload}: moved {before} -> {after}",
        }.get(self.change, f"{self.workload}: {self.change} {after}")
        return text + (f" ({'; '.join(self.details)})" if self.details else "")


def _hourly(a: Allocation | None) -> float:
    return allocation_hourly(a) if a else 0.0


def _job(a: Allocation | None) -> float:
    return allocation_job(a) if a else 0.0


def _differs(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(a - b) > _TOL * max(1.0, abs(a), abs(b))


_COMPARED = (
    ("count", "count", str),
    ("tp", "TP", str),
    ("zone", "zone", lambda v: v or "(any)"),
    ("price_per_hour", "price", lambda v: f"{usd(v, 4)}/h"),
    ("hours", "hours", number),
    ("job_cost", "job", usd),
    ("routed_rps", "routed rps", number),
    ("utilisation", "utilisation", lambda v: pct(v, 0)),
    ("ttft_ms", "TTFT", ms),
    ("tpot_ms", "TPOT", ms),
)


ROUTING_NOISE = 0.01
"""Routed requests/s and utilisation are a change only where the utilisation moves by at least
this much (one percentage point): smaller moves are how a solver happened to split load among
equal-cost instances (docs/constraints.md), not a change to review."""
_ROUTING = ("routed_rps", "utilisation")


def _routing_moved(old: Allocation, new: Allocation) -> bool:
    if old.utilisation is None or new.utilisation is None:
        return _differs(old.routed_rps, new.routed_rps) or _differs(
            old.utilisation, new.utilisation
        )
    return abs(old.utilisation - new.utilisation) >= ROUTING_NOISE - 1e-12


def field_changes(old: Allocation, new: Allocation) -> tuple[str, ...]:
    """What differs between two versions of an allocation, in words ('count 2 -> 3'); routing
    figures only beyond ROUTING_NOISE."""
    out = []
    routing = _routing_moved(old, new)
    for name, label, show in _COMPARED:
        a, b = getattr(old, name), getattr(new, name)
        if name in _ROUTING and not routing:
            continue
        changed = _differs(a, b) if isinstance(a, float) or isinstance(b, float) else a != b
        if changed:
            out.append(f"{label} {show(a)} -> {show(b)}")
    return tuple(out)


def _tiers(old: Allocation, new: Allocation) -> int | None:
    """How well an unmatched pair of one workload fits 'moved': 0 best, None not at all."""
    if old.workload != new.workload:
        return None
    if instance_family(old.provider, old.instance_type) == instance_family(
        new.provider, new.instance_type
    ):
        return 0
    return 1 if old.accelerator == new.accelerator else 2


def _cost(a: Allocation) -> float:
    """Serving $/h or job $: what pairs a moved allocation with its most similar replacement."""
    return _hourly(a) + _job(a)


def _sort(allocations: list[Allocation]) -> list[Allocation]:
    return sorted(allocations, key=lambda a: (allocation_key(a), a.zone, a.tp, a.count))


def allocation_changes(old: Plan, new: Plan) -> tuple[list[AllocationChange], int]:
    """Every allocation that differs, and how many are identical."""
    left, right = _sort(list(old.allocations)), _sort(list(new.allocations))
    changes: list[AllocationChange] = []
    unchanged = 0
    for exact in (True, False):
        for a in list(left):
            match = next(
                (
                    b
                    for b in right
                    if allocation_key(a) == allocation_key(b)
                    and (not exact or (a.zone, a.tp) == (b.zone, b.tp))
                ),
                None,
            )
            if match is None:
                continue
            left.remove(a)
            right.remove(match)
            details = field_changes(a, match)
            if not details:
                unchanged += 1
            else:
                kind = "resized" if a.count != match.count else "changed"
                changes.append(AllocationChange(kind, a.workload, a, match, details))
    for tier in (0, 1, 2):
        pairs = sorted(
            (abs(_cost(a) - _cost(b)), allocation_key(a), allocation_key(b), i, j)
            for i, a in enumerate(left)
            for j, b in enumerate(right)
            if _tiers(a, b) == tier
        )
        taken_left, taken_right = set(), set()
        for *_, i, j in pairs:
            if i not in taken_left and j not in taken_right:
                taken_left.add(i)
                taken_right.add(j)
                changes.append(AllocationChange("moved", left[i].workload, left[i], right[j]))
        left = [a for i, a in enumerate(left) if i not in taken_left]
        right = [b for j, b in enumerate(right) if j not in taken_right]
    changes += [AllocationChange("removed", a.workload, a, None) for a in left]
    changes += [AllocationChange("added", b.workload, None, b) for b in right]
    order = {"removed": 0, "moved": 1, "resized": 2, "changed": 3, "added": 4}
    changes.sort(
        key=lambda c: (c.workload, order[c.change], allocation_key(c.old or c.new), c.details)
    )
    return changes, unchanged


@dataclass(frozen=True)
class WorkloadChange:
    """One workload's cost and predicted latency in both plans (None: absent from that plan)."""

    name: str
    status: str  # added | removed | changed | unchanged
    cost_per_hour: tuple[float, float]
    job_cost: tuple[float, float]
    meets_slo: tuple[bool | None, bool | None]
    tpot_ms: tuple[float | None, float | None]
    ttft_ms: tuple[float | None, float | None]
    tpot_target_ms: float | None = None
    ttft_target_ms: float | None = None
    slo_changes: tuple[str, ...] = ()
    usd_per_million_tokens: tuple[float | None, float | None] = (None, None)
    usd_per_million_input_tokens: tuple[float | None, float | None] = (None, None)
    usd_per_million_output_tokens: tuple[float | None, float | None] = (None, None)

    @property
    def hourly_delta(self) -> float:
        """Change in the workload's serving $/h."""
        return self.cost_per_hour[1] - self.cost_per_hour[0]

    @property
    def job_delta(self) -> float:
        """Change in the workload's job dollars."""
        return self.job_cost[1] - self.job_cost[0]


def _worst(plan: Plan, workload: str, name: str) -> float | None:
    values = [
        getattr(a, name)
        for a in plan.allocations_of(workload)
        if a.routed_rps and getattr(a, name) is not None
    ]
    return max(values) if values else None


def _slo_changes(
    tpot: tuple, ttft: tuple, meets: tuple, targets: tuple[float | None, float | None]
) -> tuple[str, ...]:
    out = []
    if meets[0] is not None and meets[1] is not None and meets[0] != meets[1]:
        out.append("now meets its SLO" if meets[1] else "no longer meets its SLO")
    for label, (a, b), target in (("TPOT", tpot, targets[0]), ("TTFT", ttft, targets[1])):
        if _differs(a, b):
            goal = f" (target {ms(target)})" if target is not None else ""
            out.append(f"{label} {ms(a)} -> {ms(b)}{goal}")
    return tuple(out)


def workload_changes(old: Plan, new: Plan, changed: set[str]) -> list[WorkloadChange]:
    """Every workload of either plan (new plan's order, then removed ones)."""
    before = {w.name: w for w in old.workloads}
    after = {w.name: w for w in new.workloads}
    names = [w.name for w in new.workloads] + [n for n in before if n not in after]
    out = []
    for name in names:
        a, b = before.get(name), after.get(name)
        tpot = (
            _worst(old, name, "tpot_ms") if a else None,
            _worst(new, name, "tpot_ms") if b else None,
        )
        ttft = (
            _worst(old, name, "ttft_ms") if a else None,
            _worst(new, name, "ttft_ms") if b else None,
        )
        meets = (a.meets_slo if a else None, b.meets_slo if b else None)
        ref: WorkloadResult = b or a  # type: ignore[assignment]
        slo = _slo_changes(tpot, ttft, meets, (ref.tpot_ms, ref.ttft_p95_ms)) if a and b else ()
        hourly = (a.cost_per_hour if a else 0.0, b.cost_per_hour if b else 0.0)
        jobs = (a.job_cost if a else 0.0, b.job_cost if b else 0.0)
        if a is None or b is None:
            status = "added" if a is None else "removed"
        elif name in changed or slo or _differs(*hourly) or _differs(*jobs):
            status = "changed"
        else:
            status = "unchanged"
        per_million = {
            field: (_unit(old, name, field) if a else None, _unit(new, name, field) if b else None)
            for field in ("usd_per_million_tokens", "usd_per_million_input_tokens",
                          "usd_per_million_output_tokens")
        }  # fmt: skip
        out.append(
            WorkloadChange(
                name, status, hourly, jobs, meets, tpot, ttft, ref.tpot_ms, ref.ttft_p95_ms, slo,
                **per_million,
            )
        )  # fmt: skip
    return out


def _unit(plan: Plan, workload: str, name: str) -> float | None:
    found = plan.unit_costs_of(workload)
    return getattr(found, name) if found else None


@dataclass(frozen=True)
class UnitCostChange:
    """One unit cost of the fleet ($/M tokens, $/1k requests) before and after; None: not
    defined for that plan (no serving, or no batch)."""

    name: str
    old: float | None
    new: float | None

    @property
    def relative(self) -> float | None:
        if self.old is None or self.new is None:
            return None
        return relative_change(self.old, self.new)


UNIT_COSTS = (
    ("serving $/M tokens", "serving", "usd_per_million_tokens"),
    ("serving $/M input tokens", "serving", "usd_per_million_input_tokens"),
    ("serving $/M output tokens", "serving", "usd_per_million_output_tokens"),
    ("serving $/1k requests", "serving", "usd_per_thousand_requests"),
    ("batch $/M tokens", "batch", "usd_per_million_tokens"),
    ("batch $/M input tokens", "batch", "usd_per_million_input_tokens"),
    ("batch $/M output tokens", "batch", "usd_per_million_output_tokens"),
)


def unit_cost_changes(old: Plan, new: Plan) -> tuple[UnitCostChange, ...]:
    """The fleet's unit costs in either plan (those defined in neither are left out)."""
    out = []
    for label, fleet, name in UNIT_COSTS:
        before, after = getattr(old.economics, fleet), getattr(new.economics, fleet)
        values = (
            getattr(before, name) if before else None,
            getattr(after, name) if after else None,
        )
        if values != (None, None):
            out.append(UnitCostChange(label, *values))
    return tuple(out)


@dataclass(frozen=True)
class Total:
    """One plan-level figure before and after (`field`: the Plan attribute it comes from)."""

    name: str
    field: str
    old: float
    new: float

    @property
    def delta(self) -> float:
        return self.new - self.old

    @property
    def relative(self) -> float | None:
        """(new - old) / old; None for a rise from zero."""
        return relative_change(self.old, self.new)


@dataclass(frozen=True)
class PlanDiff:
    """Everything that differs between an old and a new plan."""

    old_plan_id: str
    new_plan_id: str
    totals: tuple[Total, ...]
    changes: tuple[AllocationChange, ...]
    workloads: tuple[WorkloadChange, ...]
    unchanged: int
    notes: tuple[str, ...] = field(default_factory=tuple)
    unit_costs: tuple[UnitCostChange, ...] = field(default_factory=tuple)

    def total(self, name: str) -> Total:
        """The total called `name` ('serving $/h', 'serving $/month', 'jobs $', ...)."""
        return next(t for t in self.totals if t.name == name)

    @property
    def has_changes(self) -> bool:
        """Whether anything a reviewer should see differs."""
        return bool(
            self.changes
            or self.notes
            or any(w.status != "unchanged" for w in self.workloads)
            or any(_differs(t.old, t.new) for t in self.totals)
        )


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    """Compare two plans (typically the base and the head of a pull request)."""
    changes, unchanged = allocation_changes(old, new)
    totals = tuple(
        Total(label, name, getattr(old, name), getattr(new, name))
        for label, name in (
            ("serving $/h", "cost_per_hour"),
            ("serving $/month", "cost_per_month"),
            ("jobs $", "job_cost"),
            ("peak $/h", "peak_cost_per_hour"),
        )
    )
    notes = []
    if old.status != new.status:
        notes.append(f"status {old.status} -> {new.status}")
    if pct(old.gap, 2) != pct(new.gap, 2):
        notes.append(f"gap {pct(old.gap, 2)} -> {pct(new.gap, 2)}")
    if old.objective != new.objective:
        notes.append(f"objective {old.objective} -> {new.objective}")
    return PlanDiff(
        old.plan_id,
        new.plan_id,
        totals,
        tuple(changes),
        tuple(workload_changes(old, new, {c.workload for c in changes})),
        unchanged,
        tuple(notes),
        unit_cost_changes(old, new),
    )


def increase_breaches(diff: PlanDiff, percent: float) -> list[str]:
    """Serving $/h and job $ rises beyond `percent` (each judged in its own unit), in words."""
    out = []
    for name in ("serving $/h", "jobs $"):
        t = diff.total(name)
        if t.new <= t.old:
            continue
        rise = t.relative
        if rise is None or rise * 100 > percent + 1e-9:
            shown = "from zero" if rise is None else f"{rise * 100:+.2f}%"
            out.append(f"{name} rose {shown} ({number(t.old)} -> {number(t.new)})")
    return out
