"""`validate_file` / `validate_files`: formats, cross-example checks, stats, and the parallel scan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ops.datasets.validate as validate_module
from ops.datasets import EstimateTokenCounter, validate_file, validate_files
from ops.output import to_jsonable
from tests.dataset_fixtures import gemini, palm, preference, write_jsonl


@pytest.mark.parametrize(
    ("record", "kind", "style"),
    [
        (palm(1), "supervised", "palm"),
        (gemini(1), "supervised", "gemini"),
        (preference(1), "preference", "palm"),
        (
            {
                "contents": [{"role": "user", "parts": [{"text": "q"}]}],
                "completions": [
                    {"score": 1, "completion": {"role": "model", "parts": [{"text": "a"}]}},
                    {"score": 0, "completion": {"role": "model", "parts": [{"text": "b"}]}},
                ],
            },
            "preference",
            "gemini",
        ),
    ],
)
def test_auto_detects_each_format(tmp_path: Path, record: dict, kind: str, style: str) -> None:
    report = validate_file(write_jsonl(tmp_path / "d.jsonl", [record]), workers=1)
    assert (report.kind, report.style, report.valid) == (kind, style, True)


def test_json_report_has_exactly_the_issue_shape(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [palm(1), {"input_text": "x"}])
    body = json.loads(json.dumps(to_jsonable({"files": [validate_file(path, workers=1)]})))
    (file,) = body["files"]
    assert set(file) == {"path", "kind", "style", "examples", "valid", "errors", "warnings", "stats"}
    assert file["errors"] == [
        {"line": 2, "column": None, "code": "missing-field", "message": "$.output_text is missing"}
    ]


def test_every_report_names_its_token_counter_and_method(tmp_path: Path) -> None:
    report = validate_file(write_jsonl(tmp_path / "d.jsonl", [palm(1)]), workers=1)
    counter = report.stats["token_counter"]
    assert counter["name"] == "offline-estimate" and counter["exact"] is False and "4" in counter["method"]


def test_offline_estimate_is_ceil_chars_over_four_for_input_and_output(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"input_text": "x" * 9, "output_text": "y" * 4}])
    tokens = validate_file(path, workers=1).stats["tokens"]
    assert (tokens["input"]["max"], tokens["output"]["max"], tokens["billable"]) == (3, 1, 4)
    assert EstimateTokenCounter().count(["", "abcd", "abcde"]) == [0, 1, 2]


def test_token_distribution_gives_p5_p50_p95_max(tmp_path: Path) -> None:
    records = [{"input_text": "x" * 4 * n, "output_text": "y"} for n in range(1, 101)]
    tokens = validate_file(write_jsonl(tmp_path / "d.jsonl", records), workers=1).stats["tokens"]["input"]
    assert (tokens["p5"], tokens["p50"], tokens["p95"], tokens["max"]) == (5, 50, 95, 100)


def test_validation_set_is_checked_for_leakage_against_training(tmp_path: Path) -> None:
    train = write_jsonl(tmp_path / "train.jsonl", [palm(1), palm(2), palm(3)])
    valid = write_jsonl(
        tmp_path / "valid.jsonl", [palm(4), {"input_text": "Question 2", "output_text": "answer 2"}]
    )
    reports = validate_files([train], validation=valid, workers=1)
    assert [r.stats["role"] for r in reports] == ["training", "validation"]
    (overlap,) = reports[1].errors
    assert (overlap.code, overlap.line) == ("train-validation-overlap", 2)
    assert "train.jsonl line 2" in overlap.message


def test_validation_set_inherits_the_training_classes(tmp_path: Path) -> None:
    labels = ["positive", "negative"]
    train = write_jsonl(tmp_path / "train.jsonl", [palm(i, labels[i % 2]) for i in range(30)])
    valid = write_jsonl(tmp_path / "valid.jsonl", [palm(100, "positive"), palm(101, "maybe")])
    report = validate_file(valid, validation_of=train, workers=1)
    assert [(f.code, f.line) for f in report.errors] == [("output-not-in-classes", 2)]
    assert report.stats["classification"]["source"] == "training-set"


def test_generation_sets_are_not_mistaken_for_classification(tmp_path: Path) -> None:
    report = validate_file(write_jsonl(tmp_path / "d.jsonl", [palm(i) for i in range(50)]), workers=1)
    assert report.stats["classification"] is None


def test_kind_option_rejects_a_file_of_the_other_kind(tmp_path: Path) -> None:
    report = validate_file(write_jsonl(tmp_path / "d.jsonl", [palm(1)]), kind="preference", workers=1)
    assert [f.code for f in report.errors] == ["wrong-kind"]


def test_parallel_scan_matches_the_single_process_scan_line_for_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records: list[object] = [gemini(i) for i in range(400)]
    records[7] = {"contents": [{"role": "user", "parts": [{"text": "q"}]}]}
    records[250] = gemini(3)  # duplicate of line 4, found across the range boundary
    records[399] = [1]
    path = write_jsonl(tmp_path / "d.jsonl", records)
    monkeypatch.setattr(validate_module, "PARALLEL_MIN_BYTES", 0)
    single = validate_file(path, workers=1)
    parallel = validate_file(path, workers=2)
    assert to_jsonable(parallel) == to_jsonable(single)
    assert [(f.code, f.line) for f in single.errors] == [("last-turn-not-model", 8), ("not-an-object", 400)]
    assert [(f.code, f.line) for f in single.warnings] == [("duplicate-example", 251)]


def test_lines_longer_than_a_read_block_keep_their_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ops.datasets.source as source_module

    records: list[object] = [palm(i, "x" * (50 * i)) for i in range(1, 30)]
    records[20] = {"input_text": "no output"}
    path = write_jsonl(tmp_path / "d.jsonl", records)
    expected = to_jsonable(validate_file(path, workers=1))
    monkeypatch.setattr(source_module, "BLOCK_BYTES", 7)
    assert to_jsonable(validate_file(path, workers=1)) == expected
    assert [(f.code, f.line) for f in validate_file(path, workers=1).errors] == [("missing-field", 21)]


def test_missing_file_is_a_usage_diagnostic(tmp_path: Path) -> None:
    from ops.errors import ExitStatus, TunectlError

    with pytest.raises(TunectlError) as raised:
        validate_file(tmp_path / "absent.jsonl")
    assert (raised.value.code, raised.value.status) == ("dataset-not-found", ExitStatus.USAGE)
