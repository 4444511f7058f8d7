"""How long `tunectl --help` takes to start, next to a bare interpreter and `import vertexai`.

    .venv/bin/python benchmarks/cli_startup.py [--runs 10] [--format text|json]

Each command runs as a fresh subprocess, the way a user runs it: `tunectl` is the console script
installed beside this interpreter. After one discarded warm-up run each (to fill the OS file cache),
the commands take turns, so a slow moment on the machine hits all three alike. Prints the median
wall time of each and the ratio. Targets (on wall time): `tunectl --help` within 0.15 s and at least
10x faster than `import vertexai`; exits 1 if one is missed. CPU time and the load average are
printed too: on a busy machine wall time grows while CPU time stays put, which tells a slow machine
from a slow CLI.
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

TARGET_SECONDS = 0.15
TARGET_RATIO = 10.0


def tunectl_entry_point() -> str:
    script = Path(sys.executable).parent / "tunectl"
    if not script.exists():
        sys.exit(f"{script} not found: install the project first (python3 dev env)")
    return str(script)


def commands() -> dict[str, list[str]]:
    return {
        'python -c "pass"': [sys.executable, "-c", "pass"],
        "tunectl --help": [tunectl_entry_point(), "--help"],
        'python -c "import vertexai"': [sys.executable, "-c", "import vertexai"],
    }


def timed_run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(runs: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU times per command, `runs` each, after one discarded warm-up run."""
    env = {**os.environ, "NO_COLOR": "1"}
    table = commands()
    for argv in table.values():
        timed_run(argv, env)
    wall: dict[str, list[float]] = {name: [] for name in table}
    cpu: dict[str, list[float]] = {name: [] for name in table}
    for _ in range(runs):
        for name, argv in table.items():
            seconds, cpu_seconds = timed_run(argv, env)
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command (default 10)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()

    samples, cpu = measure(args.runs)
    medians = {name: statistics.median(times) for name, times in samples.items()}
    cpu_medians = {name: statistics.median(times) for name, times in cpu.items()}
    cli = medians["tunectl --help"]
    ratio = medians['python -c "import vertexai"'] / cli
    within_budget = cli <= TARGET_SECONDS
    fast_enough = ratio >= TARGET_RATIO

    if args.format == "json":
        report = {
            "runs": args.runs,
            "median_seconds": {name: round(value, 4) for name, value in medians.items()},
            "min_seconds": {name: round(min(times), 4) for name, times in samples.items()},
            "median_cpu_seconds": {name: round(value, 4) for name, value in cpu_medians.items()},
            "load_average_1m": round(os.getloadavg()[0], 2),
            "vertexai_over_tunectl": round(ratio, 1),
            "targets": {
                "tunectl_help_seconds": TARGET_SECONDS,
                "ratio": TARGET_RATIO,
                "met": within_budget and fast_enough,
            },
        }
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.runs} runs each of {sys.executable}; load average {os.getloadavg()[0]:.2f}")
        print(f"  {'command':30} {'median wall':>11} {'min wall':>9} {'median cpu':>11}")
        for name, value in medians.items():
            print(f"  {name:30} {value:9.3f} s {min(samples[name]):7.3f} s {cpu_medians[name]:9.3f} s")
        print(f"  import vertexai / tunectl --help: {ratio:.1f}x")
        print(
            f"targets: tunectl --help <= {TARGET_SECONDS} s: {'met' if within_budget else 'MISSED'}; "
            f">= {TARGET_RATIO:.0f}x faster than import vertexai: {'met' if fast_enough else 'MISSED'}"
        )
    return 0 if within_budget and fast_enough else 1


if __name__ == "__main__":
    sys.exit(main())
