"""The optimal non-preemptive schedule with OR-Tools CP-SAT.

Each job gets a start and one optional fixed-size interval per pool it may use (exactly one is
present); a cumulative constraint per pool keeps the GPUs in use within the pool's size;
releases bound the starts; deadlines are hard (end <= deadline) or soft (lateness in the
objective). Objectives: makespan, weighted completion time (weight = priority + 1) or cost.
For makespan and cost a second pass keeps the optimum and minimises the weighted completion
time, so jobs do not idle for nothing. A fixed seed and a deterministic time limit make the
answer repeatable: one worker by default (fast, proves small problems optimal), or several
interleaved on one thread, still deterministic, which finds better schedules for hundreds of
jobs but runs slower per unit of deterministic time. The best non-preemptive list schedule is
given as a hint, so CP-SAT starts from it.
"""

from __future__ import annotations

import time

from planner.errors import InfeasibleError
from planner.schedule.problem import Objective, Schedule, SchedulingProblem, Segment

SCALE = 1000
"""Integer units per objective unit per hour: objective coefficients are exact to 1/1000."""


def optimal_schedule(
    problem: SchedulingProblem,
    objective: Objective,
    time_limit_s: float = 10.0,
    hint: Schedule | None = None,
    seed: int = 0,
    workers: int = 1,
) -> Schedule:
    """Minimise `objective` over non-preemptive schedules; status "optimal" when proven.

    Hard deadlines that no schedule meets raise InfeasibleError. If CP-SAT finds no schedule
    within the limit, the hint is returned with status "best list policy".
    """
    from ortools.sat.python import cp_model

    began = time.perf_counter()
    built = _Model(problem)
    model = built.model
    primary = built.objective(objective)
    model.minimize(primary)
    if hint is not None:
        built.hint(hint)
    solver = _solver(time_limit_s, seed, workers)
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        raise InfeasibleError(
            "No schedule meets every hard deadline (CP-SAT proved it); set options.deadlines: "
            "soft in the jobs file to get the least-late schedule"
        )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if hint is None:
            raise InfeasibleError("CP-SAT found no schedule within the time limit")
        return Schedule(
            policy="optimal",
            segments=hint.segments,
            status="best list policy",
            objective=objective,
            solve_seconds=time.perf_counter() - began,
            notes=(f"CP-SAT found no schedule in {time_limit_s:g} s; showing {hint.policy}",),
        )
    proven = status == cp_model.OPTIMAL
    bound = solver.best_objective_bound / (60 * SCALE)
    segments = built.segments(solver)
    if objective != "weighted-completion":
        model.add(primary <= round(solver.objective_value))
        model.clear_objective()
        model.minimize(built.objective("weighted-completion"))
        model.clear_hints()
        built.hint_from(solver)
        second = _solver(time_limit_s, seed, workers)
        if second.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            segments = built.segments(second)
    return Schedule(
        policy="optimal",
        segments=segments,
        status="optimal" if proven else "feasible",
        objective=objective,
        bound=bound,
        solve_seconds=time.perf_counter() - began,
    )


def _solver(time_limit_s: float, seed: int, workers: int):
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.interleave_search = workers > 1
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = time_limit_s
    return solver


class _Model:
    """The CP-SAT variables of one problem: start, end, pool choice and lateness per job."""

    def __init__(self, problem: SchedulingProblem):
        from ortools.sat.python import cp_model

        self.problem = problem
        self.model = model = cp_model.CpModel()
        pools = problem.pool
        horizon = max(t.release for t in problem.tasks) + sum(
            max(d for _, d in t.durations) for t in problem.tasks
        )
        self.start, self.end, self.late, self.choice = {}, {}, {}, {}
        per_pool: dict[str, list[tuple[object, int]]] = {p.name: [] for p in problem.pools}
        for t in problem.tasks:
            start = model.new_int_var(t.release, horizon, f"start[{t.name}]")
            end = model.new_int_var(t.release, horizon, f"end[{t.name}]")
            choices = {}
            for pool, minutes in t.durations:
                if pool not in pools or pools[pool].gpus < t.gpus:
                    continue
                chosen = model.new_bool_var(f"on[{t.name},{pool}]")
                interval = model.new_optional_fixed_size_interval_var(
                    start, minutes, chosen, f"run[{t.name},{pool}]"
                )
                model.add(end == start + minutes).only_enforce_if(chosen)
                per_pool[pool].append((interval, t.gpus))
                choices[pool] = chosen
            model.add_exactly_one(choices.values())
            if t.deadline is not None:
                if problem.deadlines == "hard":
                    model.add(end <= t.deadline)
                else:
                    late = model.new_int_var(0, horizon, f"late[{t.name}]")
                    model.add(late >= end - t.deadline)
                    self.late[t.name] = late
            self.start[t.name], self.end[t.name], self.choice[t.name] = start, end, choices
        for pool in problem.pools:
            if per_pool[pool.name]:
                intervals, demands = zip(*per_pool[pool.name], strict=True)
                model.add_cumulative(list(intervals), list(demands), pool.gpus)
        self.makespan = model.new_int_var(0, horizon, "makespan")
        model.add_max_equality(self.makespan, list(self.end.values()))

    def objective(self, objective: Objective):
        """The objective in integer units: SCALE per objective unit per hour (x 60 minutes)."""
        problem = self.problem
        if objective == "makespan":
            terms = [SCALE * self.makespan]
        elif objective == "weighted-completion":
            terms = [SCALE * t.weight * self.end[t.name] for t in problem.tasks]
        else:
            pools = problem.pool
            terms = [
                round(
                    (pools[pool].price_per_gpu_hour or 0.0) * t.gpus * t.duration_on[pool] * SCALE
                )
                * chosen
                for t in problem.tasks
                for pool, chosen in self.choice[t.name].items()
            ]
        penalty = round(problem.lateness_penalty * SCALE)
        terms += [penalty * late for late in self.late.values()]
        return sum(terms)

    def hint(self, schedule: Schedule) -> None:
        """Start the search from a non-preemptive schedule."""
        first = {}
        for s in schedule.segments:
            if s.task not in first or s.start < first[s.task].start:
                first[s.task] = s
        for name, s in first.items():
            self.model.add_hint(self.start[name], round(s.start))
            for pool, chosen in self.choice[name].items():
                self.model.add_hint(chosen, pool == s.pool)

    def hint_from(self, solver) -> None:
        for name, start in self.start.items():
            self.model.add_hint(start, solver.value(start))
            for chosen in self.choice[name].values():
                self.model.add_hint(chosen, solver.boolean_value(chosen))

    def segments(self, solver) -> tuple[Segment, ...]:
        out = []
        for t in self.problem.tasks:
            pool = next(
                p for p, chosen in self.choice[t.name].items() if solver.boolean_value(chosen)
            )
            start = solver.value(self.start[t.name])
            out.append(Segment(t.name, pool, float(start), float(start + t.duration_on[pool])))
        return tuple(sorted(out, key=lambda s: (s.start, s.task)))
