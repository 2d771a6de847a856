"""How fast what-if sweeps run: 1,000 scenarios of the small example fleet on the process pool
(1 and 2 workers) and on a local Ray, with Ray's per-task overhead against the solve time and
a projection for a 100-node cluster.

    python -m benchmarks.sweep_speed [--scenarios 1000] [--cpus 2] [--no-ray]
                                     [--nodes 100] [--cores-per-node 16]

Prints a markdown table (wall clock, this machine). Every executor's report is checked to be
identical. Ray's start-up is timed apart from the sweep.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

from planner.catalog import load_catalog
from planner.compute.local import LocalExecutor
from planner.spec import load_spec
from planner.sweep.load import load_scenarios
from planner.sweep.render import to_json
from planner.sweep.runner import SweepRun, run_sweep
from planner.sweep.scenarios import expand

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "sweep"
SPEC = EXAMPLES / "small-fleet.yaml"
SCENARIOS = EXAMPLES / "small-scenarios.yaml"
LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


def _noop(shared, item):
    return item


def _row(name: str, workers: int, run: SweepRun, n: int) -> dict:
    solved = [s for s in run.task_seconds if s is not None]
    busy = run.wall_seconds * workers
    return {
        "executor": name,
        "workers": workers,
        "scenarios": n,
        "wall_s": run.wall_seconds,
        "per_s": (n + 1) / run.wall_seconds,
        "solve_ms": 1000 * statistics.mean(solved),
        "overhead_ms": 1000 * max(0.0, busy - sum(solved)) / len(solved),
    }


def _ray_rows(spec, catalog, found, cpus: int) -> tuple[list[dict], SweepRun, float, float]:
    """The sweep on a local Ray, its start-up seconds, and the driver's no-op task rate."""
    for key, value in LOOPBACK.items():
        os.environ.setdefault(key, value)
    import ray

    from planner.compute.ray_executor import RayExecutor

    began = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    startup = time.perf_counter() - began
    try:
        executor = RayExecutor()
        executor.map(_noop, None, list(range(4 * cpus)))  # start the workers
        run = run_sweep(spec, catalog, found, executor)
        began = time.perf_counter()
        executor.map(_noop, None, list(range(len(found))))
        noop_rate = len(found) / (time.perf_counter() - began)
    finally:
        ray.shutdown()
    return [_row("ray (local)", cpus, run, len(found))], run, startup, noop_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=1000)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--cores-per-node", type=int, default=16)
    args = parser.parse_args()
    spec, catalog = load_spec(SPEC), load_catalog()
    scenario_file = load_scenarios(SCENARIOS, spec, catalog).model_copy(
        update={"sample": args.scenarios}
    )
    found = expand(scenario_file)
    rows, reports = [], []
    for workers in sorted({1, args.cpus}):
        run = run_sweep(spec, catalog, found, LocalExecutor(workers=workers))
        rows.append(_row("local (process pool)", workers, run, len(found)))
        reports.append(to_json(run.sweep))
    startup = noop_rate = None
    if not args.no_ray:
        ray_rows, run, startup, noop_rate = _ray_rows(spec, catalog, found, args.cpus)
        rows += ray_rows
        reports.append(to_json(run.sweep))
    assert all(r == reports[0] for r in reports), "executors disagree"
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    print(f"<!-- sweep_speed on {machine}, Python {platform.python_version()} -->")
    print(f"Sweep of {len(found):,} scenarios (+ the base) of `examples/sweep/small-fleet.yaml`:\n")
    print("| executor | workers | wall s | scenarios/s | solve ms/task | overhead ms/task |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['executor']} | {r['workers']} | {r['wall_s']:.1f} | {r['per_s']:,.1f} | "
            f"{r['solve_ms']:.1f} | {r['overhead_ms']:.1f} |"
        )
    print(
        "\nOverhead per task = (wall x workers - the tasks' own solve time) / tasks: dispatch, "
        "(de)serialisation, result collection and idle workers at the end."
    )
    if startup is None:
        return
    ray_row = rows[-1]
    cores = args.nodes * args.cores_per_node
    per_task = (ray_row["solve_ms"] + ray_row["overhead_ms"]) / 1000
    rate = min(cores / per_task, noop_rate)
    limit = "the driver's dispatch rate" if rate == noop_rate else "the cluster's cores"
    print(
        f"\nRay: start-up {startup:.1f} s (not in the wall time); a no-op task round trip "
        f"from this driver runs at {noop_rate:,.0f} tasks/s.\n"
        f"Projection for {args.nodes} nodes x {args.cores_per_node} cores ({cores:,} workers), "
        f"each task {per_task * 1000:.0f} ms (solve + overhead measured here): about "
        f"{rate:,.0f} scenarios/s, bound by {limit}: 1,000 scenarios in "
        f"{1000 / rate:.1f} s, 100,000 in {100_000 / rate:.0f} s (plus start-up and the "
        "slowest task; batch several scenarios per task if dispatch binds)."
    )


if __name__ == "__main__":
    main()
