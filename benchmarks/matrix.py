"""The fleet-shape matrix: every shape of benchmarks/fleet.py MATRIX at several sizes, the
current strategy against the previous one on the same input files, each row a fresh process.

    python -m benchmarks.matrix [--shapes a,b] [--sizes 100,1000,5000] [--large 20000]
        [--large-shapes reference,unseen] [--previous DIR] [--methods previous,ours,ours@previous]
        [--work DIR] [--fresh] [--row-timeout S] [--save-plans] [--table-only]
        [-o BENCHMARKS.md]

--previous: a checkout of the previous strategy (say `git worktree add ../prev cce3dcd`); its
rows run benchmarks/matrix_run.py with PYTHONPATH set to it. Inputs (fleet spec with binding
quotas and owned clusters, cut-down catalog, generated profiles) are written once under --work
and reused; so are finished rows (--fresh runs them again). Each row's phases (CPU, wall, memory)
go to phases-N-METHOD.jsonl beside its result: a row stopped before its plan says where its
time went. Each solve gets the target's time
(2 s at 100, 10 s at 1,000, 60 s at 5,000, 300 s at 20,000) and a 0.5% gap target, the same
for every shape and both strategies; the ours@previous rows (run after the previous ones) give
ours the wall time the previous strategy's row took instead. Writes the "Fleet shapes" section
of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path

from benchmarks.fleet import (
    MATRIX,
    Shape,
    dump_spec,
    shape_catalog,
    shape_profiles,
    shaped_fleet,
    shaped_owned,
    shaped_quotas,
)
from benchmarks.report import replace_sections

ROOT = Path(__file__).resolve().parent.parent
LIMIT = {100: 2.0, 1000: 10.0, 5000: 60.0, 20000: 300.0}
"""Seconds per solve: the target's."""
TARGET_GAP = {100: 0.005, 1000: 0.01, 5000: 0.01, 20000: 0.02}
GAP = 0.005
SAME_TIME = "ours@previous"
"""The method whose rows run ours with the wall seconds the previous strategy's row took as
the limit (at least the target's): the previous strategy's limit left out its candidates and
some phases, so it ran past it; this gives both the same time on the same input."""
QUOTA_FLEET = 1000
"""Larger fleets scale the quotas found on this size's unconstrained plan (a larger fleet starts
with the smaller one's workloads, so the mix is the same)."""


def _inputs(shape: Shape, n: int, work: Path) -> tuple[Path, list[str], str | None]:
    """The spec, catalog files and profiles of one row, written once."""
    from planner.catalog import load_catalog
    from planner.catalog.load import BUNDLED
    from planner.perf import load_profiles
    from planner.solve import SolveOptions, solve
    from planner.spec import parse_spec

    here = work / shape.name
    here.mkdir(parents=True, exist_ok=True)
    catalog = here / "offerings.csv"
    if not catalog.exists():
        catalog.write_text(shape_catalog(shape, BUNDLED.read_text()))
    catalogs = [str(catalog), str(BUNDLED.parent / "spot_interruptions.csv")]
    profiles = here / "profiles.csv"
    if shape.profiles and not profiles.exists():
        profiles.write_text(shape_profiles(shape, load_catalog(catalogs).offerings))
    spec_file = here / f"spec-{n}.yaml"
    if spec_file.exists():
        return spec_file, catalogs, str(profiles) if shape.profiles else None
    base_n = min(n, QUOTA_FLEET)
    drawn = here / f"drawn-{base_n}.json"
    if not drawn.exists():
        data = shaped_fleet(shape, base_n)
        spec = parse_spec(dump_spec(data), f"<{shape.name} {base_n}>")
        measured = load_profiles(profiles) if shape.profiles else None
        options = SolveOptions(time_limit_s=300, relative_gap=0.005, workers=2)
        plan = solve(
            spec, load_catalog(catalogs), profiles=measured, baselines=False, options=options
        )
        drawn.write_text(json.dumps({"quotas": shaped_quotas(plan, shape),
                                     "owned": shaped_owned(plan, shape)}))  # fmt: skip
    found = json.loads(drawn.read_text())
    scale = n / base_n
    data = shaped_fleet(shape, n)
    data["constraints"]["quotas"] = [
        q | {"max_accelerators": max(1, round(q["max_accelerators"] * scale))}
        for q in found["quotas"]
    ]
    if found["owned"]:
        data["capacity"] = [c | {"nodes": max(1, round(c["nodes"] * scale))}
                            for c in found["owned"]]  # fmt: skip
    spec_file.write_text(dump_spec(data))
    return spec_file, catalogs, str(profiles) if shape.profiles else None


