"""The benchmark suite: one command that measures and rewrites sections of BENCHMARKS.md
(only those it measures: the others, such as the prediction accuracy, are kept).

    python -m benchmarks.run [--sizes 100,1000,5000,20000] [--compare-up-to 1000]
        [--workers 2] [--sections scale,quality,...] [--catalog FILE ...] [-o BENCHMARKS.md]

Scale (ours against the previous strategy and one monolithic MIP), plan quality against the
baselines, start-up time,
and the simulator's speed when the simulator is installed. Each scale run is a fresh process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.report import replace_sections

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def _scale_run(workloads: int, method: str, quotas: Path | None, catalogs, limit: float,
               workers: int = 1) -> dict:  # fmt: skip
    cmd = [PYTHON, "-m", "benchmarks.scale_one", "--workloads", str(workloads),
           "--method", method, "--time-limit", str(limit), "--workers", str(workers)]  # fmt: skip
    if quotas:
        cmd += ["--quotas", str(quotas)]
    for catalog in catalogs:
        cmd += ["--catalog", catalog]
    try:
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=limit * 4 + 600)
    except subprocess.TimeoutExpired:
        return {"workloads": workloads, "method": method, "status": "killed (time)"}
    if out.returncode != 0:
        return {"workloads": workloads, "method": method, "status": "crashed",
                "error": out.stderr.strip().splitlines()[-1:]}  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


QUOTAS_SOLVED_UP_TO = 5000
"""Larger fleets scale the quotas of the largest fleet solved unconstrained (the seeded
generator's first n workloads are the n-workload fleet, so the mix is the same)."""


def _binding_quotas(workloads: int, catalogs, quota_dir: Path | None = None) -> Path:
    """Quotas at 60% of the busiest pools of the unconstrained plan, saved for the runs."""
    from benchmarks.fleet import binding_quotas, fleet_spec
    from planner.catalog import load_catalog
    from planner.solve import SolveOptions, solve

    quota_dir = quota_dir or Path(tempfile.mkdtemp())
    path = quota_dir / f"quotas-{workloads}.json"
    if path.exists():
        return path
    if workloads > QUOTAS_SOLVED_UP_TO:
        base = json.loads(_binding_quotas(QUOTAS_SOLVED_UP_TO, catalogs, quota_dir).read_text())
        scale = workloads / QUOTAS_SOLVED_UP_TO
        quotas = [q | {"max_accelerators": max(1, round(q["max_accelerators"] * scale))}
                  for q in base]  # fmt: skip
    else:
        options = SolveOptions(time_limit_s=600, relative_gap=0.005, workers=2)
        plan = solve(fleet_spec(workloads, 1), load_catalog(catalogs or None), baselines=False,
                     options=options)  # fmt: skip
        quotas = binding_quotas(plan)
    path.write_text(json.dumps(quotas))
    return path


def _fmt(value, digits=2):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


TIME_LIMIT = {100: 60.0, 1000: 60.0, 5000: 120.0, 20000: 600.0}


def scale_section(sizes, catalogs, compare_up_to: int, workers: int) -> list[str]:
    lines = [
        "## Scale",
        "",
        "Seeded fleets (`benchmarks/fleet.py`, seed 1): 85% serving, 10% batch, 5% training; "
        "rates log-uniform 0.1-200 rps; 1-3 request-size buckets; 30% of workloads kept to EU or "
        "US regions or one cloud. Quotas on the 12 busiest pools of the unconstrained plan at "
        "60% of its use, so they bind. *ours*: the default strategy (Lagrangian decomposition) "
        f"on {workers} worker processes; *previous*: the LP-guided MIP strategy it replaced "
        '(`SolveOptions(strategy="mip")`, one process); *monolithic*: one MIP of the whole '
        "fleet (SCIP). Gap target 0.5%; time limit per solve 60 s (120 s at 5,000, 600 s at "
        "20,000). Seconds include building candidates, not parsing the spec. *own gap*: to the "
        "bound the method proved; *gap to best bound*: to the best bound any method proved on "
        "that fleet in this run.",
        "",
        "| workloads | quotas | method | status | verify | $ objective | own gap "
        "| gap to best bound | seconds | peak MiB |",
        "|---:|---:|---|---|---|---:|---:|---:|---:|---:|",
    ]
    quota_dir = Path(os.environ.get("BENCH_QUOTAS_DIR") or tempfile.mkdtemp())
    quota_dir.mkdir(parents=True, exist_ok=True)
    for n in sizes:
        quota_file = _binding_quotas(n, catalogs, quota_dir)
        methods = ["ours"] + (["previous", "monolithic"] if n <= compare_up_to else [])
        limit = TIME_LIMIT.get(n, 60.0)
        runs = []
        for method in methods:
            r = _scale_run(
                n, method, quota_file, catalogs, limit, workers if method == "ours" else 1
            )
            print(json.dumps(r), file=sys.stderr)
            runs.append((method, r))
        bounds = [r["bound"] for _, r in runs if isinstance(r.get("bound"), float)
                  and math.isfinite(r["bound"])]  # fmt: skip
        best = max(bounds) if bounds else None
        for method, r in runs:
            gap = f"{r['gap']:.2%}" if isinstance(r.get("gap"), float) else "-"
            obj = r.get("objective")
            to_best = f"{(obj - best) / obj:.2%}" if best is not None and obj else "-"
            broken = r.get("violations")
            checked = "-" if broken is None else "passes" if broken == 0 else f"{broken} broken"
            lines.append(
                f"| {n:,} | {r.get('quotas', 0)} | {method} | {r.get('status')} | {checked} | "
                f"{_fmt(obj)} | {gap} | {to_best} | {_fmt(r.get('seconds'))} | "
                f"{_fmt(r.get('peak_mib'), 0)} |"
            )
    return lines


def _saving(baseline: float, mine: float) -> str:
    return f"{(baseline - mine) / baseline:.1%}" if baseline else "-"


def quality_section(catalogs) -> list[str]:
    from benchmarks.fleet import binding_quotas, fleet_spec
    from planner.catalog import load_catalog
    from planner.solve import SolveOptions, solve, solved

    catalog = load_catalog(catalogs or None)
    lines = [
        "## Plan quality against the baselines",
        "",
        "Per fleet: the plan's objective (serving $/h + job $), and each baseline's, with the "
        "saving and how many quotas the baseline would break. (a) each workload on its own "
        "cheapest single choice (SkyPilot-style, blind to the others); (b) each serving workload "
        "on its best single accelerator type (Mélange's baseline; serving $/h only).",
        "",
        "| fleet | plan | (a) single choice | saving | quotas broken | (b) single type | saving |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for n, seed in ((20, 3), (40, 4)):
        free = solve(fleet_spec(n, seed), catalog, baselines=False)
        spec = fleet_spec(n, seed, binding_quotas(free))
        found = solved(spec, catalog, options=SolveOptions(time_limit_s=60, relative_gap=0.005))
        plan = found.plan
        by = {b.name: b for b in found.baselines}
        a, b = by.get("cheapest-single-choice"), by.get("best-single-accelerator-type")
        single_type = (
            f"{b.objective_value:,.2f} | {_saving(b.objective_value, plan.cost_per_hour)} |"
            if b
            else "- | - |"
        )
        lines.append(
            f"| {n} workloads, seed {seed}, binding quotas | {plan.objective_value:,.2f} | "
            f"{a.objective_value:,.2f} | {_saving(a.objective_value, plan.objective_value)} | "
            f"{len(a.over_quota)} | {single_type}"
        )
    lines += ["", *_example_savings(catalog)]
    return lines


def _example_savings(catalog) -> list[str]:
    """What sharing, owned capacity and dynamic (hourly) replicas save on the examples."""
    from planner.app import plan as make_plan
    from planner.spec import load_spec

    rows = [
        "| example | what is compared | plan | baseline | saving |",
        "|---|---|---:|---:|---:|",
    ]
    for name, baseline in (
        ("shared-small-models.yaml", "dedicated-instances"),
        ("hybrid-fleet.yaml", "ignore-owned-capacity"),
        ("chatbot-fleet.yaml", "best-single-accelerator-type"),
    ):
        path = ROOT / "examples" / name
        if not path.exists():
            continue
        spec = load_spec(path)
        plan = make_plan(spec, catalog)  # with its annotations, as `planner plan` makes it
        base = next((b for b in plan.annotations.baselines if b.name == baseline), None)
        if base is not None:
            mine = (
                plan.objective_value
                if baseline != "best-single-accelerator-type"
                else (plan.cost_per_hour)
            )
            rows.append(
                f"| {name} | {base.description} | {mine:,.2f} $/h | "
                f"{base.objective_value:,.2f} $/h | {_saving(base.objective_value, mine)} |"
            )
        for s in plan.annotations.schedule:
            rows.append(
                f"| {name} | {s.workload}: hourly replicas (dynamic) against the peak-sized "
                f"fleet (static), per day | {s.dynamic_cost_per_day:,.2f} $ | "
                f"{s.static_cost_per_day:,.2f} $ | "
                f"{_saving(s.static_cost_per_day, s.dynamic_cost_per_day)} |"
            )
    return rows


def _median_seconds(cmd: list[str], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup_section() -> list[str]:
    planner = str(Path(PYTHON).with_name("planner"))
    helpt = _median_seconds([planner, "--help"])
    plant = _median_seconds([planner, "plan", "examples/eu-residency.yaml"])
    return [
        "## Start-up",
        "",
        "Median of 5 runs, wall clock, including Python start-up.",
        "",
        "| command | seconds | target |",
        "|---|---:|---:|",
        f"| `planner --help` | {helpt:.2f} | 0.3 |",
        f"| `planner plan examples/eu-residency.yaml` | {plant:.2f} | 2 |",
    ]


def simulator_section() -> list[str]:
    """Requests simulated per second, per queue policy, for 1e5 and 1e6 requests."""
    from benchmarks.simulate_speed import measure
    from planner.schedule import QUEUE_POLICIES

    lines = [
        "## Simulator",
        "",
        "The request simulator on the chatbot fleet's plan (`python -m benchmarks.simulate_speed`"
        " measures the same; here one run each, wall clock).",
        "",
        "| policy | requests | seconds | requests/s |",
        "|---|---:|---:|---:|",
    ]
    for requests in (100_000, 1_000_000):
        for policy in QUEUE_POLICIES:
            r = measure(requests, policy, repeat=1)
            lines.append(
                f"| {policy} | {r['requests']:,} | {r['seconds']:.2f} | "
                f"{r['requests'] / r['seconds']:,.0f} |"
            )
    return lines


def sweep_section() -> list[str]:
    """Scenario sweeps: local executor with 1 and 2 workers, and Ray on this machine."""
    script = ROOT / "benchmarks" / "sweep_speed.py"
    out = subprocess.run(
        [PYTHON, "-m", "benchmarks.sweep_speed"], cwd=ROOT, capture_output=True, text=True
    )
    body = out.stdout.strip() or f"Failed: {out.stderr.strip()[-300:]}"
    return ["## Scenario sweeps", "", f"`python -m benchmarks.{script.stem}`:", "", body]


SCALE_NOTES: list[str] = []
"""Filled in by hand from the figures above (the targets, met or not, and what limits them)."""


def machine() -> str:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"{mem_kb / 1024 / 1024:.0f} GiB memory, Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,1000,5000,20000")
    parser.add_argument(
        "--compare-up-to",
        type=int,
        default=1000,
        help="Run previous and monolithic up to this many workloads.",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sections", default="scale,quality,simulator,sweep,startup")
    parser.add_argument("--catalog", action="append", default=[])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    started = time.perf_counter()
    wanted = set(args.sections.split(","))
    makers = {
        "scale": lambda: (
            scale_section(sizes, args.catalog, args.compare_up_to, args.workers) + SCALE_NOTES
        ),
        "quality": lambda: quality_section(args.catalog),
        "simulator": simulator_section,
        "sweep": sweep_section,
        "startup": startup_section,
    }
    sections = [make() for name, make in makers.items() if name in wanted]
    command = (
        "python -m benchmarks.run"
        + (f" --sizes {args.sizes}" if args.sizes != "100,1000,5000,20000" else "")
        + (f" --sections {args.sections}" if wanted != set(makers) else "")
        + "".join(f" --catalog {c}" for c in args.catalog)
    )
    minutes = (time.perf_counter() - started) / 60
    stamp = (
        f"Measured on {dt.date.today().isoformat()} by `{command}` (from the repository root, "
        f"with the dev install: `make test` sets it up; {minutes:.1f} minutes for the "
        f"sections of that run). Machine: {machine()}. Catalog: "
        f"{', '.join(args.catalog) or 'the bundled one'}."
    )
    sections = [[s[0], "", stamp, *s[1:]] for s in sections]
    if args.output.exists():  # only the sections measured are replaced
        text = replace_sections(args.output.read_text(), sections)
    else:
        text = "\n".join(["# Benchmarks", ""] + [line for s in sections for line in (*s, "")])
    args.output.write_text(text.rstrip() + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
