"""Throughput and memory of `tunectl dataset validate --format json` beside a naive validator.

Both run whole, as processes, on generated Gemini supervised files shaped like Google's examples.

Every timed run is a fresh subprocess, start-up included: `.venv/bin/tunectl dataset validate FILE
--format json` (the console script a user runs) and `python validate_throughput.py --naive FILE` (the
yardstick: `json.loads` per line, the structural and role checks, chars/4 tokens, exact duplicates,
one process). The files are generated first (seeded, written to disk and fsynced before any timing,
removed afterwards); then, per case, the two take turns in every round (the first of each round
alternates) so a busy moment on a shared machine slows both. Per case it prints the medians: our
MB/s, the naive MB/s, the ratio, CPU seconds and peak RSS (of the largest process of the run: the
parent or a worker, from wait4), then each target as met or MISSED; exit 1 when one is missed.

Cases: short (~700 B) and long (~4 KB) examples x 128 MB and 1 GB (`--size-mb` for other sizes).
The generator's parameters are the SHAPES below: the share of examples with a system instruction,
with media (`fileData`), with function calls (and their `tools`), written with snake_case field
names, and the number of exchanges and text lengths. They follow the examples of Google's tuning
pages (read 2026-12-02):
- https://docs.cloud.google.com/vertex-ai/generative-ai/docs/models/gemini-supervised-tuning-prepare
  (contents of user/model turns, optional systemInstruction with role, fileData with mimeType/fileUri)
- https://docs.cloud.google.com/vertex-ai/generative-ai/docs/models/tune-function-calling
  (`system_instruction` spelt snake_case, functionCall/functionResponse parts, tools.functionDeclarations)

    .venv/bin/python benchmarks/validate_throughput.py                 # 4 cases, 3 rounds
    .venv/bin/python benchmarks/validate_throughput.py --size-mb 32 --rounds 1 --shape short
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUNECTL = ROOT / ".venv" / "bin" / "tunectl"

TARGET_RATIO = 3.0  # at least 3x the naive loop
TARGET_MB_S = 350.0  # on 2 cores
TARGET_RSS_MB = 150.0


@dataclass(frozen=True)
class Shape:
    """What one generated file looks like (the committed generator parameters)."""

    name: str
    exchanges: tuple[int, int]  # user/model exchanges per example (min, max)
    user_words: tuple[int, int]  # words per user text
    model_words: tuple[int, int]  # words per model text
    system_share: float = 0.5  # examples with a system instruction
    media_share: float = 0.10  # examples with fileData parts in their first user turn
    function_share: float = 0.05  # examples with a function call, its response and `tools`
    snake_share: float = 0.2  # examples whose field names are snake_case (file_data, system_instruction)
    video_clip_share: float = 0.01  # media examples whose video part has videoMetadata offsets
    seed: int = 16


SHAPES = {
    "short": Shape("short", exchanges=(1, 2), user_words=(10, 40), model_words=(10, 45)),
    "long": Shape("long", exchanges=(2, 5), user_words=(30, 160), model_words=(40, 200)),
}
SIZES_MB = (128, 1024)

# (mimeType, object) pairs of the media parts: the modalities of Google's multimodal tuning pages.
MEDIA = (
    ("image/jpeg", "images/{n}.jpg"),
    ("image/png", "images/{n}.png"),
    ("application/pdf", "docs/{n}.pdf"),
    ("audio/mpeg", "audio/{n}.mp3"),
    ("video/mp4", "video/{n}.mp4"),
)
_TEXT = (
    "the a of to and in is it you that he was for on are with as his they be at one have this from "
    "or had by hot word but what some we can out other were all there when up use your how said an "
    "each she which do their time if will way about many then them write would like so these her long "
    "make thing see him two has look more day could go come did number sound no most people my over "
    "know water than call first who may down side been now find any new work part take get place made "
    "invoice shipment café résumé naïve über 東京 데이터"
)
WORDS = tuple(_TEXT.split(" "))
_POOL = 4000  # distinct example bodies; each line adds a unique request number to its first text
_ID_MARK = "@@ID@@"  # replaced by "Request N. " in every line


def _example(rng: random.Random, shape: Shape, n: int) -> dict[str, object]:
    def text(bounds: tuple[int, int]) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(*bounds))).capitalize() + "."

    snake = rng.random() < shape.snake_share

    def name(camel: str) -> str:
        return "".join("_" + c.lower() if c.isupper() else c for c in camel) if snake else camel

    turns: list[dict[str, object]] = []
    for i in range(rng.randint(*shape.exchanges)):
        user_parts: list[dict[str, object]] = [
            {"text": (_ID_MARK if i == 0 else "") + text(shape.user_words)}
        ]
        if i == 0 and rng.random() < shape.media_share:
            mime, obj = MEDIA[rng.randrange(len(MEDIA))]
            media: dict[str, object] = {
                name("fileData"): {
                    name("mimeType"): mime,
                    name("fileUri"): f"gs://tuning-media/{obj.format(n=n)}",
                }
            }
            if mime == "video/mp4" and rng.random() < shape.video_clip_share / shape.media_share * len(MEDIA):
                media[name("videoMetadata")] = {name("startOffset"): "1s", name("endOffset"): "9.5s"}
            user_parts.insert(0, media)
        turns.append({"role": "user", "parts": user_parts})
        turns.append({"role": "model", "parts": [{"text": text(shape.model_words)}]})
    record: dict[str, object] = {}
    if rng.random() < shape.system_share:
        record[name("systemInstruction")] = {"role": "system", "parts": [{"text": text((8, 30))}]}
    record["contents"] = turns
    if rng.random() < shape.function_share:
        function = f"get_order_status_{n % 7}"
        turns[-1:] = [
            {
                "role": "model",
                "parts": [{name("functionCall"): {"name": function, "args": {"order_id": f"A-{n}"}}}],
            },
            {
                "role": "user",
                "parts": [
                    {
                        name("functionResponse"): {
                            "name": function,
                            "response": {"status": "shipped", "days": 2},
                        }
                    }
                ],
            },
            {"role": "model", "parts": [{"text": text(shape.model_words)}]},
        ]
        declaration = {
            "name": function,
            "description": "The status of an order: shipped, in transit or delivered.",
            "parameters": {
                "type": "OBJECT",
                "properties": {"order_id": {"type": "STRING", "description": "The order number"}},
                "required": ["order_id"],
            },
        }
        record["tools"] = [{name("functionDeclarations"): [declaration]}]
    return record


def generate(path: Path, shape: Shape, size_bytes: int) -> int:
    """Write unique examples of `shape` to `path`, up to `size_bytes`; returns the number of lines."""
    rng = random.Random(shape.seed)
    pool: list[tuple[bytes, bytes]] = []
    for n in range(_POOL):
        before, _, after = json.dumps(_example(rng, shape, n), ensure_ascii=False).partition(_ID_MARK)
        pool.append((before.encode(), after.encode()))
    written = lines = 0
    with path.open("wb") as handle:
        batch: list[bytes] = []
        while True:
            head, tail = pool[lines % _POOL]
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
        # On disk before any timing: the kernel writing back dirty pages would otherwise take CPU
        # from whichever validator runs first.
        handle.flush()
        os.fsync(handle.fileno())
    return lines


_DATA_PARTS = (
    "text",
    "fileData",
    "file_data",
    "functionCall",
    "function_call",
    "functionResponse",
    "function_response",
)


def naive_validate(path: Path) -> dict[str, int]:
    """The yardstick: json.loads per line, the structural and role checks, chars/4 tokens, exact
    duplicates."""
    examples = errors = tokens = 0
    seen: set[int] = set()
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
            for i, turn in enumerate(contents):
                if turn.get("role") != ("user", "model")[i % 2]:
                    errors += 1
                for part in turn.get("parts", []):
                    text = part.get("text")
                    if isinstance(text, str) and text.strip():
                        chars += len(text)
                    elif not any(key in part for key in _DATA_PARTS):
                        errors += 1
            if contents[-1].get("role") != "model":
                errors += 1
            tokens += -(-chars // 4)
            key = hash(line)
            if key in seen:
                errors += 1
            seen.add(key)
    return {"examples": examples, "errors": errors, "tokens": tokens}


@dataclass
class Run:
    seconds: float
    cpu: float
    rss_mb: float
    examples: int
    errors: int


def _timed(command: list[str]) -> tuple[Run, bytes]:
    started = time.perf_counter()
    env = _child_environment()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    # wait4 rather than communicate: the child's own rusage (CPU of it and its waited-for workers;
    # ru_maxrss is the peak of its largest process). Output is small enough for the pipe buffer.
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    assert process.stdout is not None and process.stderr is not None
    out, err = process.stdout.read(), process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):  # 1: findings (errors); anything else is a failure
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}: {err.decode()[-2000:]}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, 0, 0), out


def _child_environment() -> dict[str, str]:
    """The checkout this script is in (whichever one the environment's editable install points
    at), with bytecode as an installed tunectl has it: a shell's PYTHONDONTWRITEBYTECODE would make
    every run compile its modules again (~50 ms)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return env


