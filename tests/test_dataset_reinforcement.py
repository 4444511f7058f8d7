"""Reinforcement tuning data: prompts with `references`, checked against Google's reinforcement tuning
dataset page, and against the keys a reward config reads."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from ops.cli import run
from ops.datasets import validate_file, validate_files
from ops.datasets.limits import model_limits
from ops.datasets.reinforcement import RequiredReferences
from ops.errors import ExitStatus
from tests.dataset_fixtures import gemini, write_jsonl

CORPUS = Path(__file__).parent / "data" / "google"


def prompt(i: int | str, references: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A reinforcement example shaped like the math-tutor line of Google's tuning dataset page."""
    return {
        "systemInstruction": {"role": "system", "parts": [{"text": "Answer with a number."}]},
        "contents": [{"role": "user", "parts": [{"text": f"What is {i} + {i}?"}]}],
        "references": {"answer": str(2 * int(i))} if references is None else references,
        **extra,
    }


def codes(report: Any) -> list[tuple[int | None, str]]:
    return [(f.line, f.code) for f in [*report.errors, *report.warnings]]


def test_a_line_with_references_is_reinforcement_and_an_input_text_file_stays_an_rlhf_prompt_set(
    tmp_path: Path,
) -> None:
    rft = validate_file(write_jsonl(tmp_path / "rft.jsonl", [prompt(1), prompt(2)]), workers=1)
    assert (rft.kind, rft.style, rft.valid) == ("reinforcement", "gemini", True)
    assert rft.stats["format"] == "gemini-reinforcement"
    rlhf = validate_file(CORPUS / "rlhf-prompt.jsonl", workers=1)
    assert (rlhf.kind, rlhf.style) == ("prompt", "palm")


def test_reinforcement_limits_are_the_reinforcement_pages_own() -> None:
    limits = model_limits("gemini-3.5-flash", method="reinforcement")
    assert (limits.entry, limits.max_training_examples, limits.max_validation_examples) == (
        "reinforcement",
        5_000,
        500,
    )
    assert (limits.max_tokens_per_example, limits.max_file_bytes) == (32_768, 1 << 30)
    assert "reinforcement-tuning-job/tuning-dataset" in limits.source and limits.checked == "2026-12-02"


def test_a_prompt_over_32768_tokens_is_too_long(tmp_path: Path) -> None:
    long = prompt(1)
    long["contents"][0]["parts"][0]["text"] = "x" * (4 * 32_768 + 1)
    report = validate_file(write_jsonl(tmp_path / "long.jsonl", [long, prompt(2)]), workers=1)
    assert codes(report) == [(1, "too-many-tokens")]
    assert report.stats["limits"]["method"] == "reinforcement"


def test_training_and_validation_example_caps(tmp_path: Path) -> None:
    limits = dataclasses.replace(
        model_limits(None, method="reinforcement"), max_training_examples=2, max_validation_examples=1
    )
    train = write_jsonl(tmp_path / "train.jsonl", [prompt(i) for i in range(3)])
    valid = write_jsonl(tmp_path / "valid.jsonl", [prompt(i) for i in range(10, 12)])
    training, validation = validate_files([train], validation=valid, limits=limits, workers=1)
    assert codes(training) == [(None, "too-many-examples")]
    assert codes(validation) == [(None, "validation-too-large")]


def test_every_example_must_hold_every_key_the_reward_reads(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "train.jsonl",
        [
            prompt(1, {"answer": "2", "unit": "none"}),
            prompt(2, {"answer": "4"}),
            prompt(3, {"Answer": "6", "unit": "none"}),  # keys are compared exactly
        ],
    )
    needed = RequiredReferences(frozenset({"answer", "unit"}), "reward.yaml")
    report = validate_file(path, references=needed, workers=1)
    assert codes(report) == [(2, "missing-reference"), (3, "missing-reference")]
    assert "'unit'" in report.errors[0].message and "reward.yaml" in report.errors[0].message
    assert "'answer'" in report.errors[1].message and "'Answer'" in report.errors[1].message
    stats = report.stats["references"]
    assert stats["keys"] == {"Answer": 1, "answer": 2, "unit": 2}
    assert (stats["required_by_reward_config"], stats["examples_missing_required"]) == (["answer", "unit"], 2)


