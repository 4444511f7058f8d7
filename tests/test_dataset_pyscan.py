"""The scanner's pure-Python twin (ops/datasets/_pyscan.py) against the compiled module, its oracle:
the same keys, block results and text counts on any input, and the scanner runs on it unchanged
when the extension is absent."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from array import array
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops.datasets import _fastscan, _pyscan

ROOT = Path(__file__).resolve().parent.parent
# Bytes that matter to the normalized form and the braced test, and a few that do not.
_ALPHABET = b' \t\r\x0b\x0c\\ntrNAZaz{}[]":,0\x80\xc3\xa9'
lines = st.lists(st.sampled_from(list(_ALPHABET)), max_size=120).map(bytes) | st.binary(max_size=120).map(
    lambda b: b.replace(b"\n", b"")
)


def test_wyhash_agrees_at_every_length_branch() -> None:
    # Lengths around the hash's branches: 0, <4, 4..16, 17..48, >48 and its 48-byte loop.
    data = bytes(range(256)) * 2
    for length in [*range(0, 70), 95, 96, 97, 144, 145, 300, 512]:
        line = data[:length].replace(b"\n", b"x")
        assert _pyscan.line_keys(line) == _fastscan.line_keys(line), length


@settings(max_examples=300, deadline=None)
@given(line=lines)
def test_line_keys_agree(line: bytes) -> None:
    assert _pyscan.line_keys(line) == _fastscan.line_keys(line)


@settings(max_examples=150, deadline=None)
@given(block=st.lists(lines, max_size=6).map(lambda ls: b"\n".join(ls)), newline=st.booleans())
def test_block_keys_agree(block: bytes, newline: bool) -> None:
    block += b"\n" if newline else b""
    assert _pyscan.block_keys(block) == _fastscan.block_keys(block)


def test_block_keys_on_edge_blocks() -> None:
    # The last two are longer than the 255 16-byte steps the C line count takes between sums.
    many = [b"\n" * 5000, b"{}\n" * 3000 + b"{}"]
    for block in [b"", b"\n", b"\n\n", b"{}", b"{}\n", b' {"a":1} \r\n{}', b"{}\nx", b"{\n}", *many]:
        assert _pyscan.block_keys(block) == _fastscan.block_keys(block), block


# Keys drawn from a few values so that repeats are common; the top bits choose the partition.
_keys = st.sampled_from([0, 1, -1, 7 << 60, -(1 << 63), (1 << 63) - 1, 12345])


def _consistent(keys: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Equal exact keys have equal normalized keys, as for real lines."""
    normalized: dict[int, int] = {}
    return [(e, normalized.setdefault(e, n)) for e, n in keys]


_record_lists = st.lists(st.tuples(_keys, _keys), max_size=80).map(_consistent)


def _columns(keys: list[tuple[int, int]]) -> tuple[array[int], array[int], array[int]]:
    lines = array("I", range(1, len(keys) + 1))
    return lines, array("q", [e for e, _ in keys]), array("q", [n for _, n in keys])


@settings(max_examples=150, deadline=None)
@given(keys=_record_lists, split=st.integers(0, 80), gap=st.integers(0, 1 << 33))
def test_key_store_records_agree_and_find_every_repeat(
    keys: list[tuple[int, int]], split: int, gap: int
) -> None:
    first, second = keys[:split], keys[split:]  # two ranges of one file, as two workers scan it
    offset = len(first) + gap  # the second range's lines follow the first's
    parts = _fastscan.partition_records(*_columns(first))
    assert parts == _pyscan.partition_records(*_columns(first))
    other = _fastscan.partition_records(*_columns(second))
    every: list[tuple[int, int, int]] = []  # (line, exact, normalized), as the store numbers them
    for p in range(16):
        segments = [(parts[p], 0), (other[p], offset)]
        reference = [(other[p], 3)]
        for key in (1, 2):
            assert _fastscan.repeats(segments, key) == _pyscan.repeats(segments, key)
        assert _fastscan.matches(segments, reference) == _pyscan.matches(segments, reference)
        every += [(line, e, n) for line, e, n in _unpack(parts[p], 0) + _unpack(other[p], offset)]
    # The oracle: a repeat is a later line with a key an earlier line of its partition had.
    every.sort()
    for key, index in ((1, 1), (2, 2)):
        firsts: dict[int, int] = {}
        expected = [(r[0], firsts.setdefault(r[index], r[0])) for r in every]
        found = [
            pair for p in range(16) for pair in _fastscan.repeats([(parts[p], 0), (other[p], offset)], key)
        ]
        assert sorted(found) == [(line, orig) for line, orig in expected if line != orig]


