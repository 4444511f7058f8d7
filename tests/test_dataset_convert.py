"""`convert_file` / `convert_record`: article (PaLM) <-> Gemini formats, streamed and written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.datasets import validate_file
from ops.datasets.convert import NotConvertible, convert_file, convert_record
from ops.errors import TunectlError
from tests.dataset_fixtures import gemini, palm, preference, write_jsonl


def test_palm_supervised_becomes_one_user_and_one_model_turn() -> None:
    assert convert_record(palm(1), to="gemini") == gemini(1)


def test_palm_preference_becomes_contents_and_scored_completions() -> None:
    converted = convert_record(preference(1, choice=1), to="gemini")
    assert converted["contents"] == [{"role": "user", "parts": [{"text": "prompt 1"}]}]
    assert [(c["score"], c["completion"]["parts"][0]["text"]) for c in converted["completions"]] == [
        (0, "good 1"),
        (1, "bad 1"),
    ]


@pytest.mark.parametrize("record", [palm(1), preference(2, choice=0), preference(3, choice=1)])
def test_palm_to_gemini_and_back_is_lossless(record: dict) -> None:
    assert convert_record(convert_record(record, to="gemini"), to="palm") == record


def test_multi_turn_gemini_has_no_palm_equivalent() -> None:
    record = gemini(1)
    record["contents"] += gemini(2)["contents"]
    with pytest.raises(NotConvertible, match="single user"):
        convert_record(record, to="palm")


def test_convert_file_writes_a_valid_file_in_the_target_style(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [palm(i) for i in range(3)])
    result = convert_file(src, tmp_path / "out" / "gemini.jsonl", to="gemini")
    assert (result.examples, result.from_format, result.to_format) == (
        3,
        "palm-supervised",
        "gemini-supervised",
    )
    report = validate_file(tmp_path / "out" / "gemini.jsonl", workers=1)
    assert (report.style, report.examples, report.errors) == ("gemini", 3, [])


def test_a_line_that_cannot_convert_leaves_no_output_and_names_the_line(tmp_path: Path) -> None:
    multi = gemini(9)
    multi["contents"] += gemini(10)["contents"]
    src = write_jsonl(tmp_path / "in.jsonl", [gemini(1), multi])
    out = tmp_path / "out.jsonl"
    with pytest.raises(TunectlError) as raised:
        convert_file(src, out, to="palm")
    assert raised.value.code == "convert-failed" and "line 2" in raised.value.message
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


def test_an_existing_output_survives_a_failed_conversion(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [palm(1), {"input_text": "no output"}])
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    with pytest.raises(TunectlError):
        convert_file(src, out, to="gemini")
    assert out.read_text() == "previous\n"
    assert json.loads(src.read_text().splitlines()[0]) == palm(1)