def run_tunectl(path: Path) -> Run:
    run, out = _timed([str(TUNECTL), "dataset", "validate", str(path), "--format", "json"])
    report = json.loads(out)
    files = report["files"] if isinstance(report, dict) and "files" in report else report
    first = files[0] if isinstance(files, list) else files
    run.examples = first["examples"]
    run.errors = len(first["errors"])
    return run


def run_naive(path: Path) -> Run:
    run, out = _timed([sys.executable, __file__, "--naive", str(path)])
    result = json.loads(out)
    run.examples, run.errors = result["examples"], result["errors"]
    return run


@dataclass
class Case:
    shape: str
    size_mb: float
    examples: int
    mean_bytes: float
    ours: list[Run]
    naive: list[Run]

    def median(self, who: str, what: str) -> float:
        return statistics.median(getattr(r, what) for r in getattr(self, who))

    def peak_rss(self) -> float:
        return max(r.rss_mb for r in self.ours)


def measure(shape: Shape, size_mb: int, rounds: int, directory: Path) -> Case:
    path = directory / f"tunectl-bench-{shape.name}-{size_mb}-{os.getpid()}.jsonl"
    try:
        started = time.perf_counter()
        # In a child: this process stays small, since every process it starts inherits its peak RSS
        # (Linux carries the high-water mark across fork and exec into the child's ru_maxrss).
        generated = subprocess.run(
            [sys.executable, __file__, "--generate", shape.name, str(size_mb << 20), str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        lines = int(generated.stdout)
        size = path.stat().st_size
        print(
            f"{shape.name} {size_mb} MB: {lines:,} examples, {size / lines:,.0f} B each, "
            f"generated in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        case = Case(shape.name, size / (1 << 20), lines, size / lines, [], [])
        for round_ in range(rounds):
            order = ("ours", "naive") if round_ % 2 == 0 else ("naive", "ours")
            for who in order:
                run = run_tunectl(path) if who == "ours" else run_naive(path)
                getattr(case, who).append(run)
                print(
                    f"  round {round_ + 1} {who:>5}: {case.size_mb / run.seconds:6.1f} MB/s "
                    f"{run.seconds:6.2f} s wall {run.cpu:6.2f} s CPU  peak RSS {run.rss_mb:4.0f} MB  "
                    f"examples {run.examples:,} errors {run.errors:,}",
                    file=sys.stderr,  # progress; the table or the JSON goes to stdout
                    flush=True,
                )
        return case
    finally:
        path.unlink(missing_ok=True)


def verdicts(case: Case) -> list[tuple[str, bool]]:
    ours = case.size_mb / case.median("ours", "seconds")
    ratio = case.median("naive", "seconds") / case.median("ours", "seconds")
    return [
        (f">= {TARGET_RATIO:g}x naive", ratio >= TARGET_RATIO),
        (f">= {TARGET_MB_S:g} MB/s", ours >= TARGET_MB_S),
        (f"RSS <= {TARGET_RSS_MB:g} MB", case.peak_rss() <= TARGET_RSS_MB),
    ]


def table(cases: list[Case], rounds: int) -> str:
    rows = [
        "| case | examples | ours | naive | ratio | CPU ours / naive (ratio) | peak RSS (ours) | targets |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in cases:
        ours_s, naive_s = c.median("ours", "seconds"), c.median("naive", "seconds")
        marks = ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in verdicts(c))
        rows.append(
            f"| {c.shape} ({c.mean_bytes:,.0f} B), {c.size_mb:,.0f} MB | {c.examples:,} | "
            f"{c.size_mb / ours_s:,.0f} MB/s ({ours_s:.2f} s) | "
            f"{c.size_mb / naive_s:,.0f} MB/s ({naive_s:.2f} s) | "
            f"{naive_s / ours_s:.1f}x | {c.median('ours', 'cpu'):.2f} s / {c.median('naive', 'cpu'):.2f} s "
            f"({c.median('naive', 'cpu') / c.median('ours', 'cpu'):.1f}x) | "
            f"{c.peak_rss():.0f} MB | {marks} |"
        )
    return "\n".join(rows) + f"\n\nmedians of {rounds} paired rounds"


def main() -> int:
    if sys.argv[1:2] == ["--naive"]:  # the yardstick, run as its own process by `run_naive`
        print(json.dumps(naive_validate(Path(sys.argv[2]))))
        return 0
    if sys.argv[1:2] == ["--generate"]:  # SHAPE BYTES PATH, run as its own process by `measure`
        print(generate(Path(sys.argv[4]), SHAPES[sys.argv[2]], int(sys.argv[3])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size-mb", type=int, action="append", help=f"file size in MiB; repeatable (default {SIZES_MB})"
    )
    parser.add_argument("--shape", choices=sorted(SHAPES), action="append", help="default: all")
    parser.add_argument("--rounds", type=int, default=3, help="paired rounds per case (default 3)")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where the files are generated")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args()
    if not TUNECTL.exists():
        raise SystemExit(f"{TUNECTL} is missing: build the environment with `python3 dev env`")
    compileall.compile_dir(ROOT / "ops", quiet=1)  # as an install leaves it
    load_before = os.getloadavg()
    cases = [
        measure(SHAPES[name], size, args.rounds, Path(args.dir))
        for size in args.size_mb or SIZES_MB
        for name in args.shape or SHAPES
    ]
    load_after = os.getloadavg()
    met = all(ok for c in cases for _, ok in verdicts(c))
    if args.format == "json":
        out = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "cpus": os.cpu_count(),
            "load_average": {"before": load_before, "after": load_after},
            "shapes": {name: asdict(shape) for name, shape in SHAPES.items()},
            "cases": [
                {
                    **{k: v for k, v in asdict(c).items() if k not in ("ours", "naive")},
                    "ours": [asdict(r) for r in c.ours],
                    "naive": [asdict(r) for r in c.naive],
                    "targets": dict(verdicts(c)),
                }
                for c in cases
            ],
            "met": met,
        }
        print(json.dumps(out, indent=2))
    else:
        print()
        print(table(cases, args.rounds))
        print(
            f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, load average "
            f"(1/5/15 min) before {' '.join(f'{x:.2f}' for x in load_before)}, after "
            f"{' '.join(f'{x:.2f}' for x in load_after)}"
        )
        print("all targets met" if met else "a target was MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