def _row(
    shape: Shape,
    n: int,
    method: str,
    tree: Path,
    work: Path,
    fresh: bool,
    timeout: float | None,
    save: bool = False,
    limit: float | None = None,
) -> dict:
    done = work / shape.name / f"result-{n}-{method}.json"
    if done.exists() and not fresh:
        return json.loads(done.read_text())
    spec, catalogs, profiles = _inputs(shape, n, work)
    limit = limit or LIMIT[n]
    cmd = [sys.executable, str(ROOT / "benchmarks" / "matrix_run.py"), str(spec),
           "--time-limit", str(limit), "--gap", str(GAP), "--workers", "2"]  # fmt: skip
    for c in catalogs:
        cmd += ["--catalog", c]
    if profiles:
        cmd += ["--profiles", profiles]
    if save:
        cmd += ["--save-plan", str(work / shape.name / f"plan-{n}-{method}.json")]
    cmd += ["--phases", str(work / shape.name / f"phases-{n}-{method}.jsonl")]
    env = dict(os.environ, PYTHONPATH=str(tree))
    try:
        out = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True,
                             timeout=timeout or limit * 6 + 600)  # fmt: skip
        if out.returncode:
            record = {"status": "crashed", "error": out.stderr.strip().splitlines()[-1:]}
        else:
            record = json.loads(out.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        record = {"status": "killed (time)"}
    record |= {"shape": shape.name, "workloads": n, "method": method, "limit_s": limit}
    print(json.dumps(record), file=sys.stderr, flush=True)
    done.write_text(json.dumps(record))
    return record


def _pct(x) -> str:
    return f"{x:.2%}" if isinstance(x, float) else "-"


def _num(x, digits=1) -> str:
    return f"{x:,.{digits}f}" if isinstance(x, (int, float)) else "-"


def section(rows: list[dict], command: str, previous: str) -> list[str]:
    lines = [
        "## Fleet shapes",
        "",
        f"`{command}`, {dt.date.today().isoformat()}, {os.cpu_count()}-core "
        f"{platform.machine()}, Python {platform.python_version()}; *previous*: {previous}.",
        "",
        "Every shape of `benchmarks/fleet.py` (`MATRIX`) at each size, the same defaults for every "
        "row: 2 worker processes, a 0.5% gap target, the target's time as the limit (2 s at 100, "
        "10 s at 1,000, 60 s at 5,000, 300 s at 20,000). Quotas on the shape's busiest pools of "
        "the unconstrained 1,000-workload plan (100: its own), scaled by size. *ours@previous*: "
        "ours with the wall seconds the previous strategy's row took as its limit (its limit "
        "left out the candidates, so it ran past it). *cpu s*: user+sys "
        "of the solving process and its worker processes, candidates included; *limit s*: the "
        "time limit the row ran with; *peak MiB*: "
        "the process's peak resident set plus its largest worker's; *gap*: to the bound the "
        "method proved; *to best*: to the best bound either method proved on that input; "
        "*verify*: violations `planner verify` finds; *load*: the machine's 1-minute load "
        "average around the row (2 cores: above 2, the time limit, a wall-clock one, gave the "
        "solver less than its share of CPU); *dearer*: ours against previous.",
        "",
        "| shape | workloads | method | status | verify | $ objective | gap | to best | cpu s "
        "| limit s | wall s | load | peak MiB | dearer |",
        "|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by = {(r["shape"], r["workloads"], r["method"]): r for r in rows}
    for r in rows:
        pair = [by.get((r["shape"], r["workloads"], m)) for m in ("ours", "previous", SAME_TIME)]
        bounds = [p["bound"] for p in pair if p and isinstance(p.get("bound"), float)]
        best = max(bounds) if bounds else None
        obj = r.get("objective")
        to_best = (obj - best) / obj if best is not None and obj else None
        v = r.get("violations")
        verify = "-" if v is None else "passes" if v == 0 else f"{v} broken"
        dearer = "-"
        other = pair[1]
        if r["method"].startswith("ours") and obj and other and other.get("objective"):
            dearer = f"{(obj - other['objective']) / other['objective']:+.2%}"
        lines.append(
            f"| {r['shape']} | {r['workloads']:,} | {r['method']} | {r.get('status')} | {verify} "
            f"| {_num(obj, 2)} | {_pct(r.get('gap'))} | {_pct(to_best)} | {_num(r.get('cpu_s'))} "
            f"| {_num(r.get('limit_s', LIMIT[r['workloads']]), 0)} | {_num(r.get('wall_s'))} "
            f"| {_num(r.get('load'))} | {_num(r.get('peak_mib'), 0)} "
            f"| {dearer} |"
        )
    lines += ["", "Shapes:", ""]
    lines += [f"- **{s.name}**: {s.about}." for s in MATRIX.values()]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shapes", default=",".join(MATRIX))
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--large", default="20000")
    parser.add_argument("--large-shapes", default="reference,unseen")
    parser.add_argument("--previous", type=Path, help="Checkout of the previous strategy.")
    parser.add_argument("--methods", default="ours,previous")
    parser.add_argument("--work", type=Path, default=Path("/tmp/planner-matrix"))
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument(
        "--save-plans", action="store_true", help="Keep each row's plan (plan-N-METHOD.json)."
    )
    parser.add_argument(
        "--row-timeout", type=float, help="Seconds before a row is killed (default: 6x its "
        "limit + 600; a busy machine's candidate generation can need more)."
    )  # fmt: skip
    parser.add_argument(
        "--table-only", action="store_true", help="Write the rows already run; run none."
    )
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    methods = args.methods.split(",")
    trees = {"ours": ROOT, "previous": args.previous, SAME_TIME: ROOT}
    if ("previous" in methods or SAME_TIME in methods) and not args.previous:
        parser.error("--previous DIR is needed for the previous strategy's rows")
    # size by size, so that an interrupted run has every shape at the smaller sizes
    plan = [(MATRIX[s], int(n)) for n in args.sizes.split(",") for s in args.shapes.split(",")]
    if args.large:
        plan += [(MATRIX[s], int(n)) for n in args.large.split(",")
                 for s in args.large_shapes.split(",")]  # fmt: skip
    rows = []
    for shape, n in plan:
        for m in methods:
            done = args.work / shape.name / f"result-{n}-{m}.json"
            if args.table_only:
                if done.exists():
                    rows.append(json.loads(done.read_text()))
                continue
            limit = None
            if m == SAME_TIME:  # ours, given the wall time the previous strategy took
                before = args.work / shape.name / f"result-{n}-previous.json"
                if not before.exists():
                    continue
                took = json.loads(before.read_text()).get("wall_s")
                if not isinstance(took, float):
                    continue  # the previous row has no time to give
                limit = max(LIMIT[n], math.ceil(took))
            rows.append(
                _row(shape, n, m, trees[m], args.work, args.fresh, args.row_timeout,
                     args.save_plans, limit)
            )  # fmt: skip
    if args.output:
        previous = "not run"
        if args.previous:
            git = ["git", "-C", str(args.previous), "rev-parse", "--short", "HEAD"]
            head = subprocess.run(git, capture_output=True, text=True).stdout.strip()
            previous = f"main at {head} (a worktree, run with PYTHONPATH set to it)"
        command = "python -m benchmarks.matrix " + " ".join(sys.argv[1:])
        text = args.output.read_text() if args.output.exists() else "# Benchmarks\n"
        args.output.write_text(replace_sections(text, [section(rows, command, previous)]))


if __name__ == "__main__":
    main()