def test_reference_map_keys_are_never_renamed_between_spellings(tmp_path: Path) -> None:
    snake = prompt(1, {"groundTruth": "2", "unit_name": "none"})
    snake["system_instruction"] = snake.pop("systemInstruction")
    needed = RequiredReferences(frozenset({"groundTruth", "unit_name"}), "reward.json")
    report = validate_file(write_jsonl(tmp_path / "snake.jsonl", [snake]), references=needed, workers=1)
    assert report.valid and report.stats["field_spelling"] == "snake_case"
    assert report.stats["references"]["keys"] == {"groundTruth": 1, "unit_name": 1}


def test_a_reward_config_reads_a_supervised_file_as_reinforcement_and_says_what_is_wrong(
    tmp_path: Path,
) -> None:
    path = write_jsonl(tmp_path / "sft.jsonl", [gemini(1), gemini(2)])
    report = validate_file(path, references=RequiredReferences(frozenset({"answer"}), "r.yaml"), workers=1)
    assert report.kind == "reinforcement"
    assert codes(report) == [
        (1, "last-turn-not-user"),
        (1, "missing-field"),
        (2, "last-turn-not-user"),
        (2, "missing-field"),
    ]


def test_kind_reinforcement_tells_each_prompt_it_lacks_references(tmp_path: Path) -> None:
    bare = [{"contents": prompt(i)["contents"]} for i in (1, 2)]
    report = validate_file(write_jsonl(tmp_path / "bare.jsonl", bare), kind="reinforcement", workers=1)
    assert report.kind == "reinforcement"
    assert codes(report) == [(1, "missing-field"), (2, "missing-field")]
    assert "$.references is missing" in report.errors[0].message


@pytest.mark.parametrize(
    ("base_model", "expected"),
    [("gemini-3.5-flash", []), ("gemini-2.5-flash", [(None, "media-not-supported")])],
)
def test_video_prompts_are_for_the_models_the_page_names(
    tmp_path: Path, base_model: str, expected: list[tuple[int | None, str]]
) -> None:
    video = {"fileData": {"mimeType": "video/mp4", "fileUri": "gs://b/clip.mp4"}}
    example = prompt(1)
    example["contents"][0]["parts"].append(video)
    report = validate_file(write_jsonl(tmp_path / "v.jsonl", [example]), base_model=base_model, workers=1)
    assert codes(report) == expected
    if expected:
        assert "gemini-3.5-flash" in report.errors[0].message


def test_stats_reports_reference_keys_and_prompt_tokens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [prompt(1), prompt(2, {"answer": "4", "steps": "1"})])
    assert run(["dataset", "stats", str(path), "--format", "json"]) == ExitStatus.OK
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "reinforcement" and data["references"]["keys"] == {"answer": 2, "steps": 1}
    assert data["tokens"]["output"]["max"] == 0 and data["tokens"]["input"]["max"] > 0
    assert run(["dataset", "stats", str(path)]) == ExitStatus.OK
    assert "references: answer (2), steps (1) in 2 examples" in capsys.readouterr().out


def test_convert_to_palm_is_refused_once_and_split_copies_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [prompt(i) for i in range(10)])
    out = tmp_path / "o.jsonl"
    assert run(["dataset", "convert", str(path), "--to", "palm", "-o", str(out)]) == ExitStatus.USAGE
    assert "error[convert-unsupported]" in capsys.readouterr().err and not out.exists()
    assert run(["dataset", "convert", str(path), "--to", "gemini", "-o", str(out)]) == ExitStatus.OK
    assert [json.loads(x) for x in out.read_text().splitlines()] == [prompt(i) for i in range(10)]
    argv = ["dataset", "split", str(path), "--validation-fraction", "0.2", "--out-dir", str(tmp_path)]
    assert run(argv) == ExitStatus.OK
    halves = [(tmp_path / f"t.{side}.jsonl").read_text().splitlines() for side in ("train", "validation")]
    assert (len(halves[0]), len(halves[1])) == (8, 2)
    assert sorted(halves[0] + halves[1]) == sorted(path.read_text().splitlines())


