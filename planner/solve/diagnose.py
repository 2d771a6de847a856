"""Explaining infeasible specs in words: which workloads cannot run anywhere, or which
constraints conflict (a minimal set, found by a deletion filter over constraint groups)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from planner.catalog.offering import Offering
from planner.facts import find_accelerator
from planner.facts.engines import undeployable
from planner.perf import weight_bytes
from planner.perf.efficiency import uncalibrated_note
from planner.perf.multinode import KV_HEADROOM, MAX_NODES
from planner.perf.settings import DEFAULT_SETTINGS
from planner.perf.sizing import TRAINING_BYTES_PER_PARAM
from planner.rules import families
from planner.rules.quotas import quota_covers
from planner.rules.residency import image_outside
from planner.solve.backend import SolveOptions, is_feasible, run
from planner.solve.candidates import (
    calibration_allows,
    placement_allows,
    resolve_llm,
    spot_allowed,
)
from planner.solve.mip import PlacementProblem, build
from planner.spec.models import (
    BatchWorkload,
    ServingWorkload,
    Spec,
    TrainingWorkload,
    Workload,
    kv_dtype_of,
)


def why_no_candidates(spec: Spec, workload: Workload, offerings: tuple[Offering, ...]) -> str:
    """Why no offering can run `workload`: the first filter that leaves nothing, with numbers."""
    p = workload.placement
    allowed = [o for o in offerings if placement_allows(p, o)]
    rules = []
    if p.providers:
        rules.append(f"providers {', '.join(p.providers)}")
    if p.regions:
        rules.append(f"regions {', '.join(p.regions)}")
    if p.countries:
        rules.append(f"countries {', '.join(p.countries)}")
    if p.services:
        rules.append(f"services {', '.join(p.services)}")
    if p.accelerators:
        rules.append(f"accelerators {', '.join(p.accelerators)}")
    if not allowed:
        return (
            f"{workload.name}: no offering in the catalog matches its placement "
            f"({'; '.join(rules) or 'no rules'})"
        )
    where = f" within its placement ({'; '.join(rules)})" if rules else ""
    engine = getattr(workload, "engine", "vllm")
    kv = kv_dtype_of(workload)
    why_not = [
        undeployable(
            engine, o.service, o.service_kind == "vm", o.accelerator, workload.kind, kv_dtype=kv
        )
        for o in allowed
    ]
    if all(why_not):
        return (
            f"{workload.name}: no offering{where} can be deployed with its engine {engine}: "
            + "; ".join(sorted({part for why in why_not for part in why.split("; ")}))
        )
    allowed = [o for o, why in zip(allowed, why_not, strict=True) if not why]
    if p.regions:
        deploy_json, regions = spec.deploy.model_dump_json(), tuple(p.regions)
        images = [
            image_outside(deploy_json, engine, o.accelerator, o.service, o.region, regions)
            for o in allowed
        ]
        if all(images):
            return (
                f"{workload.name}: every offering{where} would pull a serving image outside its "
                f"regions ({'; '.join(sorted(set(filter(None, images))))}); name a copy in one "
                "of them in deploy.accelerator_images (or deploy.image for NVIDIA GPUs)"
            )
        allowed = [o for o, why in zip(allowed, images, strict=True) if not why]
    chips = {o.accelerator: find_accelerator(o.accelerator) for o in allowed}
    calibrated = [
        o for o in allowed if chips[o.accelerator] is None
        or calibration_allows(p, o, chips[o.accelerator])  # type: ignore[arg-type]
    ]  # fmt: skip
    if not calibrated:
        notes = sorted({uncalibrated_note(chips[o.accelerator]) or "" for o in allowed})  # type: ignore[arg-type]
        return (
            f"{workload.name}: every offering{where} is an uncalibrated accelerator "
            f"({'; '.join(notes)}); set placement.allow_uncalibrated: true, name the chip in "
            "placement.accelerators, or give measured profiles (--profiles) to plan on it"
        )
    allowed = calibrated
    types = sorted({o.accelerator for o in allowed})
    if isinstance(workload, TrainingWorkload):
        need = _training_state_gap(spec, workload, allowed, where)
        if need:
            return need
        floor = workload.min_accelerator_memory_gb
        reasons = []
        if floor:
            reasons.append(f"at least {floor:g} GB per accelerator")
        if workload.deadline_hours:
            reasons.append(f"finishing within {workload.deadline_hours:g} h")
        if not spot_allowed(workload):
            reasons.append("on-demand only")
        return (
            f"{workload.name}: none of the {len(allowed)} offerings{where} "
            f"({', '.join(types)}) can run a gang of {workload.gang_size} "
            f"{' and '.join(reasons) or ''}".rstrip()
        )
    model = resolve_llm(spec, workload.model)
    weights_gb = weight_bytes(model, workload.weights_dtype) / 1e9
    largest = max(allowed, key=lambda o: (o.accelerator_memory_gb * o.accelerator_count, o.key))
    biggest = largest.accelerator_memory_gb * largest.accelerator_count
    if weights_gb > biggest:
        need = math.ceil(weights_gb / (biggest * (1 - KV_HEADROOM) * 0.9))
        return (
            f"{workload.name}: {model.name} needs {weights_gb:.0f} GB for its "
            f"{workload.weights_dtype} weights, but the largest instance{where} has "
            f"{biggest:.0f} GB of accelerator memory ({largest.instance_type}); its largest "
            f"replica would need about {need} x {largest.instance_type} "
            f"({need * largest.accelerator_count} x {largest.accelerator}, pipeline parallel "
            f"across the instances), which no offering allows: a replica spans at most "
            f"{MAX_NODES} VM instances of a type with a known scale-out network "
            "(planner/catalog/data/networks.csv) and an engine image that runs over several "
            "nodes, and managed services run one instance per replica"
        )
    if isinstance(workload, ServingWorkload):
        slo = workload.slo
        targets = [
            f"TPOT {slo.tpot_ms:g} ms" if slo.tpot_ms else "",
            f"p95 TTFT {slo.ttft_p95_ms:g} ms" if slo.ttft_p95_ms else "",
        ]
        return (
            f"{workload.name}: no offering{where} ({', '.join(types)}) serves {model.name} "
            f"within its SLO ({', '.join(t for t in targets if t)})"
        )
    assert isinstance(workload, BatchWorkload)
    return f"{workload.name}: no offering{where} ({', '.join(types)}) can run {model.name}"


def _training_state_gap(
    spec: Spec, workload: TrainingWorkload, allowed: list[Offering], where: str
) -> str:
    """Words for a training job whose state (TRAINING_BYTES_PER_PARAM per parameter) no gang of
    at most MAX_NODES instances of any allowed type holds; empty when one does."""
    if workload.model is None:
        return ""
    model = resolve_llm(spec, workload.model)
    state_gb = model.params_b * TRAINING_BYTES_PER_PARAM
    largest = max(allowed, key=lambda o: (o.accelerator_memory_gb * o.accelerator_count, o.key))
    per_instance = largest.accelerator_memory_gb * largest.accelerator_count
    if state_gb <= per_instance * MAX_NODES * DEFAULT_SETTINGS.memory_utilization:
        return ""
    need = math.ceil(state_gb / (per_instance * DEFAULT_SETTINGS.memory_utilization))
    return (
        f"{workload.name}: training {model.name} needs about {state_gb:,.0f} GB of accelerator "
        f"memory for its weights, gradients and optimizer state ({TRAINING_BYTES_PER_PARAM:g} "
        f"bytes per parameter, sharded over the gang), but the largest instance{where} has "
        f"{per_instance:,.0f} GB ({largest.instance_type}): its gang would need about {need} x "
        f"{largest.instance_type} ({need * largest.accelerator_count} x {largest.accelerator}), "
        f"and a gang spans at most {MAX_NODES} instances"
    )


def describe_group(spec: Spec, name: str) -> str:
    """A constraint group in words."""
    return families.describe(spec, name) or name


def _placement_note(workload: Workload) -> str | None:
    p = workload.placement
    if p.regions:
        return f"{workload.name} may only run in {', '.join(p.regions)} (residency)"
    if p.countries:
        return f"{workload.name} may only run in countries {', '.join(p.countries)} (residency)"
    if p.providers:
        return f"{workload.name} may only run on {', '.join(p.providers)}"
    return None


def conflicting_groups(problem: PlacementProblem, options: SolveOptions) -> list[str]:
    """A minimal set of constraint groups that cannot hold together (deletion filter)."""
    groups = build(problem).groups
    quick = replace(options, time_limit_s=min(options.time_limit_s, 20.0), relative_gap=1.0)
    everything = frozenset(groups)
    if not is_feasible(build(problem, disabled=everything), quick):
        return []
    conflict = list(groups)
    for name in groups:
        trial = [g for g in conflict if g != name]
        if not is_feasible(build(problem, disabled=everything - set(trial)), quick):
            conflict = trial
    return conflict


def _quota_need(
    problem: PlacementProblem, conflict: list[str], group: str, options: SolveOptions
) -> str:
    """What the workloads would take from a conflicting quota's pool if that quota were lifted."""
    spec = problem.spec
    q = spec.constraints.quotas[int(group.partition(":")[2])]
    acc = find_accelerator(q.accelerator)
    name = acc.name if acc else q.accelerator
    everything = frozenset(build(problem).groups)
    keep = set(conflict) - {group}
    built = build(problem, disabled=everything - keep)
    outcome = run(built, replace(options, time_limit_s=min(options.time_limit_s, 20.0)))
    if outcome.status not in ("optimal", "feasible"):
        return ""
    needs: dict[str, float] = {}
    for (workload, i), var in {**built.n, **built.z}.items():
        c = problem.candidates[workload][i]
        if quota_covers(q, c.pool, name):
            per_unit = c.accelerators * (c.instances or 1)
            needs[workload] = needs.get(workload, 0) + per_unit * outcome.result.variable_values(
                var
            )
    parts = [f"{w} needs {round(v)} {name}" for w, v in sorted(needs.items()) if v > 0.5]
    if not parts:
        return ""
    return (
        f"{' and '.join(parts)} in {q.provider} {q.region}, but the quota is {q.max_accelerators}"
    )


