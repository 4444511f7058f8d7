"""How long tunectl takes to start, whole process, against each start-up target and its yardstick.

    .venv/bin/python benchmarks/cli_startup.py [--runs 10] [--format text|json]

Each command runs as a fresh subprocess, the way a user runs it (`tunectl` is the console script
installed beside this interpreter). After one discarded warm-up run each (to fill the OS file cache),
the commands take turns in every round, so a slow moment on the machine hits all of them alike.

Targets (issue #16, median wall time):
- `tunectl --help` <= 0.10 s
- the slowest `tunectl GROUP --help` <= 0.15 s
- `tunectl dataset validate` of a 60-line file (built here, seeded) <= 0.35 s

Yardsticks, timed in the same rounds: a bare interpreter (`python -c pass`, the floor any Python CLI
pays), `python -c "import typer"` (what the Typer tree alone costs) and `python -c "import vertexai"`
(what a CLI that imports Google's SDK at start pays). For each target the report prints our number,
the yardstick's and the ratio. CPU time and the load average are printed too: on a busy machine wall
time grows while CPU time stays put. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ops.commands.registry import COMMANDS

TARGETS = {"root help": 0.10, "group help (slowest)": 0.15, "dataset validate, 60 lines": 0.35}


def tunectl_entry_point() -> str:
    script = Path(sys.executable).parent / "tunectl"
    if not script.exists():
        sys.exit(f"{script} not found: install the project first (python3 dev env)")
    return str(script)


def sixty_line_dataset(directory: Path, seed: int = 16) -> Path:
    """60 Gemini supervised examples of a few hundred bytes, like the sample sets."""
    rng = random.Random(seed)
    words = ("the", "a", "tuning", "model", "answer", "question", "data", "cloud", "region")
    path = directory / "train-60.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for _ in range(60):
            user = " ".join(rng.choices(words, k=rng.randint(20, 60)))
            model = " ".join(rng.choices(words, k=rng.randint(5, 30)))
            example = {
                "contents": [
                    {"role": "user", "parts": [{"text": user}]},
                    {"role": "model", "parts": [{"text": model}]},
                ]
            }
            handle.write(json.dumps(example) + "\n")
    return path


def commands(dataset: Path) -> dict[str, list[str]]:
    tunectl = tunectl_entry_point()
    table = {
        'python -c "pass"': [sys.executable, "-c", "pass"],
        'python -c "import typer"': [sys.executable, "-c", "import typer"],
        'python -c "import vertexai"': [sys.executable, "-c", "import vertexai"],
        "tunectl --help": [tunectl, "--help"],
        "tunectl dataset validate (60 lines)": [tunectl, "dataset", "validate", str(dataset)],
    }
    for name in COMMANDS:
        table[f"tunectl {name} --help"] = [tunectl, name, "--help"]
    return table


def timed_run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(table: dict[str, list[str]], runs: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall and CPU seconds per command, `runs` rounds after one discarded warm-up round."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NO_COLOR"] = "1"
    # The checkout this script is in, whichever one the environment's editable install points at.
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    for argv in table.values():
        timed_run(argv, env)
    wall: dict[str, list[float]] = {name: [] for name in table}
    cpu: dict[str, list[float]] = {name: [] for name in table}
    for _ in range(runs):
        for name, argv in table.items():
            seconds, cpu_seconds = timed_run(argv, env)
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
    return (
        {name: statistics.median(times) for name, times in wall.items()},
        {name: statistics.median(times) for name, times in cpu.items()},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed rounds (default 10)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        wall, cpu = measure(commands(sixty_line_dataset(Path(scratch))), args.runs)
    groups = {name: wall[f"tunectl {name} --help"] for name in COMMANDS}
    slowest_group = max(groups, key=groups.__getitem__)
    rows = [
        ("root help", "tunectl --help", 'python -c "pass"'),
        ("group help (slowest)", f"tunectl {slowest_group} --help", 'python -c "import typer"'),
        ("dataset validate, 60 lines", "tunectl dataset validate (60 lines)", 'python -c "import vertexai"'),
    ]
    results = [
        {
            "target": target,
            "command": ours,
            "seconds": round(wall[ours], 4),
            "cpu_seconds": round(cpu[ours], 4),
            "limit_seconds": TARGETS[target],
            "met": wall[ours] <= TARGETS[target],
            "yardstick": yardstick,
            "yardstick_seconds": round(wall[yardstick], 4),
            "ratio": round(wall[ours] / wall[yardstick], 2),
        }
        for target, ours, yardstick in rows
    ]
    met = all(r["met"] for r in results)
    load = round(os.getloadavg()[0], 2)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "runs": args.runs,
                    "load_average_1m": load,
                    "targets": results,
                    "median_seconds": {k: round(v, 4) for k, v in wall.items()},
                    "median_cpu_seconds": {k: round(v, 4) for k, v in cpu.items()},
                    "met": met,
                },
                indent=2,
            )
        )
    else:
        print(f"{args.runs} rounds, median wall time, {sys.executable}; load average {load}")
        header = ("target", "ours", "cpu", "limit", "yardstick", "theirs", "ratio")
        print("  {:28} {:>7} {:>7} {:>6}  {:28} {:>7} {:>6}".format(*header))
        for r in results:
            print(
                f"  {r['target']:28} {r['seconds']:6.3f}s {r['cpu_seconds']:6.3f}s "
                f"{r['limit_seconds']:5.2f}s  "
                f"{r['yardstick']:28} {r['yardstick_seconds']:6.3f}s {r['ratio']:5.2f}x"
                f"  {'met' if r['met'] else 'MISSED'}"
            )
        print("  every group's --help: " + ", ".join(f"{n} {s:.3f}s" for n, s in groups.items()))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
