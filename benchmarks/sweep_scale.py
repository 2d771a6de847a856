"""What-if sweeps at fleet scale: scenarios of a 1,000-workload fleet with binding quotas, on the
process pool, beside one plain solve of the same fleet in the same run.

    python -m benchmarks.sweep_scale [--workloads 1000] [--scenarios 100] [--workers 2]
                                     [--quotas FILE] [--time-limit 60]

Each scenario scales every workload's traffic (0.8-1.25x), spot prices (0.8-1.5x) and the
quotas (0.8-1.2x), seeded, so the quotas still bind. Prints one JSON object: the sweep's wall
seconds, scenarios per minute, the mean seconds of one scenario's solve, the seconds of the
plain solve of the base fleet (candidates included, one process), how many scenarios were
solved (and of those, within the 0.5% gap: "optimal") or infeasible.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

SCENARIOS = """\
sample: {n}
seed: 13
axes:
  - {{kind: traffic, range: [0.8, 1.25]}}
  - {{kind: price, pricing: spot, range: [0.8, 1.5]}}
  - {{kind: quota_scale, range: [0.8, 1.2]}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", type=int, default=1000)
    parser.add_argument("--scenarios", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quotas", type=Path, help="JSON list of binding quotas (else derived).")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()

    from benchmarks.fleet import binding_quotas, fleet_spec
    from planner.catalog import load_catalog
    from planner.compute.local import LocalExecutor
    from planner.solve import SolveOptions, solve
    from planner.sweep.load import parse_scenarios
    from planner.sweep.runner import run_sweep
    from planner.sweep.scenarios import expand

    catalog = load_catalog()
    options = SolveOptions(time_limit_s=args.time_limit, relative_gap=0.005)
    if args.quotas:
        quotas = json.loads(args.quotas.read_text())
    else:
        free = solve(fleet_spec(args.workloads, 1), catalog, baselines=False, options=options)
        quotas = binding_quotas(free)
    spec = fleet_spec(args.workloads, 1, quotas)
    began = time.perf_counter()
    base = solve(spec, catalog, baselines=False, options=options)
    plain_s = time.perf_counter() - began
    text = SCENARIOS.format(n=args.scenarios)
    found = expand(parse_scenarios(text, "scale-scenarios.yaml", spec, catalog))
    run = run_sweep(spec, catalog, found, LocalExecutor(workers=args.workers), options=options)
    summary = run.sweep.summary
    solved = [s for s in run.task_seconds if s is not None]
    optimal = sum(r.status == "optimal" for r in run.sweep.results)
    print(json.dumps({
        "workloads": args.workloads, "scenarios": len(found), "workers": args.workers,
        "quotas": len(quotas), "base_status": base.status, "base_gap": round(base.gap, 5),
        "plain_solve_s": round(plain_s, 2), "sweep_wall_s": round(run.wall_seconds, 1),
        "scenarios_per_min": round(60 * len(found) / run.wall_seconds, 1),
        "mean_task_s": round(statistics.mean(solved), 2),
        "solved": summary.solved, "infeasible": summary.infeasible, "errors": summary.errors,
        "optimal": optimal,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
