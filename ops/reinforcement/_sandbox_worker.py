"""The child process that runs a reward's Python code snippet (started by `sandbox.py`, never imported).

Protocol: argv = [memory limit in bytes, CPU seconds]; first stdin line is the snippet as a JSON string,
then one JSON object per line, `{"example": ..., "response": ...}`; for each, one line on the protocol
pipe: `{"reward": float}` or `{"error": "..."}`. The snippet's own prints go to stderr, so they cannot
corrupt the protocol. Stdlib only: the worker starts with `python -I` and imports nothing of tunectl.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import resource
import sys
import traceback


def _limit_memory(memory_bytes: int) -> None:
    if memory_bytes > 0:
        # macOS refuses RLIMIT_AS: the time limits still hold there.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _limit_cpu(cpu_seconds: int) -> None:
    """CPU time for the next call only: RLIMIT_CPU counts the whole process, which serves many calls,
    so the soft limit moves up before each one (the hard limit is left alone, so it can). A backstop:
    the parent's wall-clock limit is the one users see."""
    if cpu_seconds <= 0:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = math.ceil(usage.ru_utime + usage.ru_stime)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + cpu_seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _where(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<reward snippet>"]
    return f" (snippet line {frames[-1].lineno})" if frames else ""


def _call(evaluate: object, item: dict[str, object]) -> dict[str, object]:
    try:
        value = evaluate(item["example"], item["response"])  # type: ignore[operator]
    except MemoryError:
        return {"error": "the snippet ran out of memory (the memory limit was reached)"}
    except Exception as exc:  # the snippet's own failure, reported per example
        return {"error": f"evaluate raised {type(exc).__name__}: {exc}{_where(exc)}"}
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return {"error": f"evaluate returned {type(value).__name__} {value!r:.60}, not a number"}
    if not math.isfinite(value):
        return {"error": f"evaluate returned {value}, not a finite number"}
    return {"reward": float(value)}


def main() -> int:
    memory_bytes, cpu_seconds = int(sys.argv[1]), int(sys.argv[2])
    # The protocol keeps private copies of stdin and stdout; the snippet sees /dev/null and stderr.
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _limit_memory(memory_bytes)
    _limit_cpu(cpu_seconds)
    source = json.loads(requests.readline())
    namespace: dict[str, object] = {"__name__": "reward_snippet"}
    try:
        exec(compile(source, "<reward snippet>", "exec"), namespace)  # the point of the sandbox
        evaluate = namespace["evaluate"]
    except BaseException as exc:  # reported; then every example fails the same way
        message = f"the snippet failed to load: {type(exc).__name__}: {exc}{_where(exc)}"
        evaluate = None
    for line in requests:
        _limit_cpu(cpu_seconds)
        result = {"error": message} if evaluate is None else _call(evaluate, json.loads(line))
        protocol.write(json.dumps(result) + "\n")
        protocol.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
