"""One scale measurement in a process of its own (so peak memory is this run's alone).

    python -m benchmarks.scale_one --workloads 1000 --method ours|previous|monolithic
        [--quotas FILE] [--workers 2] [--executor local|ray [--address HOST:PORT]]

ours: the default strategy (the Lagrangian decomposition at this scale) on `--workers`
processes; previous: the LP-guided MIP strategy it replaced (SolveOptions strategy "mip");
monolithic: one MIP of the whole fleet handed to SCIP. Prints one JSON object: workloads,
method, status, objective, bound, gap, seconds (candidates included), peak MiB, and
for ours and previous how many violations `verify` finds (0: the plan keeps every promise).
With `--executor ray` the candidates and subproblems run as Ray tasks (a local Ray of `--workers`
CPUs, or the cluster at `--address`); joining Ray happens before the clock starts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workloads", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--method", choices=["ours", "previous", "monolithic"], default="ours")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--executor", choices=["local", "ray"], default="local")
    parser.add_argument("--address", help="Ray cluster to join (with --executor ray).")
    parser.add_argument("--quotas", type=Path, help="JSON list of quotas to add (binding ones).")
    parser.add_argument("--catalog", action="append", help="Catalog files (default: bundled).")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()

    from benchmarks.fleet import fleet_spec
    from planner.catalog import load_catalog
    from planner.errors import PlannerError
    from planner.solve import SolveOptions, make_problem, solve
    from planner.solve.backend import run
    from planner.solve.mip import build

    quotas = json.loads(args.quotas.read_text()) if args.quotas else None
    spec = fleet_spec(args.workloads, args.seed, quotas)
    catalog = load_catalog(args.catalog or None)
    strategy = "mip" if args.method == "previous" else "auto"
    held = contextlib.ExitStack()  # a joined Ray, left before `verify`
    executor = None
    if args.executor == "ray":
        from planner.compute.executors import make_executor

        executor = held.enter_context(
            make_executor("ray", workers=args.workers, address=args.address)
        )
    options = SolveOptions(time_limit_s=args.time_limit, relative_gap=0.005,
                           workers=args.workers, strategy=strategy,
                           executor=executor)  # fmt: skip
    start = time.perf_counter()
    record = {"workloads": args.workloads, "method": args.method, "quotas": len(quotas or []),
              "executor": args.executor}  # fmt: skip
    try:
        if args.method in ("ours", "previous"):
            plan = solve(spec, catalog, options=options, baselines=False)
            record |= {"status": plan.status, "objective": plan.objective_value,
                       "bound": plan.lower_bound, "gap": plan.gap}  # fmt: skip
        else:
            problem = make_problem(spec, catalog)
            outcome = run(build(problem), options)
            has = outcome.status in ("optimal", "feasible")
            record |= {
                "status": outcome.status if has else "no solution",
                "objective": outcome.objective if has else None,
                "bound": outcome.bound,
                "gap": (outcome.objective - outcome.bound) / outcome.objective if has else None,
            }
    except PlannerError as err:
        record |= {"status": f"error: {str(err).splitlines()[0]}"}
    record["seconds"] = round(time.perf_counter() - start, 2)
    record["peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    held.close()
    if args.method in ("ours", "previous") and "plan" in locals():
        from planner.verify import verify

        record["violations"] = len(verify(plan, spec, catalog))  # after the clock and memory
    print(json.dumps(record))


if __name__ == "__main__":
    main()
