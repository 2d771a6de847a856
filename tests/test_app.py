"""The use cases (planner.app) are what the CLI runs: a script calling `planner.plan` or
`planner.verify_plan` gets the plan and the verdict `planner plan` and `planner verify` give,
with the same annotations, and every use case checks its arguments."""

from __future__ import annotations

import json

import pytest

import planner
from planner import app
from planner.errors import ArgumentError, InputError
from tests.conftest import EXAMPLES
from tests.slow_fit import write_slow_fit

CHATBOT = next(p for p in EXAMPLES if p.name == "chatbot-fleet.yaml")
BATCH = next(p for p in EXAMPLES if p.name == "nightly-batch-spot.yaml")
TRADEOFF = next(p for p in EXAMPLES if p.name == "batch-deadline-tradeoff.yaml")
DATE = "2026-12-01"
TIMING = ("solve_seconds",)


def _same(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in TIMING}


@pytest.fixture(scope="module")
def chatbot_plan():
    return planner.plan(CHATBOT, as_of=DATE)


def test_python_and_the_cli_make_the_same_plan_with_its_hourly_schedule(
    cli, tmp_path, chatbot_plan
):
    out = tmp_path / "plan.json"
    assert cli("plan", CHATBOT, "--date", DATE, "--format", "json", "-o", out).exit_code == 0
    from_cli = json.loads(out.read_text())
    assert chatbot_plan.annotations.schedule and from_cli["annotations"]["schedule"]
    assert _same(chatbot_plan.model_dump(mode="json")) == _same(from_cli)


def test_the_cli_planner_plan_and_planner_app_give_the_same_annotations(
    cli, tmp_path, chatbot_plan
):
    out = tmp_path / "plan.json"
    assert cli("plan", CHATBOT, "--date", DATE, "--format", "json", "-o", out).exit_code == 0
    from_cli = json.loads(out.read_text())
    from_app = app.plan(CHATBOT, as_of=DATE)
    # the annotations document: what the plan beat and its hourly schedule, the same each way
    found = chatbot_plan.annotations
    assert found.baselines and found.schedule and found.frontier is None and found.robust is None
    assert from_app.annotations == found
    assert from_cli["annotations"] == found.model_dump(mode="json")
    assert from_cli["plan_id"] == from_app.plan_id == chatbot_plan.plan_id
    # the frontier verb: its points in the same document, whichever way it is asked for
    args = ("frontier", TRADEOFF, "--points", "2", "--date", DATE, "--format", "json")
    frontier_cli = json.loads(cli(*args).stdout)["annotations"]
    frontier_api = planner.frontier(TRADEOFF, points=2, as_of=DATE).annotations
    assert frontier_api.frontier and frontier_api.baselines
    assert frontier_api == app.frontier(TRADEOFF, points=2, as_of=DATE).annotations
    assert frontier_cli == frontier_api.model_dump(mode="json")


def test_a_fit_sizes_the_plan_and_its_schedule_and_the_plan_names_it(cli, tmp_path, chatbot_plan):
    fit = write_slow_fit(tmp_path / "fit.csv")
    slow = planner.plan(CHATBOT, as_of=DATE, fit=fit)
    assert slow.cost_per_hour > chatbot_plan.cost_per_hour
    assert str(fit) in (slow.provenance.perf_fit or "")
    # the hourly schedule is sized with the same fit as the plan: slower chips, more replicas
    schedules = (slow.annotations.schedule, chatbot_plan.annotations.schedule)
    assert sum(schedules[0][0].replicas) > sum(schedules[1][0].replicas)
    out = tmp_path / "plan.json"
    made = cli("plan", CHATBOT, "--date", DATE, "--fit", fit, "--format", "json", "-o", out)
    assert made.exit_code == 0, made.stderr
    assert _same(json.loads(out.read_text())) == _same(slow.model_dump(mode="json"))


