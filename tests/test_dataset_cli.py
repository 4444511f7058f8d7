"""`tunectl dataset validate | stats | convert | split` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.cli import run
from ops.errors import ExitStatus
from tests import dataset_fixtures
from tests.dataset_fixtures import gemini, palm, write_jsonl

clean_env = dataset_fixtures.clean_env


def test_a_valid_file_exits_0_and_says_so(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(clean_env / "d.jsonl", [palm(i) for i in range(20)])
    assert run(["dataset", "validate", str(path)]) == ExitStatus.OK
    out = capsys.readouterr().out
    assert "valid" in out and "supervised (palm)" in out and "offline-estimate" in out


def test_any_error_exits_1_and_json_lists_every_finding(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(clean_env / "d.jsonl", [palm(1)] + [{"input_text": f"q{i}"} for i in range(12)])
    assert run(["dataset", "validate", str(path), "--format", "json"]) == ExitStatus.CHECK_FAILED
    (file,) = json.loads(capsys.readouterr().out)["files"]
    assert file["valid"] is False
    assert [e["line"] for e in file["errors"] if e["code"] == "missing-field"] == list(range(2, 14))


def test_text_output_is_capped_per_code(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(clean_env / "d.jsonl", [palm(1)] + [{"input_text": f"q{i}"} for i in range(12)])
    assert run(["dataset", "validate", str(path), "--max-per-code", "3"]) == ExitStatus.CHECK_FAILED
    out = capsys.readouterr().out
    assert "error[missing-field] x12" in out
    assert out.count("$.output_text is missing") == 3 and "...and 9 more" in out


def test_missing_file_is_exit_2_with_a_diagnostic_and_no_traceback(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["dataset", "validate", str(clean_env / "absent.jsonl")]) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert "error[dataset-not-found]" in err and "Traceback" not in err


def test_validation_option_reports_both_files(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train = write_jsonl(clean_env / "t.jsonl", [palm(i) for i in range(20)])
    valid = write_jsonl(clean_env / "v.jsonl", [palm(3)])
    status = run(["dataset", "validate", str(train), "--validation", str(valid), "-f", "json"])
    files = json.loads(capsys.readouterr().out)["files"]
    assert status == ExitStatus.CHECK_FAILED
    assert [f["errors"][0]["code"] if f["errors"] else None for f in files] == [
        None,
        "train-validation-overlap",
    ]


def test_stats_prints_distributions_and_billable_tokens(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(clean_env / "d.jsonl", [{"input_text": "x" * 8, "output_text": "y" * 4}] * 1)
    assert run(["dataset", "stats", str(path), "-f", "json"]) == ExitStatus.OK
    body = json.loads(capsys.readouterr().out)
    assert body["billable_tokens"] == 3 and body["tokens"]["input"]["p50"] == 2
    assert body["token_counter"]["name"] == "offline-estimate"


def test_convert_and_split_write_their_outputs(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_jsonl(clean_env / "d.jsonl", [palm(i) for i in range(20)])
    out = clean_env / "out" / "d.gemini.jsonl"
    assert run(["dataset", "convert", str(src), "--to", "gemini", "-o", str(out)]) == ExitStatus.OK
    assert json.loads(out.read_text().splitlines()[0]) == gemini(0)
    status = run(
        [
            "dataset",
            "split",
            str(out),
            "--validation-fraction",
            "0.2",
            "--seed",
            "7",
            "--out-dir",
            str(clean_env / "out"),
        ]
    )
    assert status == ExitStatus.OK
    assert len((clean_env / "out" / "d.gemini.validation.jsonl").read_text().splitlines()) == 4
    assert "wrote" in capsys.readouterr().out


def test_vertex_counter_needs_a_base_model(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(clean_env / "d.jsonl", [palm(1)])
    assert run(["dataset", "validate", str(path), "--counter", "vertex"]) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert "error[missing-base-model]" in err
    # The hint's example is a current model from the catalog, never a retired one.
    assert "e.g. --base-model gemini-3.5-flash" in err and "2.5" not in err
    assert run(["plan", "--train", str(path), "--engine", "gemini"]) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert "error[missing-base-model]" in err and "e.g. --base-model gemini-3.5-flash" in err


def test_split_refuses_out_dir_with_an_explicit_output(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(clean_env / "d.jsonl", [palm(i) for i in range(20)])
    args = ["dataset", "split", str(path), "--validation-fraction", "0.2", "--out-dir", str(clean_env / "o")]
    assert run([*args, "--train-out", str(clean_env / "a.jsonl")]) == ExitStatus.USAGE
    assert "error[split-outputs-conflict]" in capsys.readouterr().err
    assert not (clean_env / "a.jsonl").exists() and not (clean_env / "o").exists()


@pytest.mark.parametrize(
    ("sample", "kind"),
    [
        ("sarcasm-preference/prompts.jsonl", "prompt"),
        ("arithmetic-reinforcement/train.jsonl", "reinforcement"),
    ],
)
def test_prompt_only_files_show_no_output_tokens(
    clean_env: Path, capsys: pytest.CaptureFixture[str], sample: str, kind: str
) -> None:
    """Their answers are generated during tuning: a row of output zeros would read as a broken file."""
    path = Path(__file__).resolve().parent.parent / "samples" / sample
    assert run(["dataset", "validate", str(path), "--kind", kind]) == ExitStatus.OK
    tokens = next(line for line in capsys.readouterr().out.splitlines() if "tokens (" in line)
    assert "output p5" not in tokens and "the file holds no output tokens" in tokens
