"""Sweeps and fleet solves on a real Ray, kept on 127.0.0.1: a local Ray in this process gives
the same report (and the same plan) as the process pool, failing tasks are retried and
reported, and `planner sweep --address` and `planner plan --address` run on a Ray head that the
test starts (and ends) itself."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

# Ray reads these when it is imported: keep the node on the loopback interface, and let the
# driver present the token `ray start --head` creates.
LOOPBACK = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_AUTH_MODE": "token",
    "RAY_USAGE_STATS_ENABLED": "0",
}
for _key, _value in LOOPBACK.items():
    os.environ.setdefault(_key, _value)

ray = pytest.importorskip(
    "ray", reason="the ray extra is not installed (pip install 'llm-placement-planner[ray]')"
)

from planner.catalog import load_catalog  # noqa: E402
from planner.compute.executors import Failure  # noqa: E402
from planner.compute.local import LocalExecutor  # noqa: E402
from planner.compute.ray_executor import RayExecutor  # noqa: E402
from planner.spec import load_spec  # noqa: E402
from planner.sweep.load import parse_scenarios  # noqa: E402
from planner.sweep.render import to_json  # noqa: E402
from planner.sweep.runner import run_sweep  # noqa: E402
from planner.sweep.scenarios import expand  # noqa: E402
from tests.conftest import PLAN_DATE, ROOT  # noqa: E402

SMALL = ROOT / "examples" / "sweep" / "small-fleet.yaml"
SEEDED = """\
sample: 12
seed: 11
axes:
  - {kind: traffic, workloads: [chat], range: [0.5, 25]}
  - {kind: traffic, workloads: [nightly], range: [0.5, 2]}
  - {kind: price, pricing: spot, range: [0.8, 2]}
  - {kind: region_outage, values: [none, us-east-1, us-central1]}
  - {kind: spot_unavailable, providers: [gcp]}
