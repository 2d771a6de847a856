"""One row of the fleet-shape matrix in a process of its own, on whichever planner is first on
PYTHONPATH (benchmarks/matrix.py runs it on this tree and on a checkout of the previous
strategy, on the same input files). Standard library and the planner's public API only.

    python benchmarks/matrix_run.py SPEC --catalog FILE... [--profiles FILE]
        --time-limit S --gap G --workers N [--save-plan FILE] [--phases FILE]

Prints one JSON object: status, objective, bound, gap, wall and CPU seconds of the solve
(candidates included, user+sys of this process and its worker processes), peak MiB (this
process's peak resident set plus the largest worker's), and how many violations `verify`
finds (after the clock), and the machine's 1-minute load average (the higher of before and
after). --save-plan writes the plan's JSON (as solved, without the annotations `planner plan` adds),
after the clock, for the verbs measured on it (benchmarks/verbs.py). --phases appends a line to
FILE as each phase of the solve ends (candidates, covering rows, fleet LP, rounds of subproblems,
repairs, neighbourhoods, master, assembly, verify): its CPU and wall seconds and the resident
MiB then, so a row stopped before its plan still says where its time went (these are the
planner's internal functions: a name a checkout lacks is left out).
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


PHASES = (
    ("planner.solve.placement", "make_problem", "candidates"),
    ("planner.solve.decompose", "shared_rows", "covering rows"),
    ("planner.solve.decompose", "add_covering", "covering rows"),
    ("planner.solve.decompose", "fleet_lp", "fleet LP"),
    ("planner.solve.decompose", "Subproblems.solve_all", "round of subproblems"),
    ("planner.solve.decompose", "_repair_in", "repair"),
    ("planner.solve.decompose", "_neighbourhood", "neighbourhoods"),
    ("planner.solve.decompose", "_master", "master"),
    ("planner.solve.decompose", "_assemble", "routing"),
    ("planner.solve.strategy", "_improve_with_full_mip", "full MIP"),
    ("planner.solve.strategy", "allocations_of", "allocations"),
    ("planner.solve.placement", "allocations_of", "allocations"),
    ("planner.solve.placement", "assemble_plan", "plan assembly"),
)
"""(module, attribute, label) of each phase --phases reports."""


def _rss_mib() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _trace(path: str) -> None:
    """Wrap each phase of PHASES that this checkout has, appending a line to `path` as it
    ends (in whichever process runs it: a repair runs in a worker)."""
    import functools
    import importlib
    import os

    def traced(fn, label):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            cpu, wall = _cpu(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                line = {"phase": label, "cpu_s": round(_cpu() - cpu, 2),
                        "wall_s": round(time.perf_counter() - wall, 2),
                        "rss_mib": round(_rss_mib()), "pid": os.getpid(),
                        "at": round(time.time(), 1)}  # fmt: skip
                with open(path, "a") as f:
                    f.write(json.dumps(line) + "\n")

        return run

    for module, name, label in PHASES:
        try:
            owner = importlib.import_module(module)
            *outer, attr = name.split(".")
            for part in outer:
                owner = getattr(owner, part)
            setattr(owner, attr, traced(getattr(owner, attr), label))
        except (ImportError, AttributeError):
            continue


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("spec")
    parser.add_argument("--catalog", action="append", required=True)
    parser.add_argument("--profiles")
    parser.add_argument("--time-limit", type=float, required=True)
    parser.add_argument("--gap", type=float, default=0.005)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save-plan")
    parser.add_argument("--phases")
    args = parser.parse_args()
    if args.phases:
        _trace(args.phases)

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

        verified = _cpu(), time.perf_counter()
        record["violations"] = len(verify(plan, spec, catalog, profiles=profiles))
        record["verify_cpu_s"] = round(_cpu() - verified[0], 2)
        record["verify_wall_s"] = round(time.perf_counter() - verified[1], 2)
        if args.save_plan:
            Path(args.save_plan).write_text(plan.model_dump_json(indent=2) + "\n")
    print(json.dumps(record))


if __name__ == "__main__":
    main()
