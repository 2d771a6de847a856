"""How fast the request simulator runs: a million requests on the bundled chatbot fleet's plan.

    python -m benchmarks.simulate_speed [--requests 1000000] [--policy fcfs ...] [--repeat 3]

Prints one markdown row per policy (best of `--repeat` runs, wall clock, this machine), for
BENCHMARKS.md. The plan is solved once first and not timed.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from planner.schedule import QUEUE_POLICIES, serving_models, simulate
from planner.solve import solve
from planner.spec import load_spec

SPEC = Path(__file__).resolve().parent.parent / "examples" / "chatbot-fleet.yaml"


def measure(requests: int, policy: str, repeat: int = 3, seed: int = 0) -> dict:
    """Best wall-clock seconds of `repeat` simulations of `requests` on the chatbot plan."""
    spec = load_spec(SPEC)
    plan = solve(spec)
    models = serving_models(plan, spec)
    best = float("inf")
    report = None
    for _ in range(repeat):
        began = time.perf_counter()
        report = simulate(plan, spec, requests, policy, seed, models=models)
        best = min(best, time.perf_counter() - began)
    assert report is not None
    replicas = sum(g.replicas for m in models for g in m.groups)
    return {
        "policy": policy,
        "requests": report.requests,
        "replicas": replicas,
        "seconds": best,
        "requests_per_s": report.requests / best,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--policy", action="append", choices=QUEUE_POLICIES)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    print(f"<!-- simulate_speed on {machine}, Python {platform.python_version()} -->")
    print("| benchmark | policy | requests | replicas | seconds | requests/s |")
    print("|---|---|---:|---:|---:|---:|")
    for policy in args.policy or ["fcfs"]:
        row = measure(args.requests, policy, args.repeat)
        print(
            f"| simulate chatbot-fleet plan | {row['policy']} | {row['requests']:,} | "
            f"{row['replicas']} | {row['seconds']:.2f} | {row['requests_per_s']:,.0f} |"
        )


if __name__ == "__main__":
    main()
