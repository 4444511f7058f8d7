"""The offline walkthrough (README command 1): every capability that works without a project.

Each step is a real `tunectl` command line run in a subprocess, exactly as a user would type it, on
the sample data in `samples/`; outputs go under `out/`. It never needs credentials or network:
settings point at no project and Google's endpoints are never called.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out"


@dataclass(frozen=True)
class Step:
    title: str
    argv: tuple[str, ...]
    stdout_to: str | None = None  # file under out/ that receives stdout
    expect: frozenset[int] = frozenset({0})  # exit statuses that mean the step showed what it should


STEPS: tuple[Step, ...] = (Step("Show the resolved settings", ("config", "show")),)


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNECTL_", "GOOGLE_"))}
    env["TUNECTL_CONFIG"] = str(OUT / "tunectl-config.toml")  # never the user's own config
    env["TUNECTL_LEDGER"] = str(OUT / "ledger.sqlite")
    env["NO_COLOR"] = "1"
    return env


def run_step(step: Step, env: dict[str, str]) -> int:
    argv = [sys.executable, "-m", "ops", *step.argv]
    shown = "tunectl " + " ".join(shlex.quote(a) for a in step.argv)
    print(
        f"\n=== {step.title}\n$ {shown}" + (f" > out/{step.stdout_to}" if step.stdout_to else ""), flush=True
    )
    started = time.perf_counter()
    if step.stdout_to:
        target = OUT / step.stdout_to
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as handle:
            status = subprocess.call(argv, cwd=ROOT, env=env, stdout=handle)
    else:
        status = subprocess.call(argv, cwd=ROOT, env=env)
    print(f"(exit {status}, {time.perf_counter() - started:.2f} s)", flush=True)
    return status


def main() -> int:
    OUT.mkdir(exist_ok=True)
    env = _environment()
    failures = [step.title for step in STEPS if run_step(step, env) not in step.expect]
    written = sorted(p.relative_to(ROOT) for p in OUT.rglob("*") if p.is_file())
    print("\n=== What the walkthrough wrote")
    for path in written:
        print(f"  {path}  ({(ROOT / path).stat().st_size} bytes)")
    if failures:
        print(f"\nwalkthrough: {len(failures)} step(s) did not behave as expected: {', '.join(failures)}")
        return 1
    print(f"\nwalkthrough: {len(STEPS)} steps ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
