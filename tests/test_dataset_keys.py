"""The key store (ops/datasets/keys.py): records spilled to partition files give the same findings
as if every key had stayed in memory, whatever the spill size, the partitions and the workers."""

from __future__ import annotations

import random
import struct
from array import array
from pathlib import Path

import pytest

import ops.datasets.scan as scan_module
import ops.datasets.validate as validate_module
from ops.datasets import validate_files
from ops.datasets.keys import PARTITIONS, KeyStore, KeyWriter
from ops.output import to_jsonable
from tests.dataset_fixtures import palm, write_jsonl


def test_partitions_hold_every_record_once_in_line_order(tmp_path: Path) -> None:
    rng = random.Random(5)
    lines = list(range(1, 2001))
    normalized = [rng.getrandbits(64) - (1 << 63) for _ in lines]
    exact = [rng.getrandbits(64) - (1 << 63) for _ in lines]
    writers = [KeyWriter(tmp_path, "0"), KeyWriter(tmp_path, "1")]
    for start in range(0, 1000, 300):  # several writes per range, as a scan spills
        stop = min(start + 300, 1000)
        for writer, base in zip(writers, (0, 1000), strict=True):
            writer.write(
                array("I", [line - base for line in lines[base + start : base + stop]]),
                array("q", exact[base + start : base + stop]),
                array("q", normalized[base + start : base + stop]),
            )
    store = KeyStore(tmp_path, (("0", 0), ("1", 1000)))
    seen: list[tuple[int, int, int]] = []
    for p, segments in enumerate(store.partitions()):
        got = [
            (line + offset, e, n)
            for records, offset in segments
            for line, e, n in struct.iter_unpack("=Iqq", records)
        ]
        assert [line for line, _, _ in got] == sorted(line for line, _, _ in got)
        assert all((n >> 60) & (PARTITIONS - 1) == p for _, _, n in got)
        seen += got
    assert sorted(seen) == list(zip(lines, exact, normalized, strict=True))


def _dataset(tmp_path: Path) -> tuple[Path, Path]:
    records: list[object] = [palm(i) for i in range(600)]
    records[10] = palm(3)  # exact repeat of line 4
    records[400] = {"input_text": "QUESTION 7", "output_text": "answer  7"}  # near repeat of line 8
    records[599] = palm(250)  # exact repeat, far from line 251
    records[300] = {"input_text": "no output"}
    train = write_jsonl(tmp_path / "train.jsonl", records)
    valid = write_jsonl(tmp_path / "valid.jsonl", [palm("v1"), palm(42), palm("v2"), palm(598)])
    return train, valid


@pytest.mark.parametrize("workers", [1, 2])
def test_spilling_every_few_examples_changes_no_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    train, valid = _dataset(tmp_path)
    expected = to_jsonable(validate_files([train], validation=valid, workers=1))
    monkeypatch.setattr(scan_module, "SPILL_EXAMPLES", 7)
    monkeypatch.setattr(validate_module, "PARALLEL_MIN_BYTES", 0)
    assert to_jsonable(validate_files([train], validation=valid, workers=workers)) == expected
    training, validation = validate_files([train], validation=valid, workers=workers)
    assert [(f.line, f.code) for f in training.warnings] == [
        (11, "duplicate-example"),
        (401, "near-duplicate-example"),
        (600, "duplicate-example"),
    ]
    assert [(f.line, f.code) for f in training.errors] == [(301, "missing-field")]
    assert training.stats["well_formed_examples"] == 599
    assert [(f.line, f.code) for f in validation.errors] == [
        (2, "train-validation-overlap"),
        (4, "train-validation-overlap"),
    ]
    assert "train.jsonl line 43" in validation.errors[0].message


def test_no_room_for_the_key_store_is_a_diagnostic_naming_tmpdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tempfile

    from ops.cli import run
    from ops.errors import ExitStatus

    path = write_jsonl(tmp_path / "d.jsonl", [palm(i) for i in range(20)])
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no" / "such" / "directory"))
    assert run(["dataset", "validate", str(path)]) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert "error[key-store-unwritable]" in err and "TMPDIR" in err
    assert "Traceback" not in err and "internal" not in err


# A write past RLIMIT_FSIZE fails as a full disk does (the errno differs, the path is the same: the
# write names no file), with SIGXFSZ ignored so that it is an error, not a signal.
FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))
import ops.datasets.validate as validate
validate.PARALLEL_MIN_BYTES = int(sys.argv[1])  # 0: the forked scan, as for a big file
from ops.cli import run
sys.exit(run(["dataset", "validate", sys.argv[2]]))
"""


@pytest.mark.parametrize("parallel_from", [1 << 40, 0], ids=["one-process", "forked"])
def test_a_full_disk_under_tmpdir_is_a_diagnostic_naming_tmpdir(tmp_path: Path, parallel_from: int) -> None:
    import os
    import subprocess
    import sys

    path = write_jsonl(tmp_path / "d.jsonl", [palm(i) for i in range(400)])  # ~500 B a partition
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(parallel_from), str(path)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error[key-store-unwritable]: cannot write the duplicate-key store")
    assert "TMPDIR" in done.stderr and "internal" not in done.stderr and "Traceback" not in done.stderr
