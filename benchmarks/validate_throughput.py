"""Throughput and memory of `tunectl dataset validate` on a generated Gemini-style JSONL file.

Generates a file (1 GB by default) of unique multi-turn supervised examples, validates it with
`ops.datasets.validate_file` (every check, offline token estimate included), then with two naive
validators that use the `json` module line by line (`naive`: structure, roles, tokens and exact
duplicates; `naive-same-checks`: also repeats up to whitespace and case, as tunectl checks), and
prints MB/s, CPU seconds and peak RSS of each. The file is removed afterwards. Targets (2-core
machine): >= 400 MB/s, >= 3x naive, peak RSS <= 150 MB.

    .venv/bin/python benchmarks/validate_throughput.py [--size-mb 1024] [--dir /tmp]

Peak RSS is measured in a fresh child process per validator (ru_maxrss of that process, and of the
largest worker it forks: a forked worker's RSS also counts pages it shares with its parent), so the
generator and the other validator do not count against it. CPU seconds (user + system, workers
included) are printed too: unlike wall time, they do not depend on what else the machine is doing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

_TEXT = (
    "the a of to and in is it you that he was for on are with as his they be at one have this from "
    "or had by hot word but what some we can out other were all there when up use your how said an "
    "each she which do their time if will way about many then them write would like so these her long "
    "make thing see him two has look more day could go come did number sound no most people my over "
    "know water than call first who may down side been now find any new work part take get place made"
)
WORDS = tuple(_TEXT.split(" "))


def generate(path: Path, size_bytes: int, seed: int = 7) -> int:
    """Write unique Gemini supervised examples (1-3 exchanges, optional system instruction) to `path`."""
    rng = random.Random(seed)

    def sentence(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."

    # A pool of bodies; each line gets a unique id in its first user turn, so no two are duplicates.
    pool: list[tuple[bytes, bytes]] = []
    for _ in range(2000):
        turns = []
        for _ in range(rng.randint(1, 3)):
            turns.append({"role": "user", "parts": [{"text": sentence(rng.randint(20, 120))}]})
            turns.append({"role": "model", "parts": [{"text": sentence(rng.randint(10, 80))}]})
        record: dict[str, object] = {"contents": turns}
        if rng.random() < 0.5:
            record["systemInstruction"] = {"parts": [{"text": sentence(rng.randint(8, 30))}]}
        text = json.dumps(record, ensure_ascii=False)
        marker = '"contents": [{"role": "user", "parts": [{"text": "'
        before, _, after = text.partition(marker)
        pool.append(((before + marker).encode(), after.encode()))
    written = lines = 0
    with path.open("wb") as handle:
        batch: list[bytes] = []
        while True:
            head, tail = pool[lines % len(pool)]
            line = head + b"Request %d. " % lines + tail + b"\n"
            if written + len(line) > size_bytes:  # stay within the size (1 GB is Vertex AI's limit)
                break
            batch.append(line)
            written += len(line)
            lines += 1
            if len(batch) >= 4096:
                handle.write(b"".join(batch))
                batch.clear()
        handle.write(b"".join(batch))
    return lines


def naive_validate(path: Path, *, near_duplicates: bool = False) -> dict[str, int]:
    """The baseline: json.loads per line, the structural and role checks, chars/4 tokens, exact
    duplicates; with `near_duplicates`, also repeats up to whitespace and case, the usual way
    (lower-cased texts with whitespace runs collapsed), so it runs the same checks as tunectl."""
    examples = errors = tokens = 0
    seen: set[int] = set()
    seen_normalized: set[int] = set()
    with path.open("rb") as handle:
        for line in handle:
            examples += 1
            try:
                obj = json.loads(line)
            except ValueError:
                errors += 1
                continue
            contents = obj.get("contents") if isinstance(obj, dict) else None
            if not isinstance(contents, list) or not contents:
                errors += 1
                continue
            chars = 0
            texts = []
            for i, turn in enumerate(contents):
                if turn.get("role") != ("user", "model")[i % 2]:
                    errors += 1
                for part in turn.get("parts", []):
                    text = part.get("text")
                    if not isinstance(text, str) or not text.strip():
                        errors += 1
                    else:
                        chars += len(text)
                        texts.append(text)
            if contents[-1].get("role") != "model":
                errors += 1
            tokens += -(-chars // 4)
            key = hash(line)
            if key in seen:
                errors += 1
            seen.add(key)
            if near_duplicates:
                normalized = hash(" ".join(" ".join(texts).lower().split()))
                if normalized in seen_normalized:
                    errors += 1
                seen_normalized.add(normalized)
    return {"examples": examples, "errors": errors, "tokens": tokens}


def tunectl_validate(path: Path) -> dict[str, int]:
    from ops.datasets import validate_file

    report = validate_file(path, base_model="gemini-2.5-flash")
    return {
        "examples": report.examples,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "tokens": report.stats["tokens"]["billable"],
    }


def _measure(name: str, path_text: str, queue: multiprocessing.Queue) -> None:
    path = Path(path_text)

    def cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    cpu_before = cpu()
    started = time.perf_counter()
    if name == "tunectl":
        result = tunectl_validate(path)
    else:
        result = naive_validate(path, near_duplicates=name == "naive-same-checks")
    elapsed = time.perf_counter() - started
    cpu_seconds = cpu() - cpu_before
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    queue.put(
        {
            "name": name,
            "seconds": elapsed,
            "cpu": cpu_seconds,
            "rss_mb": own,
            "worker_rss_mb": workers,
            **result,
        }
    )


def measure(name: str, path: Path) -> dict[str, float]:
    # spawn: a fresh interpreter, so the parent's generator memory is not in the peak RSS
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_measure, args=(name, str(path), queue))
    process.start()
    result: dict[str, float] = queue.get()
    process.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (default 1 GiB)")
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    path = Path(args.dir) / f"tunectl-bench-{os.getpid()}.jsonl"
    try:
        started = time.perf_counter()
        lines = generate(path, args.size_mb << 20)
        size_mb = path.stat().st_size / (1 << 20)
        print(
            f"generated {size_mb:,.0f} MB, {lines:,} examples "
            f"(avg {path.stat().st_size / lines:,.0f} B/line) "
            f"in {time.perf_counter() - started:.1f} s; {os.cpu_count()} CPUs"
        )
        results = [measure("tunectl", path)]
        if not args.skip_naive:
            results += [measure("naive", path), measure("naive-same-checks", path)]
        for r in results:
            print(
                f"{r['name']:>17}: {size_mb / r['seconds']:6.1f} MB/s  {r['seconds']:6.2f} s wall, "
                f"{r['cpu']:6.2f} CPU-s ({size_mb / r['cpu']:.0f} MB per CPU-second)  "
                f"peak RSS {r['rss_mb']:4.0f} MB (largest worker {r['worker_rss_mb']:.0f} MB)  "
                f"examples {r['examples']:,}  errors {r['errors']:,}  tokens {r['tokens']:,}"
            )
        for baseline in results[1:]:
            print(
                f"tunectl vs {baseline['name']}: {baseline['seconds'] / results[0]['seconds']:.1f}x (wall), "
                f"{baseline['cpu'] / results[0]['cpu']:.1f}x (CPU)"
            )
        # Other work on the machine slows both validators; the load average says how much there was.
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    finally:
        path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