def explain_conflict(
    problem: PlacementProblem,
    conflict: list[str],
    options: SolveOptions = SolveOptions(),
    widen: Callable[[str], PlacementProblem] | None = None,
) -> str:
    """The conflict in words. A residency rule (allowed regions or providers) of a workload the
    conflict involves is listed only when it is part of the conflict: `widen(name)`, the problem
    with that workload's residency lifted, has a plan under the conflicting groups. Without
    `widen` no residency rule is listed (none was shown to matter)."""
    spec = problem.spec
    lines = []
    for g in conflict:
        need = _quota_need(problem, conflict, g, options) if g.startswith("quota") else ""
        lines.append(f"  - {need or describe_group(spec, g)}")
    involved = []
    for g in conflict:
        _, _, arg = g.partition(":")
        involved += [w for w in spec.workloads if w.name == arg]
    if any(g.startswith(("quota", "budget")) for g in conflict):
        involved = list(spec.workloads)
    quick = replace(options, time_limit_s=min(options.time_limit_s, 20.0), relative_gap=1.0)
    notes = []
    for w in dict.fromkeys(involved):
        note = _placement_note(w)
        if note is None or widen is None:
            continue
        wide = widen(w.name)
        off = frozenset(build(wide).groups) - set(conflict)
        try:
            if is_feasible(build(wide, disabled=off), quick):
                notes.append(note)
        except TimeoutError:  # undecided in time: say so rather than blame or clear the rule
            notes.append(f"{note}; whether it takes part could not be decided in time")
    lines += [f"  - {n}" for n in dict.fromkeys(notes)]
    if not conflict:
        return "No plan exists even without quotas, budget and spread rules."
    return (
        "No plan satisfies these constraints together (dropping any one of them makes a plan "
        "possible):\n" + "\n".join(lines)
    )
