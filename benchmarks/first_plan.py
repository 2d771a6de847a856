"""CPU of the decomposition's phases up to its first plan, on one input of the fleet-shape
matrix, in one process with no time limit in the way (each phase's CPU is its own; the
candidates are built first and not counted). Run it on two checkouts (PYTHONPATH) to compare
the solver's work on the same input, whatever the machine's load does to wall-clock limits.

    python benchmarks/first_plan.py SPEC --catalog FILE... [--profiles FILE]

Prints one JSON object: the first plan's $/h (the cheaper of the two first repairs), the
bound (the fleet LP's or the first price step's Lagrangian, the higher), the gap, and the CPU
seconds of covering rows, fleet LP, first round of subproblems and both repairs.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("spec")
    parser.add_argument("--catalog", action="append", required=True)
    parser.add_argument("--profiles")
    args = parser.parse_args()

    import planner.solve.decompose as d
    from planner.catalog import load_catalog
    from planner.perf import load_profiles
    from planner.solve import SolveOptions, make_problem
    from planner.spec import parse_spec

    spec = parse_spec(Path(args.spec).read_text(), args.spec)
    catalog = load_catalog(args.catalog)
    profiles = load_profiles(args.profiles, spec.user_llms()) if args.profiles else None
    problem = make_problem(spec, catalog, profiles=profiles)
    options = SolveOptions(time_limit_s=3600, relative_gap=0.005, workers=1)
    cpu: dict[str, float] = {}

    def timed(phase, fn, *a, **k):
        began = time.process_time()
        found = fn(*a, **k)
        cpu[phase] = cpu.get(phase, 0.0) + time.process_time() - began
        return found

    rows, units = timed("covering rows", d.shared_rows, problem)
    subs = d.Subproblems(problem, units, options)
    lp = timed("fleet LP", d.fleet_lp, problem, rows, units, options)
    prices = lp[1]
    if hasattr(subs, "at_lp_prices"):  # checkouts before the LP's per-workload bounds
        subs.at_lp_prices(prices, lp[2])
    names = [u.name for u in units]
    answers = timed("first round", subs.solve_all, names, prices, 1)
    plan = {n: a.column for n, a in zip(names, answers, strict=True)}
    lagrangian = sum(a.bound for a in answers) - float(prices @ rows.capacity)
    best = math.inf
    for every in (False, True):
        repaired = timed("repairs", d._repair, subs, units, plan, rows, prices, every=every)
        if repaired is not None:
            best = min(best, sum(c.cost for c in repaired.values()))
    bound = max(lp[0], lagrangian)
    record = {"plan": round(best, 2), "bound": round(bound, 2),
              "gap": round((best - bound) / best, 6) if math.isfinite(best) else None,
              "cpu_s": {k: round(v, 2) for k, v in cpu.items()},
              "total_cpu_s": round(sum(cpu.values()), 2)}  # fmt: skip
    print(json.dumps(record))


if __name__ == "__main__":
    main()
