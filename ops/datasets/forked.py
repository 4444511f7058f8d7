"""Run one function over a few jobs at once: the first job in this process, each other one in a
child forked for it, which sends its result back pickled through a pipe.

Why not `multiprocessing.Pool`: for the validator's two byte ranges, the pool (its import, its
handler threads and task queues, a second worker while this process waits) cost 40-60 ms of a
0.3 s run (benchmarks/validate_throughput.py). A forked child needs none of it: it inherits the
function and its arguments, and writes one result.

Ctrl-C reaches the whole process group: children ignore it, this process raises KeyboardInterrupt
and kills them, so the user sees one line and no child's traceback. A child that raises sends its
exception back, and this process raises it; a child that dies without a result is `WorkerDied`.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

R = TypeVar("R")


class WorkerDied(RuntimeError):
    """A child ended without sending a result (killed, or out of memory)."""


class _Child:
    def __init__(self, pid: int, reader: int) -> None:
        self.pid = pid
        self.reader = reader
        self.reaped = False

    def result(self) -> Any:
        import pickle  # here, like the other imports a parallel scan alone needs: start-up counts

        with os.fdopen(self.reader, "rb", closefd=False) as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.reaped = True
        if not data:
            code = os.waitstatus_to_exitcode(status)
            how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
            raise WorkerDied(how)
        ok, value = pickle.loads(data)
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        """Kill the child if it still runs, and reap it (idempotent)."""
        if not self.reaped:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.reaped = True
        if self.reader >= 0:
            os.close(self.reader)
            self.reader = -1


def _start(func: Callable[..., Any], job: Sequence[Any]) -> _Child:
    import pickle  # imported before the fork: the child inherits it

    reader, writer = os.pipe()
    pid = os.fork()
    if pid:
        os.close(writer)
        return _Child(pid, reader)
    code = 1
    try:  # the child: never returns into the caller's code, whatever happens
        os.close(reader)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent alone answers Ctrl-C
        try:
            payload = pickle.dumps((True, func(*job)))
            code = 0
        except BaseException as exc:
            try:
                payload = pickle.dumps((False, exc))
            except Exception:
                payload = pickle.dumps((False, WorkerDied(f"it raised {type(exc).__name__}: {exc}")))
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(payload)
    finally:
        os._exit(code)


def map_forked(func: Callable[..., R], jobs: Sequence[Sequence[Any]]) -> list[R]:
    """`[func(*job) for job in jobs]`, the jobs after the first in forked children, at once."""
    children: list[_Child] = []
    try:
        for job in jobs[1:]:
            children.append(_start(func, job))
        results = [func(*jobs[0])]
        results.extend(child.result() for child in children)
        return results
    finally:
        for child in children:
            child.stop()
