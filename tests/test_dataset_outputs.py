"""`dataset convert` and `dataset split` never overwrite their input, and split's two outputs never
share a file; Ctrl-C during a parallel validate exits 130 with one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ops.cli import run
from ops.errors import ExitStatus
from tests.dataset_fixtures import palm, write_jsonl


def _data(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "d.jsonl", [palm(i) for i in range(20)])


def test_convert_refuses_to_write_over_its_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _data(tmp_path)
    before = path.read_bytes()
    assert run(["dataset", "convert", str(path), "--to", "gemini", "-o", str(path)]) == ExitStatus.USAGE
    assert "error[output-is-input]" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_convert_refuses_a_hard_link_to_its_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _data(tmp_path)
    link = tmp_path / "link.jsonl"
    os.link(path, link)
    assert run(["dataset", "convert", str(path), "--to", "gemini", "-o", str(link)]) == ExitStatus.USAGE
    assert "error[output-is-input]" in capsys.readouterr().err


def test_split_refuses_its_input_as_an_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _data(tmp_path)
    before = path.read_bytes()
    relative = os.path.relpath(path)  # another spelling of the same file
    args = ["dataset", "split", str(path), "--validation-fraction", "0.2", "--train-out", relative]
    assert run([*args, "--validation-out", str(tmp_path / "v.jsonl")]) == ExitStatus.USAGE
    assert "error[output-is-input]" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_split_refuses_one_file_for_both_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _data(tmp_path)
    out = str(tmp_path / "same.jsonl")
    args = ["dataset", "split", str(path), "--validation-fraction", "0.2", "--train-out", out]
    assert run([*args, "--validation-out", out]) == ExitStatus.USAGE
    assert "error[outputs-collide]" in capsys.readouterr().err
    assert not Path(out).exists()


@pytest.mark.slow
def test_ctrl_c_during_a_parallel_validate_exits_130_without_worker_tracebacks(tmp_path: Path) -> None:
    from ops.datasets.validate import PARALLEL_MIN_BYTES

    line = (
        b'{"contents": [{"role": "user", "parts": [{"text": "' + b"q" * 400 + b'"}]}, '
        b'{"role": "model", "parts": [{"text": "a"}]}]}\n'
    )
    path = tmp_path / "big.jsonl"
    with path.open("wb") as handle:
        handle.write(line * (PARALLEL_MIN_BYTES * 2 // len(line)))
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from ops.cli import run; sys.exit(run(sys.argv[1:]))",
         "dataset", "validate", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 30
    while not children.read_text().split() and time.monotonic() < deadline:
        time.sleep(0.01)  # until the pool's workers are scanning
    assert children.read_text().split(), "the validate never forked its workers"
    time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal sends Ctrl-C: to the whole group
    _out, err = process.communicate(timeout=60)
    assert process.returncode == ExitStatus.INTERRUPTED
    assert err.decode().strip() == "interrupted"
