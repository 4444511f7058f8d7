"""Throughput and memory of `tunectl dataset validate` on a generated Gemini-style JSONL file.

Generates a file (1 GB by default) of unique multi-turn supervised examples, validates it with
`ops.datasets.validate_file` (every check, offline token estimate included), then with two naive
validators that use the `json` module line by line (`naive`: structure, roles, tokens and exact
duplicates; `naive-same-checks`: also repeats up to whitespace and case, as tunectl checks), and
prints MB/s, CPU seconds and peak RSS of each. The file is removed afterwards. Targets (2-core
machine): >= 400 MB/s, >= 3x naive, peak RSS <= 150 MB.

    .venv/bin/python benchmarks/validate_throughput.py [--size-mb 1024] [--repeat 3] [--dir /tmp]

Each round runs every validator once; the medians over the rounds are compared with the targets, and
the script exits 1 when one is missed.

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
import statistics
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
        # On disk before any timing: the kernel writing back a gigabyte of dirty pages would
        # otherwise take CPU from whichever validator runs first.
        handle.flush()
        os.fsync(handle.fileno())
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


TARGET_MB_S = 400.0
TARGET_RATIO = 3.0
TARGET_RSS_MB = 150.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (default 1 GiB)")
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the medians are compared (default 3)")
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    path = Path(args.dir) / f"tunectl-bench-{os.getpid()}.jsonl"
    names = ["tunectl"] if args.skip_naive else ["tunectl", "naive", "naive-same-checks"]
    try:
        started = time.perf_counter()
        lines = generate(path, args.size_mb << 20)
        size_mb = path.stat().st_size / (1 << 20)
        print(
            f"generated {size_mb:,.0f} MB, {lines:,} examples "
            f"(avg {path.stat().st_size / lines:,.0f} B/line) "
            f"in {time.perf_counter() - started:.1f} s; {os.cpu_count()} CPUs"
        )
        # Rounds take turns between the validators, so a slow minute on a shared machine slows each.
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
        for round_ in range(1, args.repeat + 1):
            for name in names:
                r = measure(name, path)
                runs[name].append(r)
                print(
                    f"round {round_} {name:>17}: {size_mb / r['seconds']:6.1f} MB/s  "
                    f"{r['seconds']:6.2f} s wall, "
                    f"{r['cpu']:6.2f} CPU-s  peak RSS {r['rss_mb']:4.0f} MB "
                    f"(largest worker {r['worker_rss_mb']:.0f} MB)  examples {r['examples']:,}  "
                    f"errors {r['errors']:,}  tokens {r['tokens']:,}",
                    flush=True,
                )
    finally:
        path.unlink(missing_ok=True)
    median = {name: statistics.median(r["seconds"] for r in rs) for name, rs in runs.items()}
    cpu = {name: statistics.median(r["cpu"] for r in rs) for name, rs in runs.items()}
    peak = max(max(r["rss_mb"], r["worker_rss_mb"]) for r in runs["tunectl"])
    print(f"medians of {args.repeat} rounds:")
    for name in names:
        seconds = median[name]
        print(f"{name:>17}: {size_mb / seconds:6.1f} MB/s  {seconds:6.2f} s wall  {cpu[name]:6.2f} CPU-s")
    throughput = size_mb / median["tunectl"]
    checks = [(f"throughput {throughput:.0f} MB/s", f">= {TARGET_MB_S:.0f} MB/s", throughput >= TARGET_MB_S)]
    for baseline in names[1:]:
        ratio = median[baseline] / median["tunectl"]
        print(f"tunectl vs {baseline}: {ratio:.1f}x (wall), {cpu[baseline] / cpu['tunectl']:.1f}x (CPU)")
        if baseline == "naive":
            checks.append((f"vs naive {ratio:.2f}x", f">= {TARGET_RATIO:.0f}x", ratio >= TARGET_RATIO))
    checks.append((f"peak RSS {peak:.0f} MB", f"<= {TARGET_RSS_MB:.0f} MB", peak <= TARGET_RSS_MB))
    for measured, target, ok in checks:
        print(f"target {target:>10}: {measured:<22} {'met' if ok else 'MISSED'}")
    # Other work on the machine slows both validators; the load average says how much there was.
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0 if all(ok for _, _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