def test_verify_is_one_call_running_every_check_the_cli_runs(cli, tmp_path, chatbot_plan):
    assert app.verify(chatbot_plan, CHATBOT).ok
    # made for another spec, with a total that does not follow from its allocations
    tampered = chatbot_plan.model_copy(update={"cost_per_hour": chatbot_plan.cost_per_hour + 5})
    found = planner.verify_plan(tampered, BATCH)
    assert not found.ok
    assert any("cost_per_hour" in v for v in found.violations)
    assert any("spec" in v for v in found.violations)
    plan_file = tmp_path / "tampered.json"
    plan_file.write_text(tampered.model_dump_json())
    result = cli("verify", plan_file, BATCH, "--format", "json")
    assert result.exit_code == 1
    by_files = app.verify(plan_file, BATCH)
    assert json.loads(result.stdout)["violations"] == list(by_files.violations)
    assert (by_files.plan_name, by_files.spec_name) == (str(plan_file), str(BATCH))


def test_emit_writes_the_files_and_refuses_a_target_with_nothing_to_write(tmp_path):
    plan = planner.plan(BATCH, as_of=DATE)
    with pytest.raises(InputError, match="sagemaker has nothing to write"):
        planner.emit_plan(plan, "sagemaker", tmp_path / "none")
    assert not (tmp_path / "none").exists()
    done = planner.emit_plan(plan, "kubernetes", tmp_path / "out")
    assert done.targets == ("kubernetes",) and done.created
    assert all((tmp_path / "out" / p).is_file() for p in done.created)
    again = planner.emit_plan(plan, "kubernetes", tmp_path / "out")
    assert again.unchanged == done.created and not again.created


def test_diff_check_and_export_answer_as_their_verbs_do(cli, tmp_path, chatbot_plan):
    cheaper = planner.plan(BATCH, as_of=DATE)
    moved = planner.diff(chatbot_plan, cheaper, min_change=1, fail_on_increase=0)
    assert any(m.startswith("serving $/h -100.00%") for m in moved.moved or ())
    from planner.figures import number

    assert moved.breaches == (f"jobs $ rose from zero (0 -> {number(cheaper.job_cost)})",)
    same = planner.diff(chatbot_plan, chatbot_plan, min_change=0, fail_on_increase=0)
    assert same.moved == () and same.breaches == () and not same.result.changes
    gate = planner.check(chatbot_plan, max_cost_per_hour=1.0)
    assert not gate.ok and "over the limit $1.00/h" in gate.line
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(chatbot_plan.model_dump_json())
    start = "2027-01-01T00:00:00Z"
    rows = planner.export(plan_file, period="day", start=start).rows
    result = cli("export", plan_file, "--period", "day", "--start", start, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(json.dumps(list(rows), default=str))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: planner.plan(BATCH, strategy="fastest"), "strategy must be one of"),
        (lambda: planner.plan(BATCH, workers=0), "workers must be a whole number"),
        (lambda: planner.plan(BATCH, time_limit_s=float("nan")), "time_limit_s must be"),
        (lambda: planner.plan(BATCH, as_of=20261201), "as_of must be a date"),
        (lambda: planner.frontier(BATCH, points=1), "points must be"),
        (lambda: planner.check(BATCH), "give at least one limit"),
        (lambda: planner.diff(BATCH, BATCH, min_change=-1), "min_change must be"),
        (lambda: planner.emit_plan(BATCH, 3, "out"), "target must be a string"),
    ],
)
def test_use_cases_refuse_bad_arguments_with_the_planners_own_error(call, message):
    with pytest.raises(ArgumentError, match=message):
        call()


def test_estimate_and_queue_give_the_records_their_verbs_print(cli):
    args = ("--model", "llama-3.1-8b", "--accelerator", "L4", "--input-tokens", "800",
            "--output-tokens", "200", "--concurrency", "16")  # fmt: skip
    shown = cli("estimate", *args, "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    found = app.estimate("llama-3.1-8b", "L4", 800, 200, concurrency=16)
    assert found.title == "llama-3.1-8b on L4"
    assert json.loads(shown.stdout) == json.loads(json.dumps(found.record))
    queue = cli("queue", "--arrival-rate", "3", "--service-rate", "2", "--servers", "2",
                "--format", "json")  # fmt: skip
    assert json.loads(queue.stdout) == app.queue(3, 2, 2).record
    with pytest.raises(InputError, match="not both"):
        app.estimate("llama-3.1-8b", "L4", 800, 200, concurrency=1, rate=1)
