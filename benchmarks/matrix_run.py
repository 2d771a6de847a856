"""One row of the fleet-shape matrix in a process of its own, on whichever planner is first on
PYTHONPATH (benchmarks/matrix.py runs it on this tree and on a checkout of the previous
strategy, on the same input files). Standard library and the planner's public API only.

    python benchmarks/matrix_run.py SPEC --catalog FILE... [--profiles FILE]
        --time-limit S --gap G --workers N [--save-plan FILE]

Prints one JSON object: status, objective, bound, gap, wall and CPU seconds of the solve
(candidates included, user+sys of this process and its worker processes), peak MiB (this
process's peak resident set plus the largest worker's), and how many violations `verify`
finds (after the clock), and the machine's 1-minute load average (the higher of before and
after). --save-plan writes the plan's JSON (as solved, without the annotations `planner plan` adds),
after the clock, for the verbs measured on it (benchmarks/verbs.py).
"""

from __future__ import annotations

import argparse
import json
import resource
import time


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("spec")
    parser.add_argument("--catalog", action="append", required=True)
    parser.add_argument("--profiles")
    parser.add_argument("--time-limit", type=float, required=True)
    parser.add_argument("--gap", type=float, default=0.005)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save-plan")
    args = parser.parse_args()

    from pathlib import Path

    import planner
    from planner.catalog import load_catalog
    from planner.errors import PlannerError
    from planner.perf import load_profiles
    from planner.solve import SolveOptions, solve
    from planner.spec import parse_spec

    text = Path(args.spec).read_text()
    spec = parse_spec(text, args.spec)
    catalog = load_catalog(args.catalog)
    profiles = load_profiles(args.profiles, spec.user_llms()) if args.profiles else None
    options = SolveOptions(time_limit_s=args.time_limit, relative_gap=args.gap,
                           workers=args.workers)  # fmt: skip
    record: dict = {"planner": str(Path(planner.__file__).parent.parent)}
    import os

    record["load"] = round(os.getloadavg()[0], 1)
    cpu, wall = _cpu(), time.perf_counter()
    try:
        plan = solve(spec, catalog, profiles=profiles, options=options, baselines=False)
        record |= {"status": plan.status, "objective": plan.objective_value,
                   "bound": plan.lower_bound, "gap": plan.gap}  # fmt: skip
    except PlannerError as err:
        plan = None
        record |= {"status": f"error: {str(err).splitlines()[0]}"}
    record["wall_s"] = round(time.perf_counter() - wall, 2)
    record["cpu_s"] = round(_cpu() - cpu, 2)
    record["load"] = max(record["load"], round(os.getloadavg()[0], 1))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    record["peak_mib"] = round((own + kids) / 1024, 1)
    if plan is not None:
        from planner.verify import verify

        record["violations"] = len(verify(plan, spec, catalog, profiles=profiles))
        if args.save_plan:
            Path(args.save_plan).write_text(plan.model_dump_json(indent=2) + "\n")
    print(json.dumps(record))


if __name__ == "__main__":
    main()
