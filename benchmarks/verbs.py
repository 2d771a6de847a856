"""Every verb after `plan` on one plan: wall seconds, CPU seconds (user + system, worker
processes included) and peak resident MiB of each, measured with /usr/bin/time.

    python -m benchmarks.verbs PLAN SPEC [--catalog FILE ...] [--scenarios FILE]
        [--other PLAN] [--work DIR] [--only verify,emit,...] [--copies N]

Each verb runs as `planner VERB ...` in a process of its own, on whichever planner is first on
PYTHONPATH. `diff` compares PLAN with --other (default: PLAN itself, which still matches every
allocation). Prints one Markdown table row per verb, and the plan's size.

--copies N measures a plan N times the size instead: N renamed copies of PLAN's workloads
and allocations (svc-0 -> svc-0-c1 ...), with the spec's workloads copied and its quotas
multiplied alike, written under --work and restamped for that spec (so verify still passes
where PLAN does). The mix of the fleet is PLAN's, so a verb's time per allocation compares
directly with PLAN's own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLANNER = [sys.executable, "-c", "import sys; from planner.cli import main; sys.exit(main())"]


def verbs(plan: str, spec: str, catalogs: list[str], scenarios: str, other: str, out: Path):
    """(name, arguments) of every verb measured."""
    cat = [x for c in catalogs for x in ("--catalog", c)]
    return [
        ("verify", ["verify", plan, spec, *cat, "-o", str(out / "verify.txt")]),
        ("report --format html", ["report", plan, "--format", "html", "-o", str(out / "r.html")]),
        ("report --format md", ["report", plan, "--format", "md", "-o", str(out / "r.md")]),
        ("diff --format md", ["diff", other, plan, "--format", "md", "-o", str(out / "d.md")]),
        ("export --format focus-csv", ["export", plan, "--format", "focus-csv", *cat,
                                       "-o", str(out / "focus.csv")]),
        ("emit --target all", ["emit", plan, "-t", "all", "-o", str(out / "emit")]),
        ("autoscale", ["autoscale", plan, "--spec", spec, "-o", str(out / "autoscale.txt")]),
        ("simulate", ["simulate", plan, "--spec", spec, "-o", str(out / "simulate.txt")]),
        ("sweep --plan", ["sweep", spec, "--scenarios", scenarios, "--plan", plan, *cat, "-q",
                          "--format", "json", "-o", str(out / "sweep.json")]),
    ]  # fmt: skip


def _tree_ticks(root: int, seen: dict[int, int]) -> None:
    """Record the CPU ticks (user + system) of `root` and every process below it."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    mine = {root}
    grew = True
    while grew:
        found = {p for p, parent in parents.items() if parent in mine} - mine
        grew = bool(found)
        mine |= found
    for p in mine:
        if p in ticks:
            seen[p] = max(seen.get(p, 0), ticks[p])


def measure(args: list[str], out: Path) -> dict:
    """Wall s, CPU s and peak MiB of one `planner` run (and its exit status). CPU: what
    /usr/bin/time reports, or, where more, the last ticks seen of every process below it
    (sampled every 0.2 s): worker processes that a forkserver starts are no children of the
    planner's, so /usr/bin/time does not count them."""
    stats = out / "time.txt"
    force = [] if args[0] == "emit" else ["--force"]
    cmd = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(stats), *PLANNER, *args, *force]
    seen: dict[int, int] = {}
    with (out / "stderr.txt").open("w") as log:
        run = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
        while run.poll() is None:
            _tree_ticks(run.pid, seen)
            time.sleep(0.2)
    error = (out / "stderr.txt").read_text()
    wall, user, system, kib = stats.read_text().split()[-4:]
    sampled = sum(seen.values()) / os.sysconf("SC_CLK_TCK")
    return {
        "rc": run.returncode,
        "wall_s": float(wall),
        "cpu_s": max(float(user) + float(system), sampled),
        "peak_mib": int(kib) / 1024,
        "load": os.getloadavg()[0],
        "error": error.strip().splitlines()[-1:] if run.returncode > 1 else [],
    }


def replicate(plan_file: str, spec_file: str, copies: int, out: Path) -> tuple[str, str]:
    """`copies` renamed copies of the plan and its spec, as files under `out`."""
    import yaml

    from benchmarks.fleet import dump_spec
    from planner.plans.identity import restamp
    from planner.plans.model import Plan
    from planner.spec import parse_spec

    data = yaml.safe_load(Path(spec_file).read_text())
    workloads = data.pop("workloads")
    data["workloads"] = [
        w | {"name": f"{w['name']}-c{k}"} for k in range(copies) for w in workloads
    ]
    quotas = data.get("constraints", {}).get("quotas", [])
    for q in quotas:
        q["max_accelerators"] *= copies
    text = dump_spec(data)
    spec = parse_spec(text, "copies")
    plan = json.loads(Path(plan_file).read_text())
    for key in ("economics", "price_basis"):
        plan.pop(key, None)
    allocations = plan["allocations"]
    plan["allocations"] = [
        a | {"workload": f"{a['workload']}-c{k}"} for k in range(copies) for a in allocations
    ]
    plan["workloads"] = [
        w | {"name": f"{w['name']}-c{k}"} for k in range(copies) for w in plan["workloads"]
    ]
    for key in ("objective_value", "cost_per_hour", "cost_per_month", "job_cost",
                "peak_cost_per_hour", "lower_bound"):  # fmt: skip
        plan[key] = plan[key] * copies
    made = restamp(Plan.model_validate(plan), spec)
    spec_out, plan_out = out / f"spec-x{copies}.yaml", out / f"plan-x{copies}.json"
    spec_out.write_text(text)
    plan_out.write_text(made.model_dump_json(indent=2) + "\n")
    return str(plan_out), str(spec_out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("plan")
    parser.add_argument("spec")
    parser.add_argument("--catalog", action="append", default=[])
    parser.add_argument(
        "--scenarios", default=str(Path(__file__).parent.parent / "examples/sweep/scenarios.yaml")
    )
    parser.add_argument("--other", help="The old plan of `diff` (default: PLAN).")
    parser.add_argument("--work", type=Path, help="Folder for the outputs (default: a temp one).")
    parser.add_argument("--only", help="Comma-separated verb names (the first word of each).")
    parser.add_argument("--copies", type=int, help="Measure N renamed copies of the plan.")
    args = parser.parse_args()
    out = args.work or Path(tempfile.mkdtemp(prefix="planner-verbs-"))
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / "emit", ignore_errors=True)
    if args.copies:
        args.plan, args.spec = replicate(args.plan, args.spec, args.copies, out)
    plan = json.loads(Path(args.plan).read_text())
    print(f"{len(plan['workloads']):,} workloads, {len(plan['allocations']):,} allocations")
    chosen = set(args.only.split(",")) if args.only else None
    for name, verb in verbs(args.plan, args.spec, args.catalog, args.scenarios,
                            args.other or args.plan, out):  # fmt: skip
        if chosen and name.split()[0] not in chosen:
            continue
        r = measure(verb, out)
        status = "" if r["rc"] in (0, 1) else f" (exit {r['rc']}: {' '.join(r['error'])})"
        print(
            f"| `{name}`{status} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_mib']:,.0f} "
            f"| {r['load']:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
