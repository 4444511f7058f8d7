"""Google's documented dataset shapes (tests/data/google): every verdict, from the CLI, text and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.cli import run
from ops.errors import ExitStatus

CORPUS = Path(__file__).parent / "data" / "google"
EXPECTED: dict[str, dict] = json.loads((CORPUS / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_json_verdict_matches_googles_rules(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    spec = EXPECTED[name]
    status = run(["dataset", "validate", str(CORPUS / name), "--format", "json"])
    (report,) = json.loads(capsys.readouterr().out)["files"]
    assert (report["kind"], report["style"]) == (spec["kind"], spec["style"])
    assert sorted({e["code"] for e in report["errors"]}) == spec["errors"], report["errors"]
    warnings = {w["code"] for w in report["warnings"]} - {"too-few-examples"}
    assert sorted(warnings) == spec["warnings"], report["warnings"]
    assert report["stats"]["field_spelling"] == spec["field_spelling"]
    assert status == (ExitStatus.CHECK_FAILED if spec["errors"] else ExitStatus.OK)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_text_verdict_names_every_code(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    spec = EXPECTED[name]
    status = run(["dataset", "validate", str(CORPUS / name)])
    out = capsys.readouterr().out
    assert ("INVALID" in out) is bool(spec["errors"]) and status == (1 if spec["errors"] else 0)
    for code in spec["errors"]:
        assert f"error[{code}]" in out
    for code in spec["warnings"]:
        assert f"warning[{code}]" in out


def test_readme_table_lists_every_file_with_its_verdict() -> None:
    readme = (CORPUS / "README.md").read_text()
    files = sorted(p.name for p in CORPUS.glob("*.jsonl"))
    assert files == sorted(EXPECTED)
    for name, spec in EXPECTED.items():
        (row,) = [line for line in readme.splitlines() if line.startswith(f"| `{name}` |")]
        assert ("| valid" in row) is (not spec["errors"]), row
        assert all(code in row for code in spec["errors"]), row
        assert "2026-12-02" in row and "http" in row


def test_snake_and_camel_spellings_of_one_example_read_the_same() -> None:
    from ops.datasets.formats import Kind
    from ops.datasets.gemini import read_example

    camel = json.loads((CORPUS / "function-response-chat.jsonl").read_text())
    snake = json.loads(
        json.dumps(camel)
        .replace('"functionCall"', '"function_call"')
        .replace('"functionResponse"', '"function_response"')
        .replace('"functionDeclarations"', '"function_declarations"')
    )
    a, b = read_example(camel, Kind.supervised), read_example(snake, Kind.supervised)
    assert a.problems == b.problems == [] and a.view == b.view


def test_struct_keys_are_never_renamed() -> None:
    """`args` and `response` are Structs: their keys are the user's, in any spelling."""
    from ops.datasets.formats import Kind
    from ops.datasets.gemini import read_example

    line = json.loads((CORPUS / "function-call.jsonl").read_text())
    line["contents"][1]["parts"][0]["functionCall"]["args"] = {"productName": "x", "product_name": "y"}
    assert read_example(line, Kind.supervised).problems == []


def test_preference_limit_is_input_plus_the_longest_completion(tmp_path: Path) -> None:
    import dataclasses

    from ops.datasets import validate_file
    from ops.datasets.limits import model_limits

    def example(a: str, b: str) -> dict:
        turn = lambda text: {"role": "model", "parts": [{"text": text}]}  # noqa: E731
        return {
            "contents": [{"role": "user", "parts": [{"text": "q" * 40}]}],
            "completions": [{"score": 1, "completion": turn(a)}, {"score": 0, "completion": turn(b)}],
        }

    path = tmp_path / "p.jsonl"
    # 10 input tokens + 60 + 60: the sum (130) is over 100, input + longest (70) is not.
    path.write_text(
        json.dumps(example("a" * 240, "b" * 240)) + "\n" + json.dumps(example("c" * 400, "d")) + "\n"
    )
    limits = dataclasses.replace(model_limits(None, method="preference"), max_tokens_per_example=100)
    report = validate_file(path, limits=limits, workers=1)
    assert [(e.line, e.code) for e in report.errors] == [(2, "too-many-tokens")]
    assert "longest completion" in report.errors[0].message


def test_preference_validation_share_applies_above_the_threshold(tmp_path: Path) -> None:
    import dataclasses

    from ops.datasets import validate_file
    from ops.datasets.limits import model_limits

    def example(i: int) -> str:
        turn = lambda text: {"role": "model", "parts": [{"text": text}]}  # noqa: E731
        return json.dumps(
            {
                "contents": [{"role": "user", "parts": [{"text": f"question {i}"}]}],
                "completions": [
                    {"score": 1, "completion": turn("yes")},
                    {"score": 0, "completion": turn("no")},
                ],
            }
        )

    train, valid = tmp_path / "t.jsonl", tmp_path / "v.jsonl"
    train.write_text("".join(example(i) + "\n" for i in range(10)))
    valid.write_text("".join(example(100 + i) + "\n" for i in range(4)))
    limits = model_limits(None, method="preference")
    assert (limits.max_validation_share, limits.validation_share_above) == (0.3, 1000)
    scaled = dataclasses.replace(limits, validation_share_above=3, min_training_examples=None)
    report = validate_file(valid, validation_of=train, limits=scaled, workers=1)
    assert [e.code for e in report.errors] == ["validation-too-large"]  # 4 > 3 and 4 > 30% of 10
    valid.write_text("".join(example(100 + i) + "\n" for i in range(3)))
    assert validate_file(valid, validation_of=train, limits=scaled, workers=1).valid