SAMPLE = Path(__file__).parent.parent / "samples" / "arithmetic-reinforcement"


@pytest.mark.parametrize("reward", ["reward-exact.yaml", "reward-composite.yaml"])
def test_the_sample_holds_every_key_its_reward_configs_read(
    reward: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "dataset",
        "validate",
        str(SAMPLE / "train.jsonl"),
        "--validation",
        str(SAMPLE / "validation.jsonl"),
    ]
    assert run([*argv, "--reward-config", str(SAMPLE / reward), "-f", "json"]) == ExitStatus.OK
    for report in json.loads(capsys.readouterr().out)["files"]:
        assert report["kind"] == "reinforcement" and report["errors"] == []
        assert report["stats"]["references"]["required_by_reward_config"] == ["answer"]


def test_reward_config_reading_an_absent_key_fails_each_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reward = tmp_path / "reward.yaml"
    reward.write_text(
        "singleRewardConfig:\n  stringMatchRewardScorer:\n    correctAnswerReward: 1.0\n"
        "    wrongAnswerReward: 0.0\n    stringMatchExpression:\n      matchOperation: EXACT_MATCH\n"
        '      expression: "{{references.final_answer}}"\n'
    )
    data = write_jsonl(tmp_path / "t.jsonl", [prompt(1), prompt(2, {"final_answer": "4"})])
    argv = ["dataset", "validate", str(data), "--reward-config", str(reward), "-f", "json"]
    assert run(argv) == ExitStatus.CHECK_FAILED
    (report,) = json.loads(capsys.readouterr().out)["files"]
    assert [(e["line"], e["code"]) for e in report["errors"]] == [(1, "missing-reference")]
    assert "'final_answer'" in report["errors"][0]["message"]


def test_a_missing_reward_config_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_jsonl(tmp_path / "t.jsonl", [prompt(1)])
    argv = ["dataset", "validate", str(data), "--reward-config", str(tmp_path / "nope.yaml")]
    assert run(argv) == ExitStatus.USAGE
    assert "error[reward-config-missing]" in capsys.readouterr().err


def test_check_uris_holds_reinforcement_media_to_the_reinforcement_pages_limits(
    cloud, cloud_env, storage_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The page states no image file limit for reinforcement prompts (supervised: 20 MB): an image
    over 20 MB is not refused, a missing one still is."""
    storage_server.create_bucket("media")
    storage_server.put_object(
        "media", "big.png", b"\x89PNG" + b"0" * (20 * 1024 * 1024), content_type="image/png"
    )
    lines = []
    for name in ("big.png", "absent.png"):
        example = prompt(1)
        example["contents"][0]["parts"].append(
            {"fileData": {"mimeType": "image/png", "fileUri": f"gs://media/{name}"}}
        )
        lines.append(example)
    path = write_jsonl(tmp_path / "m.jsonl", lines)
    assert run(["dataset", "validate", str(path), "--check-uris", "-f", "json"]) == ExitStatus.CHECK_FAILED
    (report,) = json.loads(capsys.readouterr().out)["files"]
    assert [(e["line"], e["code"]) for e in report["errors"]] == [(2, "media-not-found")]


def test_a_first_prompt_without_references_does_not_make_the_file_supervised(tmp_path: Path) -> None:
    bare = {"contents": prompt(1)["contents"]}
    report = validate_file(write_jsonl(tmp_path / "t.jsonl", [bare, prompt(2), prompt(3)]), workers=1)
    assert report.kind == "reinforcement"
    assert codes(report) == [(1, "missing-field")]


def test_kind_supervised_refuses_reinforcement_data(tmp_path: Path) -> None:
    report = validate_file(write_jsonl(tmp_path / "t.jsonl", [prompt(1)]), kind="supervised", workers=1)
    assert (1, "wrong-kind") in codes(report)


def test_a_reward_config_with_another_kind_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["dataset", "validate", str(SAMPLE / "train.jsonl"), "--kind", "supervised"]
    assert run([*argv, "--reward-config", str(SAMPLE / "reward-exact.yaml")]) == ExitStatus.USAGE
    assert "error[reward-config-wrong-kind]" in capsys.readouterr().err
