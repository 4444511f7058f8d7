"""The dataset scanner's pure-Python twin (ops/datasets/_pyscan.py) beside the compiled module it
stands in for when tunectl is installed without a C compiler: the duplicate keys of a block of
JSONL lines (`block_keys`, the scanner's per-block call) and `dataset validate` as a user runs it.

    .venv/bin/python benchmarks/scanner_fallback.py              # ~8 MB of sample-shaped lines
    .venv/bin/python benchmarks/scanner_fallback.py --mb 32 --format json

The twin has no speed target (it is the oracle-tested fallback, not the fast path); the script
prints both throughputs and the ratio so the cost of installing without a compiler is known.
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
SAMPLE = ROOT / "samples" / "sarcasm-generation-gemini" / "train.jsonl"


def _block(megabytes: float) -> bytes:
    lines = SAMPLE.read_bytes().splitlines()
    out, size, i = [], 0, 0
    while size < megabytes * 1e6:
        line = lines[i % len(lines)].replace(b"}", b', "n": %d}' % i, 1)  # distinct lines
        out.append(line)
        size += len(line) + 1
        i += 1
    return b"\n".join(out) + b"\n"


def _rate(function, block: bytes, rounds: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        function(block)
        best = min(best, time.perf_counter() - start)
    return len(block) / 1e6 / best


def _validate_seconds(path: Path, without_extension: bool) -> float:
    block = "sys.modules['ops.datasets._fastscan'] = None; " if without_extension else ""
    code = (
        f"import runpy, sys; {block}sys.argv = ['tunectl', 'dataset', 'validate', {str(path)!r}, "
        "'--format', 'json']; runpy.run_module('ops', run_name='__main__')"
    )
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, check=False, env=os.environ)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, default=8.0, help="size of the generated JSONL (MB)")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs of block_keys")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)

    from ops.datasets import _fastscan, _pyscan

    block = _block(args.mb)
    assert _fastscan.block_keys(block) == _pyscan.block_keys(block)  # the oracle, on this input too
    report: dict[str, float] = {
        "mb": round(len(block) / 1e6, 1),
        "block_keys_c_mb_s": round(_rate(_fastscan.block_keys, block, args.rounds), 1),
        "block_keys_python_mb_s": round(_rate(_pyscan.block_keys, block, args.rounds), 1),
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.jsonl"
        path.write_bytes(block)
        report["validate_c_s"] = round(_validate_seconds(path, without_extension=False), 2)
        report["validate_python_s"] = round(_validate_seconds(path, without_extension=True), 2)
    report["block_keys_slowdown"] = round(report["block_keys_c_mb_s"] / report["block_keys_python_mb_s"], 1)
    report["validate_slowdown"] = round(report["validate_python_s"] / report["validate_c_s"], 1)
    if args.format == "json":
        print(json.dumps(report, indent=2))
    else:
        print(f"{report['mb']} MB of sample-shaped JSONL")
        c, python, slower = (
            report[k] for k in ("block_keys_c_mb_s", "block_keys_python_mb_s", "block_keys_slowdown")
        )
        print(f"block_keys        C {c:8.1f} MB/s  Python {python:6.1f} MB/s  ({slower}x slower)")
        c, python, slower = (report[k] for k in ("validate_c_s", "validate_python_s", "validate_slowdown"))
        print(f"dataset validate  C {c:8.2f} s     Python {python:6.2f} s     ({slower}x slower)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
