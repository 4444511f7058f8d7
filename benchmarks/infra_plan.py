"""How long `tunectl infra plan` takes per example stack, and a repeated plan inside one process.

    .venv/bin/python benchmarks/infra_plan.py [--runs 5] [--format text|json]

Each `tunectl infra plan --stack <s> --format json` runs as a fresh subprocess, the way a user runs
it (one discarded warm-up run each, then the stacks take turns). Prints the median wall and CPU time
per stack; target: under 3 s wall each, exit 1 if missed. It also times `infra.offline.plan_stack`
in this process: the first call pays the imports (pulumi, pulumi-gcp, pydantic), later calls run in
a fresh `contextvars.Context` and show what a plan costs without a new interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 3.0
STACKS = ("gpu", "tpu")
ROOT = Path(__file__).resolve().parent.parent


def timed_run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure_cli(runs: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    tunectl = Path(sys.executable).parent / "tunectl"
    if not tunectl.exists():
        sys.exit(f"{tunectl} not found: install the project first (python3 dev env)")
    env = {**os.environ, "NO_COLOR": "1"}
    argv = {stack: [str(tunectl), "infra", "plan", "--stack", stack, "--format", "json"] for stack in STACKS}
    for command in argv.values():
        timed_run(command, env)
    wall: dict[str, list[float]] = {stack: [] for stack in STACKS}
    cpu: dict[str, list[float]] = {stack: [] for stack in STACKS}
    for _ in range(runs):
        for stack, command in argv.items():
            seconds, cpu_seconds = timed_run(command, env)
            wall[stack].append(seconds)
            cpu[stack].append(cpu_seconds)
    return wall, cpu


def measure_in_process(runs: int) -> dict[str, float]:
    started = time.perf_counter()
    from infra.offline import plan_stack

    plan_stack("gpu")
    first = time.perf_counter() - started
    repeats = []
    for _ in range(runs):
        for stack in STACKS:
            started = time.perf_counter()
            plan_stack(stack)
            repeats.append(time.perf_counter() - started)
    return {"first_plan_with_imports": first, "later_plan_median": statistics.median(repeats)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per stack (default 5)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()

    wall, cpu = measure_cli(args.runs)
    in_process = measure_in_process(args.runs)
    medians = {stack: statistics.median(times) for stack, times in wall.items()}
    met = all(value < TARGET_SECONDS for value in medians.values())
    if args.format == "json":
        report = {
            "runs": args.runs,
            "median_seconds": {stack: round(value, 3) for stack, value in medians.items()},
            "min_seconds": {stack: round(min(times), 3) for stack, times in wall.items()},
            "median_cpu_seconds": {stack: round(statistics.median(times), 3) for stack, times in cpu.items()},
            "in_process_seconds": {name: round(value, 3) for name, value in in_process.items()},
            "load_average_1m": round(os.getloadavg()[0], 2),
            "targets": {"plan_seconds": TARGET_SECONDS, "met": met},
        }
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.runs} runs per stack of `tunectl infra plan`; load average {os.getloadavg()[0]:.2f}")
        print(f"  {'stack':6} {'median wall':>11} {'min wall':>9} {'median cpu':>11}")
        for stack in STACKS:
            print(
                f"  {stack:6} {medians[stack]:9.3f} s {min(wall[stack]):7.3f} s "
                f"{statistics.median(cpu[stack]):9.3f} s"
            )
        print(
            f"  in one process: first plan (with imports) {in_process['first_plan_with_imports']:.3f} s, "
            f"later plans {in_process['later_plan_median']:.3f} s"
        )
        print(f"target: each plan < {TARGET_SECONDS} s wall: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
