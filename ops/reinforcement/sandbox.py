"""Run a reward's Python code snippet outside tunectl's process, with a time and a memory limit.

Google runs `pythonCodeSnippet` in a sandbox without internet access and calls
`evaluate(example, response) -> float` (google-genai 2.34, `ReinforcementTuningCodeExecutionRewardScorer`,
read 2026-12-02); the service allows "100 seconds for every evaluate method call" (reward functions
page, https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/tuning/reinforcement-tuning/reinforcement-tuning-job/reward-functions,
read 2026-12-02). Locally the snippet
runs in a child Python (`python -I`, its own temporary directory, no tunectl modules), one child per
reward that is reused across examples: a wall-clock limit per call (the child is killed and a fresh one
started for the next example), an address-space limit (`RLIMIT_AS`) and a CPU-time backstop
(`RLIMIT_CPU`). Several children of one snippet may run at once (`SandboxPool`, bounded by
`--concurrency`). The child still has the network and the user's files, runs as the user and can even
signal tunectl: it is a limit on mistakes, not a security boundary, so only test snippets you would
run yourself.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

SERVICE_TIMEOUT_S = 100.0
DEFAULT_MEMORY_MB = 1024
_WORKER = Path(__file__).with_name("_sandbox_worker.py")
_TIMEOUT, _ENDED = b"timeout", b"ended"  # compared by identity: never a protocol line


@dataclass(frozen=True)
class SandboxLimits:
    timeout_s: float = SERVICE_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB


@dataclass(frozen=True)
class CodeResult:
    """The snippet's raw (unclipped) reward, or why there is none."""

    reward: float | None
    error: str | None = None
    timed_out: bool = False  # the wall-clock or CPU-time limit stopped it


STOPPED = CodeResult(None, "not scored: tunectl was stopping")


class CodeSandbox:
    def __init__(self, snippet: str, limits: SandboxLimits | None = None) -> None:
        self.snippet = snippet
        self.limits = limits or SandboxLimits()
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._home = tempfile.TemporaryDirectory(prefix="tunectl-reward-")
        self._stopping = False

    def __enter__(self) -> CodeSandbox:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._stop()
        self._home.cleanup()

    def kill(self) -> None:
        """Stop the snippet now, from any thread (tunectl is stopping): its process group is killed, a
        call in progress returns `STOPPED`, and no new child starts. `close` still has to follow."""
        self._stopping = True
        proc = self._proc
        if proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)

    def evaluate(self, example: dict[str, Any], response: dict[str, Any]) -> CodeResult:
        if self._stopping:
            return STOPPED
        proc = self._start()
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps({"example": example, "response": response}).encode() + b"\n")
            proc.stdin.flush()
        except BrokenPipeError:
            return self._died()
        line = self._read_line(time.monotonic() + self.limits.timeout_s)
        if line is _TIMEOUT:
            self._stop()
            return CodeResult(
                None,
                f"evaluate did not return within {self.limits.timeout_s:g} s (time limit)",
                timed_out=True,
            )
        if line is _ENDED:
            return self._died()
        answer = json.loads(line)
        return CodeResult(answer.get("reward"), answer.get("error"))

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            memory = self.limits.memory_mb * 1024 * 1024
            cpu = math.ceil(self.limits.timeout_s) + 1
            self._proc = subprocess.Popen(
                [sys.executable, "-I", str(_WORKER), str(memory), str(cpu)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=self._home.name,
                env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
                start_new_session=True,  # Ctrl-C goes to tunectl, which then stops the child
            )
            self._buffer = b""
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps(self.snippet).encode() + b"\n")
            self._proc.stdin.flush()
        return self._proc

    def _read_line(self, deadline: float) -> bytes:
        """One protocol line, or _TIMEOUT at the deadline, or _ENDED when the child exits."""
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(0.0, left))
            if not ready:
                return _TIMEOUT
            chunk = os.read(fd, 65536)
            if not chunk:
                return _ENDED
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _died(self) -> CodeResult:
        assert self._proc is not None
        code = self._proc.wait()
        self._stop()
        if self._stopping:
            return STOPPED
        if code == -signal.SIGXCPU or code == -signal.SIGKILL:
            return CodeResult(None, "the snippet used up its CPU time (time limit)", timed_out=True)
        if code < 0:
            return CodeResult(None, f"the snippet process was killed by signal {signal.Signals(-code).name}")
        return CodeResult(None, f"the snippet ended its process (exit status {code}), e.g. by calling exit()")

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        # The child leads its own session: kill the group, so processes the snippet started go too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


class SandboxPool:
    """Up to `size` sandboxes of one snippet, each used by one thread at a time, started as needed;
    and how many calls of this snippet hit the time limit (`timeouts`), so callers can stop paying
    the limit again and again for a snippet that loops."""

    def __init__(self, snippet: str, limits: SandboxLimits, size: int) -> None:
        self.snippet = snippet
        self.limits = limits
        self.timeouts = 0
        self._size = max(1, size)
        self._all: list[CodeSandbox] = []
        self._idle: list[CodeSandbox] = []
        self._lock = threading.Lock()
        self._free = threading.Semaphore(self._size)
        self._stopping = False

    @contextlib.contextmanager
    def sandbox(self) -> Iterator[CodeSandbox]:
        with self._free:
            with self._lock:
                if self._idle:
                    box = self._idle.pop()
                else:
                    box = CodeSandbox(self.snippet, self.limits)
                    self._all.append(box)
            try:
                yield box
            finally:
                with self._lock:
                    self._idle.append(box)

    def evaluate(self, example: dict[str, Any], response: dict[str, Any]) -> CodeResult:
        if self._stopping:
            return STOPPED
        with self.sandbox() as box:
            result = box.evaluate(example, response)
        if result.timed_out:
            with self._lock:
                self.timeouts += 1
        return result

    def kill(self) -> None:
        """Stop every running snippet of this pool now (from any thread); nothing new starts."""
        with self._lock:
            self._stopping = True
            boxes = list(self._all)
        for box in boxes:
            box.kill()

    def close(self) -> None:
        for box in self._all:
            box.close()
        self._all.clear()
        self._idle.clear()
