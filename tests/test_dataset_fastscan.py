"""The scanner's C fast path (ops/datasets/_fastscan.c) against plain-Python statements of what it
computes, on both of its code paths (SIMD and byte by byte), and the scanner's use of it."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ops.datasets.scan as scan_module
import ops.datasets.source as source_module
from ops.datasets import _fastscan, validate_file
from ops.datasets.formats import GeminiSupervised
from ops.output import to_jsonable
from tests.dataset_fixtures import gemini, palm, write_jsonl

CORPUS = Path(__file__).parent / "data" / "malformed"

# Bytes that matter to the normalised form and the braced test, and a few that do not.
_ALPHABET = b' \t\r\x0b\x0c\\ntrNAZaz{}[]":,0\x80\xc3\xa9'
lines = st.lists(st.sampled_from(list(_ALPHABET)), max_size=90).map(bytes) | st.binary(max_size=90).map(
    lambda b: b.replace(b"\n", b"")
)


@pytest.fixture(params=[True, False], ids=["simd", "bytewise"])
def simd(request: pytest.FixtureRequest) -> Iterator[bool]:
    before = _fastscan._set_simd(request.param)
    yield request.param
    _fastscan._set_simd(before)


def normalized(line: bytes) -> bytes:
    """What the normalized key is a hash of: ASCII lower-cased, ASCII whitespace and the JSON escapes
    of whitespace (\\n, \\t, \\r) removed; an escaped backslash starts no escape."""
    out = bytearray()
    i = 0
    while i < len(line):
        c = line[i]
        following = line[i + 1] if i + 1 < len(line) else None
        if c == ord("\\") and following is not None and following in b"ntr":
            i += 2
        elif c == ord("\\") and following == ord("\\"):
            out += b"\\\\"
            i += 2
        elif c in b" \t\r\n\x0b\x0c":
            i += 1
        else:
            out.append(c + 32 if ord("A") <= c <= ord("Z") else c)
            i += 1
    return bytes(out)


def braced(line: bytes) -> bool:
    stripped = line.strip(b" \t\r\n\x0b\x0c")
    return stripped.startswith(b"{") and stripped.endswith(b"}")


def _variant(data: st.DataObject, line: bytes) -> bytes:
    """The line with some ASCII case flipped and some whitespace inserted."""
    out = bytearray()
    for c in line:
        if data.draw(st.booleans()):
            out += data.draw(st.sampled_from([b" ", b"\t", b"\r", b"\\n", b""]))
        out.append(c ^ 0x20 if chr(c).isascii() and chr(c).isalpha() and data.draw(st.booleans()) else c)
    return bytes(out)


# The `simd` fixture holds one setting for all of a test's examples, as it should.
_FIXTURE_OK = [HealthCheck.function_scoped_fixture]


@settings(max_examples=300, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(a=lines, data=st.data())
def test_keys_match_exactly_when_their_definitions_do(simd: bool, a: bytes, data: st.DataObject) -> None:
    for b in (_variant(data, a), data.draw(lines), a + b" \r"):
        exact_a, normalized_a = _fastscan.line_keys(a)
        exact_b, normalized_b = _fastscan.line_keys(b)
        assert (exact_a == exact_b) == (a.rstrip() == b.rstrip())
        assert (normalized_a == normalized_b) == (normalized(a) == normalized(b))


@settings(max_examples=300, deadline=None)
@given(line=lines)
def test_simd_and_bytewise_paths_agree(line: bytes) -> None:
    before = _fastscan._set_simd(True)
    try:
        fast = _fastscan.line_keys(line)
        _fastscan._set_simd(False)
        assert _fastscan.line_keys(line) == fast
    finally:
        _fastscan._set_simd(before)


@settings(max_examples=200, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(block=st.lists(lines, min_size=1, max_size=12), final_newline=st.booleans())
def test_block_keys_are_the_keys_of_each_line(simd: bool, block: list[bytes], final_newline: bool) -> None:
    data = b"\n".join(block) + (b"\n" if final_newline else b"")
    exact, normal, all_braced = _fastscan.block_keys(data)
    split = scan_module.split_lines(data)
    expected = [_fastscan.line_keys(line) for line in split]
    assert list(zip(memoryview(exact).cast("q"), memoryview(normal).cast("q"), strict=True)) == expected
    assert all_braced == (bool(split) and all(braced(line) for line in split))  # no lines: nothing to decode


def test_copies_in_other_case_spacing_or_line_breaks_share_the_normalized_key() -> None:
    original = b'{"input_text": "Is it sarcasm?", "output_text": "Yes"}'
    for copy in (
        b'{"input_text":"is it SARCASM?","output_text":"yes"}',
        b'{"input_text": "Is it\\n sarcasm?",  "output_text": "Yes"}\r',
    ):
        assert _fastscan.line_keys(copy)[1] == _fastscan.line_keys(original)[1]
        assert _fastscan.line_keys(copy)[0] != _fastscan.line_keys(original)[0]
    # An escaped backslash before an n is a backslash and a letter, not a line break.
    assert _fastscan.line_keys(b'"a\\\\nb"')[1] != _fastscan.line_keys(b'"a\\\\b"')[1]


texts = st.text(alphabet=st.sampled_from("ab \t\n\u3000\xa0é"), min_size=1, max_size=6)
turns = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["user", "model"]),
            "parts": st.lists(st.builds(dict, text=texts), min_size=1),
        }
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(contents=turns)
def test_turn_counts_match_python(contents: list[dict]) -> None:
    example = msgspec.convert({"contents": contents}, GeminiSupervised)
    all_texts = [p["text"] for t in contents for p in t["parts"]]
    roles = [t["role"] for t in contents]
    blank = any(text.isspace() for text in all_texts)
    chars, alternating = _fastscan.turns_chars(example.contents)
    assert chars == (-1 if blank else sum(map(len, all_texts)))
    if not blank:
        assert alternating == (roles == ["user", "model"] * (len(roles) // 2) and len(roles) % 2 == 0)
    first = example.contents[0].parts
    assert _fastscan.text_chars(first) == (
        -1 if any(p.text.isspace() for p in first) else sum(len(p.text) for p in first)
    )


def _all_lines_unbraced(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every chunk takes the line-by-line decoding path."""
    real = scan_module.block_keys

    def unbraced(chunk: bytes) -> tuple[bytes, bytes, bool]:
        exact, normal, _ = real(chunk)
        return exact, normal, False

    monkeypatch.setattr(scan_module, "block_keys", unbraced)


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.jsonl")))
def test_one_call_decoding_reports_what_line_by_line_decoding_does(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_call = to_jsonable(validate_file(CORPUS / name, workers=1))
    _all_lines_unbraced(monkeypatch)
    assert to_jsonable(validate_file(CORPUS / name, workers=1)) == one_call


def test_two_objects_on_one_line_are_one_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    two = json.dumps(palm(2)) + " " + json.dumps(palm(3))
    path.write_text("\n".join([json.dumps(palm(1)), two, json.dumps(palm(4))]) + "\n")
    report = validate_file(path, workers=1)
    assert [(f.line, f.code) for f in report.errors] == [(2, "json-syntax")]
    assert report.examples == 3
    assert report.stats["well_formed_examples"] == 2


def test_a_whitespace_part_in_a_turn_of_several_parts_is_an_empty_text(tmp_path: Path) -> None:
    record = gemini(1)
    record["contents"][0]["parts"] = [{"text": "question"}, {"text": " \n"}]
    report = validate_file(write_jsonl(tmp_path / "d.jsonl", [record, gemini(2)]), workers=1)
    assert [(f.line, f.code) for f in report.errors] == [(1, "empty-text")]
    assert "$.contents[0].parts[1].text" in report.errors[0].message


def test_pages_released_while_scanning_change_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records: list[object] = [gemini(i) for i in range(300)]
    records[120] = {"contents": []}
    path = write_jsonl(tmp_path / "d.jsonl", records)
    expected = to_jsonable(validate_file(path, workers=1))
    monkeypatch.setattr(source_module, "BLOCK_BYTES", 1000)
    monkeypatch.setattr(source_module, "RELEASE_BYTES", 1)
    assert to_jsonable(validate_file(path, workers=1)) == expected
    assert [(f.line, f.code) for f in validate_file(path, workers=1).errors] == [(121, "missing-field")]


_line_kinds = st.sampled_from(
    [
        json.dumps(palm(1)),
        json.dumps(palm(2)),
        json.dumps({"input_text": "QUESTION 1", "output_text": "answer  1"}),
        json.dumps(palm(1)) + " " + json.dumps(palm(3)),  # braced, two objects
        '{"input_text": "a", "output_text": 3}',
        '{"input_text": "}{", "output_text": "x"}',
        '{"input_text": " ", "output_text": "x"}',
        "{",
        "",
        "[1]",
        '{"input_text": "q\\n", "output_text": "a"}\r',
        "\ufeff" + json.dumps(palm(4)),
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(picked=st.lists(_line_kinds, min_size=1, max_size=25))
def test_one_call_and_line_by_line_decoding_agree_on_any_mix_of_lines(
    simd: bool, picked: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.jsonl"
        path.write_bytes("\n".join(picked).encode() + b"\n")
        one_call = to_jsonable(validate_file(path, workers=1))
        with monkeypatch.context() as patched:
            _all_lines_unbraced(patched)
            assert to_jsonable(validate_file(path, workers=1)) == one_call
