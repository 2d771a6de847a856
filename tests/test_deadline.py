"""One deadline for the whole plan: when it comes, in whichever phase, the planner returns the best
plan it has with its proven bound (or its cheap first-round plan), or says that no plan was found
within the time limit; never a traceback, never a phase started after it that could wait.

The clock is injected: it stands still until a chosen phase starts, then jumps an hour past the
deadline, so no test depends on how fast the machine is."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.fleet import binding_quotas, fleet_spec
from planner.catalog import load_catalog
from planner.cli.app import run
from planner.clock import Deadline
from planner.errors import OutOfTime
from planner.solve import SolveOptions, solve, solved
from planner.solve.baselines import LATE_BASELINES
from planner.solve.decompose import decompose
from planner.solve.problem import make_problem
from planner.verify import verify

LIMIT = 60.0
GAP = 0.005
LATER = ("neighbourhoods", "price step", "master")
"""Phases that only improve a plan: none starts once the deadline has passed."""


class JumpingClock:
    """Seconds that stand still until the phase `at` starts, then jump an hour on; it records
    every phase it is told of."""

    def __init__(self, at: str | None):
        self.now = 0.0
        self.at = at
        self.seen: list[str] = []
        self.jumped_after = -1

    def __call__(self) -> float:
        return self.now

    def watch(self, name: str) -> None:
        self.seen.append(name)
        if name == self.at and self.jumped_after < 0:
            self.now += 3600.0
            self.jumped_after = len(self.seen)

    def deadline(self) -> Deadline:
        return Deadline(LIMIT, self, self.watch, LIMIT)

    def after_jump(self) -> list[str]:
        return self.seen[self.jumped_after :] if self.jumped_after >= 0 else []


@pytest.fixture(scope="module")
def fleet():
    """30 serving, batch and training workloads with quotas at half of what their unconstrained
    plan uses on its 8 busiest pools: the first round of subproblems overflows them."""
    catalog = load_catalog()
    free = solve(fleet_spec(30, 3), catalog, options=SolveOptions(relative_gap=0.05),
                 baselines=False)  # fmt: skip
    return fleet_spec(30, 3, binding_quotas(free, 0.5, 8)), catalog


def _options(clock: JumpingClock) -> SolveOptions:
    return SolveOptions(time_limit_s=LIMIT, relative_gap=GAP, strategy="decomposition",
                        deadline=clock.deadline())  # fmt: skip


def test_every_phase_runs_when_the_deadline_never_comes(fleet):
    spec, catalog = fleet
    clock = JumpingClock(None)
    plan = solve(spec, catalog, options=_options(clock), baselines=False)
    assert verify(plan, spec, catalog) == []
    assert {"candidates", "fleet LP", "first round", "repair", "master", "assembly"} <= set(
        clock.seen
    )


def test_a_deadline_during_candidate_generation_says_no_plan_was_found(fleet):
    spec, catalog = fleet
    clock = JumpingClock("candidates")
    with pytest.raises(OutOfTime, match="No plan found within the 60 s time limit"):
        solve(spec, catalog, options=_options(clock), baselines=False)
    assert clock.after_jump() == []


class NearlyThereClock(JumpingClock):
    """Seconds that move to a microsecond before the deadline as the candidates start."""

    def watch(self, name: str) -> None:
        self.seen.append(name)
        self.now = LIMIT - 1e-6


def test_no_solve_starts_when_the_candidates_leave_too_little_time_for_a_first_plan(fleet):
    spec, catalog = fleet
    clock = NearlyThereClock(None)
    with pytest.raises(OutOfTime, match="No plan found within the 60 s time limit"):
        solve(spec, catalog, options=_options(clock), baselines=False)
    assert clock.seen == ["candidates"]


@pytest.mark.parametrize("phase", ["fleet LP", "first round", "repair"])
def test_a_deadline_before_the_first_plan_gives_the_cheap_first_round_plan(fleet, phase):
    spec, catalog = fleet
    clock = JumpingClock(phase)
    plan = solve(spec, catalog, options=_options(clock), baselines=False)
    assert verify(plan, spec, catalog) == []
    assert plan.status == "feasible"
    assert plan.lower_bound <= plan.objective_value + 1e-6
    assert plan.gap == pytest.approx(
        (plan.objective_value - plan.lower_bound) / plan.objective_value, abs=1e-5
    )
    assert not set(clock.after_jump()) & set(LATER)


@pytest.mark.parametrize("phase", ["candidates", "first round"])
def test_worker_processes_stop_at_the_deadline_as_one_process_does(fleet, phase):
    spec, catalog = fleet

    def outcome(workers: int):
        options = replace(_options(JumpingClock(phase)), workers=workers)
        try:
            plan = solve(spec, catalog, options=options, baselines=False)
        except OutOfTime as err:
            return str(err)
        return plan.allocations, plan.lower_bound

    assert outcome(2) == outcome(1)


def test_a_deadline_during_the_fleet_lp_leaves_it_unsolved_and_the_plan_still_comes(fleet):
    spec, catalog = fleet
    problem = make_problem(spec, catalog)
    clock = JumpingClock("fleet LP")
    result = decompose(problem, _options(clock))
    assert result.lp_bound == float("-inf")  # no retry after the deadline
    assert result.solution is not None
    assert result.iterations == 1


def test_a_deadline_in_the_master_keeps_the_plan_found_before_it(fleet):
    spec, catalog = fleet
    problem = make_problem(spec, catalog)
    full = decompose(problem, _options(JumpingClock(None)))
    cut = decompose(problem, _options(JumpingClock("master")))
    assert cut.solution is not None
    assert cut.bound == full.bound  # the bound was proved before the master
    plan = solve(spec, catalog, options=_options(JumpingClock("master")), baselines=False)
    assert verify(plan, spec, catalog) == []
    assert plan.lower_bound == pytest.approx(full.bound, rel=1e-9)


def test_a_deadline_after_the_solve_leaves_out_the_baselines_that_need_solves(fleet):
    spec, catalog = fleet
    on_time = solved(spec, catalog, options=_options(JumpingClock(None)))
    late = solved(spec, catalog, options=_options(JumpingClock("assembly")))
    assert late.plan.allocations == on_time.plan.allocations
    assert LATE_BASELINES in late.plan.warnings
    assert LATE_BASELINES not in on_time.plan.warnings
    assert [b.name for b in late.baselines] == ["cheapest-single-choice"]
    assert len(on_time.baselines) > 1


class SteppingClock:
    """Seconds that move on by `step` at every reading: the deadline passes at some point of
    the work, wherever the readings put it."""

    def __init__(self, step: float):
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(step=st.floats(0.05, 20.0))
def test_wherever_the_deadline_falls_the_answer_is_a_verified_plan_or_no_plan(fleet, step):
    spec, catalog = fleet
    clock = SteppingClock(step)
    options = SolveOptions(time_limit_s=LIMIT, relative_gap=GAP, strategy="decomposition",
                           deadline=Deadline(LIMIT, clock, None, LIMIT))  # fmt: skip
    try:
        plan = solve(spec, catalog, options=options, baselines=False)
    except OutOfTime as err:
        assert "No plan found within the 60 s time limit" in str(err)
        return
    assert verify(plan, spec, catalog) == []
    assert plan.lower_bound <= plan.objective_value + 1e-6


def test_planner_plan_past_its_time_limit_says_so_and_exits_1(capsys):
    # a microsecond: gone before the first workload's candidates on any machine
    spec = Path(__file__).resolve().parent.parent / "examples" / "chatbot-fleet.yaml"
    with pytest.raises(SystemExit) as exited:
        run(["plan", str(spec), "--time-limit", "0.000001", "-q"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "No plan found within the 1e-06 s time limit" in err
    assert "Traceback" not in err


def test_the_hourly_schedule_is_left_out_with_a_warning_once_the_deadline_has_passed():
    from planner.app.planning import LATE_SCHEDULE, annotate
    from planner.perf import DEFAULT_SETTINGS
    from planner.spec import load_spec

    spec = load_spec(Path(__file__).resolve().parent.parent / "examples" / "chatbot-fleet.yaml")
    found = solved(spec, options=SolveOptions(time_limit_s=LIMIT), baselines=False)
    on_time = annotate(found, spec, DEFAULT_SETTINGS, None, JumpingClock(None).deadline())
    clock = JumpingClock("assembly")
    late_deadline = clock.deadline()
    late_deadline.phase("assembly")
    late = annotate(found, spec, DEFAULT_SETTINGS, None, late_deadline)
    assert on_time.annotations.schedule
    assert LATE_SCHEDULE not in on_time.warnings
    assert late.annotations.schedule == []
    assert LATE_SCHEDULE in late.warnings
    assert late.allocations == on_time.allocations


def test_each_phase_of_the_decomposition_gets_its_share_of_the_time_left(fleet, monkeypatch):
    """With the clock standing still the time left stays the limit, so each phase's own
    deadline is its share of it: the fleet LP PRICE_STEPS_SHARE, the first round of
    subproblems FIRST_ROUND_SHARE with its repairs to the deadline (no plan exists yet), a
    later step's round PRICE_STEPS_SHARE with its repairs leaving the master MASTER_SHARE."""
    from planner.solve import decompose as d

    spec, catalog = fleet
    lp_left: list[float] = []
    rounds: list[tuple[float, float]] = []
    beside, solve_all = d.beside, d.Subproblems.solve_all

    def lp_beside(fn, state, workers):
        lp_left.append(state[3].deadline.left())
        return beside(fn, state, workers)

    def recorded(self, *args, **kwargs):
        now = time.time()
        rounds.append((self.deadline - now, self.repair_deadline - now))
        return solve_all(self, *args, **kwargs)

    monkeypatch.setattr(d, "beside", lp_beside)
    monkeypatch.setattr(d.Subproblems, "solve_all", recorded)
    clock = JumpingClock(None)
    plan = solve(spec, catalog, options=_options(clock), baselines=False)
    assert verify(plan, spec, catalog) == []
    # the solve keeps back a little time for the plan's assembly: what the decomposition
    # has is a little under LIMIT, the same at every phase (the clock stands still)
    assert len(lp_left) == 1
    left = lp_left[0] / d.PRICE_STEPS_SHARE
    assert LIMIT - 1.0 < left <= LIMIT
    first, *later = rounds
    assert first == (pytest.approx(d.FIRST_ROUND_SHARE * left, abs=2.0),
                     pytest.approx(left, abs=2.0))  # fmt: skip
    for round_end, repair_end in later:
        assert round_end == pytest.approx(d.PRICE_STEPS_SHARE * left, abs=2.0)
        assert repair_end == pytest.approx((1 - d.MASTER_SHARE) * left, abs=2.0)