def _unpack(records: bytes, offset: int) -> list[tuple[int, int, int]]:
    return [(line + offset, e, n) for line, e, n in struct.iter_unpack("=Iqq", records)]


def test_key_store_functions_refuse_bad_records_alike() -> None:
    for module in (_fastscan, _pyscan):
        with pytest.raises(ValueError):
            module.partition_records(array("I", [1, 2]), array("q", [1]), array("q", [1]))
        with pytest.raises(ValueError):
            module.repeats([(b"x" * 19, 0)], 2)
        with pytest.raises(ValueError):
            module.repeats([], 3)
        for segments in ([[b"", 0]], [(b"", 0.5)], [(b"",)]):
            with pytest.raises(TypeError):
                module.repeats(segments, 2)


def test_key_store_searches_agree_at_any_line_and_on_keys_alike_in_their_low_bits() -> None:
    """Line numbers are data, not markers (even -1 after an offset); keys that differ only in their
    high bits (which wyhash values do not, but crafted ones could) are told apart."""
    record = struct.Struct("=Iqq")
    first = record.pack(0, 5, 5) + record.pack(1, 5, 5)
    for module in (_fastscan, _pyscan):
        assert module.repeats([(first, -1)], 1) == [(0, -1)]
        assert module.matches([(first, 0)], [(first, -1)]) == [(0, -1), (1, -1)]
    keys = [(i << 40, i << 40) for i in range(3000)] + [(7 << 40, 7 << 40)]
    parts = _fastscan.partition_records(*_columns(keys))
    segments = [(records, 0) for records in parts]
    assert _fastscan.repeats(segments, 2) == _pyscan.repeats(segments, 2) == [(3001, 8)]


def _parts(*texts: object) -> list[SimpleNamespace]:
    return [SimpleNamespace(text=text) for text in texts]


@pytest.mark.parametrize(
    "turns",
    [
        [],
        [
            SimpleNamespace(role="user", parts=_parts("hi")),
            SimpleNamespace(role="model", parts=_parts("yo", "!")),
        ],
        [SimpleNamespace(role="user", parts=_parts("hi"))],
        [SimpleNamespace(role="model", parts=_parts("a")), SimpleNamespace(role="user", parts=_parts("b"))],
        [SimpleNamespace(role="user", parts=_parts(" \n")), SimpleNamespace(role="model", parts=_parts("x"))],
        [
            SimpleNamespace(role="user", parts=_parts("é" * 5, "")),
            SimpleNamespace(role=None, parts=_parts("x")),
        ],
    ],
)
def test_turn_and_text_counts_agree(turns: list[SimpleNamespace]) -> None:
    assert _pyscan.turns_chars(turns) == _fastscan.turns_chars(turns)
    for turn in turns:
        assert _pyscan.text_chars(turn.parts) == _fastscan.text_chars(turn.parts)


@pytest.mark.parametrize("bad", [("not a list",), (_parts(3),)])
def test_both_refuse_the_same_bad_arguments(bad: tuple[object]) -> None:
    with pytest.raises(TypeError):
        _fastscan.text_chars(*bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _pyscan.text_chars(*bad)  # type: ignore[arg-type]


def _validate(sample: Path, without_extension: bool) -> dict[str, object]:
    block = "import sys; sys.modules['ops.datasets._fastscan'] = None; " if without_extension else ""
    code = (
        f"{block}import runpy; sys = __import__('sys'); "
        f"sys.argv = ['tunectl', 'dataset', 'validate', {str(sample)!r}, '--format', 'json']; "
        "runpy.run_module('ops', run_name='__main__')"
    )
    env = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    return {"status": result.returncode, "report": json.loads(result.stdout)}


def test_dataset_validate_gives_the_same_report_without_the_extension(tmp_path: Path) -> None:
    sample = tmp_path / "train.jsonl"
    lines = (ROOT / "samples" / "sarcasm-classification" / "train.jsonl").read_text().splitlines()
    sample.write_text("\n".join([*lines[:200], lines[0], lines[1].upper()]) + "\n")
    assert _validate(sample, without_extension=True) == _validate(sample, without_extension=False)