"""


@pytest.fixture(scope="module")
def local_ray():
    """A Ray of 2 CPUs in this process, on 127.0.0.1; shut down after the module."""
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    assert ray.nodes()[0]["NodeManagerAddress"] == "127.0.0.1"
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def inputs():
    spec, catalog = load_spec(SMALL), load_catalog()
    return spec, catalog, expand(parse_scenarios(SEEDED, "seeded.yaml", spec, catalog))


def test_ray_and_the_process_pool_give_the_same_report(local_ray, inputs):
    from planner.compute.ray_executor import RayExecutor

    spec, catalog, scenarios = inputs
    arrived = []
    on_ray = run_sweep(spec, catalog, scenarios, RayExecutor(), on_result=arrived.append)
    pooled = run_sweep(spec, catalog, scenarios, LocalExecutor(workers=2))
    assert len(arrived) == len(scenarios) + 1
    assert to_json(on_ray.sweep) == to_json(pooled.sweep)
    summary = on_ray.sweep.summary
    assert summary.errors == 0 and summary.solved > 0 and summary.infeasible > 0


def test_ray_retries_a_failing_task_then_reports_it(local_ray, tmp_path):
    from planner.compute.ray_executor import RayExecutor
    from tests.sweep_faults import flaky

    items = ["a", "once", "always", "b"]
    results = RayExecutor(retries=2).map(flaky, str(tmp_path), items)
    assert results[:2] == ["A", "ONCE"] and results[3] == "B"
    assert results[2] == Failure("RuntimeError: always fails", attempts=3)
    assert results == LocalExecutor(workers=2, retries=2).map(flaky, str(tmp_path), items)


class CountingRay(RayExecutor):
    """The Ray executor, counting the maps it ran (to show that a solve used it)."""

    maps = 0

    def map(self, fn, shared, items, on_result=None):
        self.maps += 1
        return super().map(fn, shared, items, on_result)


def test_a_fleet_solve_on_ray_gives_the_plan_of_one_process(local_ray):
    from dataclasses import replace

    from planner.solve import SolveOptions, solve
    from tests.test_decompose import _solve_pair

    data = {"serving": [(12.5, ((200, 100), (2000, 300)), "llama-3.1-8b"),
                        (3.0, ((500, 150),), "llama-3.2-3b"),
                        (7.0, ((500, 150),), "llama-3.2-3b"),
                        (20.0, ((1000, 250),), "llama-3.1-8b")],
            "batch": True, "training": True, "prices": [0.8, 1.1, 3.5, 3.9],
            "share": 0.5}  # fmt: skip
    spec, catalog = _solve_pair(data)
    options = SolveOptions(relative_gap=0.005, strategy="decomposition")
    one = solve(spec, catalog, baselines=False, options=options)
    executor = CountingRay()
    with executor:
        on_ray = solve(spec, catalog, baselines=False, options=replace(options, executor=executor))
    assert executor.maps >= 2  # candidates, priced subproblems (covering rows: in process)
    assert ray.is_initialized()  # the module's Ray: the executor did not shut it down
    assert on_ray.allocations == one.allocations
    assert (on_ray.lower_bound, on_ray.status) == (one.lower_bound, one.status)


def test_a_fleet_solve_stops_with_the_error_of_a_task_that_always_fails(local_ray):
    from planner.errors import PlannerError
    from planner.solve.parallel import parallel_map
    from tests.sweep_faults import flaky

    with CountingRay() as executor, pytest.raises(PlannerError, match="always fails"):
        parallel_map(flaky, "/nonexistent", ["a", "always", "b"], 1, executor=executor)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, head: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if head.poll() is not None:
            raise AssertionError(f"ray start exited with {head.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise AssertionError(f"the Ray head did not listen on 127.0.0.1:{port} in {seconds:g} s")


def _end(head: subprocess.Popen) -> None:
    """End the head by its id (SIGTERM lets `ray start --block` stop what it started), then
    kill whatever is left in its process group."""
    head.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        head.wait(timeout=60)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(head.pid, signal.SIGKILL)
    head.wait(timeout=10)


def test_planner_sweep_runs_on_an_existing_cluster(inputs, tmp_path):
    bin_dir = Path(sys.executable).parent
    port = _free_port()
    env = {**os.environ, **LOOPBACK}
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths must fit
    log = (tmp_path / "head.log").open("w")
    head = subprocess.Popen(
        [str(bin_dir / "ray"), "start", "--head", "--block", "--node-ip-address=127.0.0.1",
         f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
         "--disable-usage-stats", f"--temp-dir={temp}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for(port, head)
        scenarios = tmp_path / "seeded.yaml"
        scenarios.write_text(SEEDED)
        out = tmp_path / "sweep.json"
        proc = subprocess.run(
            [str(bin_dir / "planner"), "sweep", str(SMALL), "--scenarios", str(scenarios),
             "--executor", "ray", "--address", f"127.0.0.1:{port}", "--no-progress",
             "--format", "json", "-o", str(out)],
            env=env, capture_output=True, text=True, timeout=240,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-3000:]
        planned = tmp_path / "plan.json"
        fleet = ROOT / "examples" / "chatbot-fleet.yaml"
        proc = subprocess.run(
            [str(bin_dir / "planner"), "plan", str(fleet), "--executor", "ray", "--address",
             f"127.0.0.1:{port}", "--date", PLAN_DATE.isoformat(), "-q", "-o", str(planned)],
            env=env, capture_output=True, text=True, timeout=240,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-3000:]
    finally:
        _end(head)
        log.close()
        shutil.rmtree(temp, ignore_errors=True)
    spec, catalog, found = inputs
    expected = run_sweep(spec, catalog, found, LocalExecutor(workers=2)).sweep
    assert out.read_text() == to_json(expected)
    from planner.solve import solve

    local = solve(load_spec(fleet), catalog, as_of=PLAN_DATE)
    on_cluster = json.loads(planned.read_text())
    assert on_cluster["allocations"] == json.loads(local.model_dump_json())["allocations"]
    assert on_cluster["objective_value"] == pytest.approx(local.objective_value)
