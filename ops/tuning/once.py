"""At most one job per run: a lock per run id on this machine, and a check after every create.

The lock (a file next to the ledger, `flock`ed) makes concurrent `tune launch` commands for the same
run id on one machine take turns: the second finds the first's job instead of creating another.
Across machines nothing can lock, so after any create we list the jobs carrying the run label; if
more than one is live, the oldest is kept and the others are cancelled, and the launch says so.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ops.errors import ExitStatus, TunectlError
from ops.tuning.jobs import JobBackend, JobView


def lock_wait_seconds() -> float:
    """How long a launch waits for another launch of the same run (TUNECTL_LAUNCH_LOCK_TIMEOUT)."""
    try:
        return max(0.0, float(os.environ.get("TUNECTL_LAUNCH_LOCK_TIMEOUT", "900")))
    except ValueError:
        return 900.0


@contextmanager
def run_lock(ledger_path: Path, run_id: str, *, poll: float = 0.05) -> Iterator[None]:
    """Hold `<ledger>.locks/<run_id>.lock` for the duration; wait a bounded time for another holder."""
    directory = ledger_path.parent / f"{ledger_path.name}.locks"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{run_id}.lock"
    deadline = time.monotonic() + lock_wait_seconds()
    with path.open("a+") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TunectlError(
                        "launch-busy",
                        f"another tunectl is launching run {run_id} on this machine",
                        where=str(path),
                        hint="wait for it to finish, then run the same launch again: it finds that job",
                        status=ExitStatus.USAGE,
                    ) from None
                time.sleep(poll)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Dedupe:
    kept: JobView
    cancelled: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # duplicates we could not cancel: the user must


def keep_oldest(backend: JobBackend, run_id: str, created: JobView) -> Dedupe:
    """After a create: if more than one live job carries `run_id`, keep the oldest, cancel the rest."""
    live = [j for j in backend.find_all(run_id) if not j.terminal]
    if created.name not in {j.name for j in live}:
        live.append(created)
    if len(live) <= 1:
        return Dedupe(created)
    live.sort(key=lambda j: (j.create_time or "9999", j.name))
    result = Dedupe(live[0])
    for job in live[1:]:
        try:
            backend.cancel(job.name)
            result.cancelled.append(job.name)
        except TunectlError:
            result.failed.append(job.name)
    return result
