"""How well `planner plan --time-limit T` keeps to T: the command run as a user runs it, on the
input files of the fleet-shape matrix (benchmarks/matrix.py writes them once under --work), for
several limits, each a fresh process.

    python -m benchmarks.time_limit [--work DIR] [--shapes reference,unseen] [--size 1000]
        [--limits 2,5,10,30,60] [--workers 2]

Prints one Markdown row per run: the shape, the limit, the wall seconds from starting the
process to its exit and how far past the limit that is, the exit code, what came back (the
plan's status, objective and gap, or the first line of the error) and the machine's 1-minute
load average before and after (2 cores: the limit is wall-clock time, so a loaded machine gets
less done in it, not more time).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _planner() -> list[str]:
    """The `planner` command next to this Python (as installed), else the same entry point."""
    script = Path(sys.executable).with_name("planner")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from planner.cli import main; main()"]


def _run(spec: Path, catalogs: list[str], profiles: Path | None, limit: float, workers: int):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plan.json"
        args = [*_planner(), "plan", str(spec), "--time-limit", f"{limit:g}",
                "--gap", "0.005", "--workers", str(workers), "--format", "json", "-o", str(out),
                "-q"]  # fmt: skip
        for c in catalogs:
            args += ["--catalog", c]
        if profiles is not None:
            args += ["--profiles", str(profiles)]
        load = os.getloadavg()[0]
        began = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=ROOT)
        wall = time.perf_counter() - began
        after = os.getloadavg()[0]
        if done.returncode == 0:
            plan = json.loads(out.read_text())
            what = (f"{plan['status']}, ${plan['objective_value']:,.2f}, "
                    f"gap {100 * plan['gap']:.2f}%")  # fmt: skip
        else:
            lines = [x for x in done.stderr.splitlines() if x.strip()]
            what = lines[-1][:90] if lines else "(no message)"
    return wall, done.returncode, what, load, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/planner-matrix"))
    parser.add_argument("--shapes", default="reference,unseen")
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--limits", default="2,5,10,30,60")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    bundled = ROOT / "planner" / "catalog" / "data" / "spot_interruptions.csv"
    print("| shape | workloads | limit s | wall s | past the limit s | exit | result | load |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    for shape in args.shapes.split(","):
        here = args.work / shape
        spec = here / f"spec-{args.size}.yaml"
        if not spec.exists():
            raise SystemExit(f"{spec}: missing (python -m benchmarks.matrix --work {args.work} "
                             f"--shapes {shape} --sizes {args.size} writes it)")  # fmt: skip
        profiles = here / "profiles.csv"
        catalogs = [str(here / "offerings.csv"), str(bundled)]
        for limit in (float(x) for x in args.limits.split(",")):
            wall, code, what, load, after = _run(
                spec, catalogs, profiles if profiles.exists() else None, limit, args.workers
            )
            print(f"| {shape} | {args.size:,} | {limit:g} | {wall:.2f} | {wall - limit:+.2f} | "
                  f"{code} | {what} | {load:.1f} / {after:.1f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