def test_multimodal_cap_counts_multimodal_examples_only(tmp_path: Path) -> None:
    import dataclasses

    from ops.datasets import validate_file
    from ops.datasets.limits import model_limits

    assert model_limits("gemini-2.5-flash").max_multimodal_training_examples == 300_000
    lines = (CORPUS / "image.jsonl").read_text() * 3 + (CORPUS / "text.jsonl").read_text()
    path = tmp_path / "m.jsonl"
    path.write_text(lines)
    limits = dataclasses.replace(model_limits("gemini-2.5-flash"), max_multimodal_training_examples=2)
    report = validate_file(path, limits=limits, workers=1)
    assert "too-many-multimodal-examples" in {e.code for e in report.errors}
    assert report.stats["media"]["multimodal_examples"] == 3


def test_unknown_model_gets_the_defaults_and_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    status = run(
        ["dataset", "validate", str(CORPUS / "text.jsonl"), "--base-model", "gemini-9-ultra", "-f", "json"]
    )
    (report,) = json.loads(capsys.readouterr().out)["files"]
    assert status == ExitStatus.OK
    assert "unknown-model" in {w["code"] for w in report["warnings"]}
    assert report["stats"]["limits"]["known_model"] is False


def test_media_tokens_use_documented_rates_and_unknown_lengths_say_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run(["dataset", "validate", str(CORPUS / "video-offsets.jsonl"), "-f", "json"])
    (video,) = json.loads(capsys.readouterr().out)["files"]
    assert video["stats"]["tokens"]["media_estimated"] == -(-60.5 * 263 // 1)  # 60.5 s at 263/s
    assert video["stats"]["tokens"]["complete"] is True
    run(["dataset", "validate", str(CORPUS / "pdf.jsonl")])
    out = capsys.readouterr().out
    assert "unknown length" in out and "billable is a floor" in out


SHAPES_WITH_MEDIA_OR_CALLS = [
    "image.jsonl",
    "multiple-images.jsonl",
    "pdf.jsonl",
    "audio.jsonl",
    "video-offsets.jsonl",
    "function-call.jsonl",
    "function-response-chat.jsonl",
    "tools-parallel-calls.jsonl",
    "system-instruction-snake.jsonl",
]


def test_split_keeps_non_text_parts_byte_for_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [(CORPUS / name).read_text() for name in SHAPES_WITH_MEDIA_OR_CALLS]
    source = tmp_path / "mixed.jsonl"
    source.write_text("".join(lines))
    train, valid = tmp_path / "t.jsonl", tmp_path / "v.jsonl"
    status = run(
        [
            "dataset",
            "split",
            str(source),
            "--validation-fraction",
            "0.3",
            "--train-out",
            str(train),
            "--validation-out",
            str(valid),
        ]
    )
    assert status == ExitStatus.OK, capsys.readouterr()
    out_lines = train.read_text().splitlines(keepends=True) + valid.read_text().splitlines(keepends=True)
    assert sorted(out_lines) == sorted(lines)


def test_convert_to_gemini_keeps_non_text_parts_and_palm_refuses_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "mixed.jsonl"
    source.write_text("".join((CORPUS / n).read_text() for n in SHAPES_WITH_MEDIA_OR_CALLS))
    same = tmp_path / "same.jsonl"
    assert run(["dataset", "convert", str(source), "--to", "gemini", "-o", str(same)]) == ExitStatus.OK
    assert [json.loads(x) for x in same.read_text().splitlines()] == [
        json.loads(x) for x in source.read_text().splitlines()
    ]
    capsys.readouterr()
    palm = tmp_path / "palm.jsonl"
    assert (
        run(["dataset", "convert", str(source), "--to", "palm", "-o", str(palm)]) == ExitStatus.CHECK_FAILED
    )
    err = capsys.readouterr().err
    assert "media or function parts" in err and not palm.exists()


def test_plan_counts_media_and_says_unknown_when_it_cannot(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["plan", "--engine", "gemini", "--base-model", "gemini-3.5-flash", "--format", "json", "--train"]
    run([*base, str(CORPUS / "image.jsonl")])
    image = json.loads(capsys.readouterr().out)
    assert image["billable_tokens"] >= 258
    assert any(a["name"] == "media tokens" and "258" in a["value"] for a in image["assumptions"])
    run([*base, str(CORPUS / "pdf.jsonl")])
    pdf = json.loads(capsys.readouterr().out)
    assert pdf["estimated_cost"] is None
    assert any(a["name"] == "media tokens" and a["value"].startswith("unknown") for a in pdf["assumptions"])


def test_auto_tells_a_prompt_dataset_from_a_supervised_file_missing_an_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"input_text": "q1"}\n{"input_text": "q2", "output_text": "a2"}\n')
    assert run(["dataset", "validate", str(broken), "-f", "json"]) == ExitStatus.CHECK_FAILED
    (report,) = json.loads(capsys.readouterr().out)["files"]
    assert report["kind"] == "supervised"
    assert [(e["line"], e["code"]) for e in report["errors"]] == [(1, "missing-field")]
    assert run(["dataset", "validate", str(CORPUS / "rlhf-prompt.jsonl"), "-f", "json"]) == ExitStatus.OK
    (prompts,) = json.loads(capsys.readouterr().out)["files"]
    assert prompts["kind"] == "prompt" and prompts["errors"] == []
