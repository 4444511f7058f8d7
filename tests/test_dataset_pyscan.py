"""The scanner's pure-Python twin (ops/datasets/_pyscan.py) against the compiled module, its oracle:
the same keys, block results and text counts on any input, and the scanner runs on it unchanged
when the extension is absent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
    for block in [b"", b"\n", b"\n\n", b"{}", b"{}\n", b' {"a":1} \r\n{}', b"{}\nx", b"{\n}"]:
        assert _pyscan.block_keys(block) == _fastscan.block_keys(block), block


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
