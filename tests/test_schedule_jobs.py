"""The jobs file: loading, line-numbered errors, durations from the performance model, CLI."""

from __future__ import annotations

import json

import pytest

from planner.facts import find_accelerator, find_llm
from planner.perf import scale_gpu_hours, training_hours
from planner.schedule import build_problem, load_jobs, parse_jobs
from planner.spec import SpecError
from tests.conftest import ROOT

JOBS = ROOT / "examples" / "jobs" / "jobs.yaml"
HEAVY_TAIL = ROOT / "examples" / "jobs" / "heavy-tail.yaml"

BASE = """\
capacity:
  pools:
    - {name: h100, accelerator: H100, gpus: 8, price_per_gpu_hour: 3}
    - {name: a100, accelerator: A100-80GB, gpus: 4}
jobs:
  - name: tune
    gpu_hours: 64
    reference_accelerator: A100-80GB
    gpus: 4
"""


def test_bundled_examples_load_and_every_job_fits_a_pool():
    for path in (JOBS, HEAVY_TAIL):
        problem = build_problem(load_jobs(path))
        assert problem.tasks and all(t.durations for t in problem.tasks)


def test_durations_come_from_the_performance_model():
    problem = build_problem(parse_jobs(BASE))
    minutes = problem.tasks[0].duration_on
    h100, a100 = find_accelerator("H100"), find_accelerator("A100-80GB")
    assert minutes["a100"] == 16 * 60  # 64 GPU-hours on 4 of the reference chip
    assert minutes["h100"] == pytest.approx(scale_gpu_hours(64, a100, h100) / 4 * 60, abs=1)
    training = parse_jobs(
        BASE.replace(
            "gpu_hours: 64\n    reference_accelerator: A100-80GB",
            "model: llama-3.1-8b\n    tokens: 1.0e+9",
        )
    )
    expected = training_hours(find_llm("llama-3.1-8b"), h100, 4, 1e9) * 60
    assert build_problem(training).tasks[0].duration_on["h100"] == pytest.approx(expected, abs=1)


def test_batch_inference_runs_faster_on_more_capable_pools():
    text = BASE.replace(
        "gpu_hours: 64\n    reference_accelerator: A100-80GB",
        "model: llama-3.1-8b\n    requests: 100000\n    input_tokens: 500\n    output_tokens: 100",
    )
    minutes = build_problem(parse_jobs(text)).tasks[0].duration_on
    assert 0 < minutes["h100"] < minutes["a100"]


def test_times_are_whole_minutes_and_accelerators_restrict_pools():
    text = BASE + "    release_hours: 0.51\n    deadline_hours: 10.999\n    accelerators: [H100]\n"
    task = build_problem(parse_jobs(text)).tasks[0]
    assert (task.release, task.deadline) == (31, 659)
    assert [p for p, _ in task.durations] == ["h100"]


@pytest.mark.parametrize(
    ("edit", "line", "expected"),
    [
        (("gpus: 4\n", "gpu: 4\n"), 9, "jobs[0].gpu: unknown key 'gpu' (did you mean 'gpus'?)"),
        (("gpus: 4\n", "gpus: 0\n"), 9, "jobs[0].gpus: input should be greater than or equal to 1"),
        (
            ("accelerator: H100,", "accelerator: H1000,"),
            3,
            "capacity.pools[0].accelerator: unknown",
        ),
        (
            ("    reference_accelerator: A100-80GB\n", ""),
            6,
            "jobs[0]: gpu_hours + reference_accelerator: missing reference_accelerator",
        ),
        (
            ("gpus: 4\n", "gpus: 4\n    model: llama-3.1-8b\n"),
            6,
            "jobs[0]: `model` goes with tokens",
        ),
        (("gpus: 4\n", "gpus: 16\n"), 6, "jobs[0]: job 'tune' fits no pool: h100: has 8 GPUs"),
        (("name: a100", "name: h100"), 4, "capacity.pools[1].name: name 'h100' is used twice"),
        (("  - name: tune\n", "  - name: Tune\n"), 6, "jobs[0].name: name 'Tune' is not allowed"),
    ],
)
def test_bad_jobs_files_name_file_line_and_field(tmp_path, edit, line, expected):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace(*edit))
    with pytest.raises(SpecError) as caught:
        load_jobs(bad)
    assert f"{bad}:{line}: {expected}" in str(caught.value)


def test_unknown_models_and_allowed_keys_are_listed():
    text = BASE.replace(
        "gpu_hours: 64\n    reference_accelerator: A100-80GB",
        "model: llama-9000\n    tokens: 1.0e+9",
    )
    with pytest.raises(SpecError, match=r"<string>:7: jobs\[0\].model: unknown model 'llama-9000'"):
        parse_jobs(text)
    with pytest.raises(SpecError, match="allowed keys here: capacity, jobs, models, options"):
        parse_jobs(BASE + "job: []\n")


def test_cli_bad_jobs_file_exits_2_with_file_line_and_field(cli, tmp_path):
    bad = tmp_path / "jobs.yaml"
    bad.write_text(BASE.replace("priority", "x").replace("gpus: 4\n", "gpus: 4\n    priorty: 2\n"))
    result = cli("schedule", bad)
    assert result.exit_code == 2
    assert f"{bad}:10: jobs[0].priorty: unknown key 'priorty' (did you mean 'priority'?)" in (
        result.stderr
    )
    missing = cli("schedule", tmp_path / "none.yaml")
    assert missing.exit_code == 2 and "Cannot read jobs file" in missing.stderr


def test_cli_schedule_json_has_the_same_metrics_for_every_policy(cli):
    result = cli("schedule", HEAVY_TAIL, "--format", "json", "--objective", "makespan")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    policies = [m["policy"] for m in data["policies"]]
    assert policies == ["fcfs", "sjf", "priority", "priority-preemptive", "rr", "optimal"]
    keys = {frozenset(m) for m in data["policies"]}
    assert len(keys) == 1
    assert data["objective"] == "makespan"
    optimal = data["policies"][-1]
    assert optimal["status"] == "optimal"
    assert all(
        optimal["objective_value"] <= m["objective_value"] + 1e-9 for m in data["policies"][:3]
    )
    assert set(data["schedules"]) == set(policies)


def test_cli_schedule_table_and_one_policy(cli):
    result = cli("schedule", JOBS, "--policy", "fcfs", "--policy", "sjf")
    assert result.exit_code == 0, result.stderr
    assert "objective weighted-completion" in result.stdout
    assert "fcfs" in result.stdout and "optimal" not in result.stdout
    assert "waiting_mean_h (priority 3)" in result.stdout


def test_cli_chart_writes_a_gantt_or_says_matplotlib_is_missing(cli, tmp_path):
    chart = tmp_path / "gantt.svg"
    result = cli("schedule", HEAVY_TAIL, "--policy", "fcfs", "--policy", "rr", "--chart", chart)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert result.exit_code == 2 and "needs matplotlib" in result.stderr
        return
    assert result.exit_code == 0, result.stderr
    assert chart.read_text().lstrip().startswith("<?xml")


def test_chart_without_matplotlib_is_a_clear_input_error(monkeypatch, tmp_path):
    import sys

    from planner.errors import InputError
    from planner.schedule import list_schedule, write_gantt

    problem = build_problem(load_jobs(HEAVY_TAIL))
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(InputError, match=r"pip install 'llm-placement-planner\[plots\]'"):
        write_gantt(problem, [list_schedule(problem, "fcfs")], tmp_path / "x.png")
