"""ops/datasets/forked.py: the validator's parallel scan without a process pool. Results come back in
job order, a child's exception is raised here, a child that dies is named, and no child outlives the
call, whatever happens."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from ops.datasets.forked import WorkerDied, map_forked
from ops.errors import ExitStatus, TunectlError


def _square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def test_results_come_back_in_job_order_the_first_job_here_the_others_in_children() -> None:
    results = map_forked(_square_and_pid, [(1,), (2,), (3,)])
    assert [square for square, _ in results] == [1, 4, 9]
    pids = [pid for _, pid in results]
    assert pids[0] == os.getpid() and len(set(pids)) == 3


def _refuse(n: int) -> None:
    if n == 2:
        raise TunectlError("key-store-unwritable", "no room", hint="point TMPDIR elsewhere", where="/tmp")


def test_a_childs_error_is_raised_here_whole() -> None:
    with pytest.raises(TunectlError) as caught:
        map_forked(_refuse, [(1,), (2,)])
    error = caught.value
    assert (error.code, error.message, error.hint, error.where) == (
        "key-store-unwritable",
        "no room",
        "point TMPDIR elsewhere",
        "/tmp",
    )
    assert error.status == ExitStatus.USAGE


class _Unpicklable(Exception):
    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("cannot pickle this")


def _raise_unpicklable(n: int) -> None:
    if n:
        raise _Unpicklable("the reason")


def test_an_error_that_does_not_pickle_still_says_what_it_was() -> None:
    with pytest.raises(WorkerDied, match="_Unpicklable: the reason"):
        map_forked(_raise_unpicklable, [(0,), (1,)])


def _die(n: int) -> None:
    if n:
        os.kill(os.getpid(), signal.SIGKILL)


def test_a_child_killed_without_a_result_is_named() -> None:
    with pytest.raises(WorkerDied, match="killed by signal 9"):
        map_forked(_die, [(0,), (1,)])


def _sleep_or_fail(marker: str) -> None:
    if marker == "fail":
        time.sleep(0.2)  # the child is running by now
        raise KeyboardInterrupt  # as Ctrl-C arrives here
    Path(marker).write_text(str(os.getpid()))
    time.sleep(60)


def test_an_interrupt_here_kills_and_reaps_every_child(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        map_forked(_sleep_or_fail, [("fail",), (str(marker),)])
    assert time.monotonic() - started < 30
    pid = int(marker.read_text())
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped already: no zombie left behind
    assert not Path(f"/proc/{pid}").exists()


# The CLI with the forked scan on a small file, whose child is killed as the out-of-memory killer would.
KILLED_CHILD = """
import os, signal, sys
import ops.datasets.validate as validate
validate.PARALLEL_MIN_BYTES = 0
scan_range = validate._scan_range
def killed_unless_first(source, start, *rest):
    if start:
        os.kill(os.getpid(), signal.SIGKILL)
    return scan_range(source, start, *rest)
validate._scan_range = killed_unless_first
from ops.cli import run
sys.exit(run(["dataset", "validate", sys.argv[1]]))
"""


def test_a_scanner_killed_from_outside_is_a_diagnostic_not_a_bug(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.dataset_fixtures import palm, write_jsonl

    path = write_jsonl(tmp_path / "d.jsonl", [palm(i) for i in range(200)])
    done = subprocess.run(
        [sys.executable, "-c", KILLED_CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == ExitStatus.USAGE, done.stderr
    assert done.stderr.startswith(
        "error[scanner-died]: a process scanning part of " + str(path) + " ended without a result "
        "(killed by signal 9)"
    ), done.stderr
    assert "out-of-memory" in done.stderr and "bug" not in done.stderr and "Traceback" not in done.stderr
