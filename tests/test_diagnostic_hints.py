"""Every usage error says where and how to fix it: the diagnostics a new-user tryout found bare."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.quota_fixtures import isolate_config, run_cli
from tests.tune_fixtures import SAMPLES, TuneCli, pipeline_cache_fixture, tune_fixture  # noqa: F401 - fixtures

ARITHMETIC = SAMPLES / "arithmetic-reinforcement"
RL = (
    "tune", "launch", "--dry-run", "--engine", "gemini", "--method", "reinforcement", "--base-model",
    "gemini-3.5-flash", "--reward-config", str(ARITHMETIC / "reward-exact.yaml"),
    "--train", str(ARITHMETIC / "train.jsonl"),
)  # fmt: skip


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate_config(monkeypatch, tmp_path)
    return tmp_path


def test_thinking_both_says_which_one_the_model_takes(tune: TuneCli) -> None:
    status, _out, err = tune(*RL, "--thinking-level", "minimal", "--thinking-budget", "10")
    assert status == 2 and "error[thinking-both]" in err
    assert "hint: gemini-3.5-flash takes --thinking-level: drop the other" in " ".join(err.split())


def test_accelerator_missing_says_which_accelerator_tunes_which_model(tune: TuneCli) -> None:
    status, _out, err = tune(
        "tune", "launch", "--dry-run", "--engine", "rlhf-pipeline", "--base-model", "t5-small",
        "--train", str(SAMPLES / "sarcasm-preference" / "train.jsonl"),
    )  # fmt: skip
    said = " ".join(err.split())
    assert status == 2 and "error[accelerator-missing]" in said
    assert (
        "hint: --accelerator tpu (europe-west4): t5-small" in said
        and "--accelerator gpu (us-central1)" in said
    )


def test_csv_of_a_report_that_is_not_a_table_points_at_the_format(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train = str(SAMPLES / "sarcasm-generation" / "train.jsonl")
    status, _out, err = run_cli(
        capsys,
        "plan",
        "--engine",
        "gemini",
        "--base-model",
        "gemini-3.5-flash",
        "--train",
        train,
        "--format",
        "csv",
    )
    assert status == 2 and "error[format-not-tabular]" in err and "--> --format csv" in err


def test_a_reward_config_with_another_kind_points_at_kind(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _out, err = run_cli(
        capsys, "dataset", "validate", str(ARITHMETIC / "train.jsonl"), "--kind", "supervised",
        "--reward-config", str(ARITHMETIC / "reward-exact.yaml"),
    )  # fmt: skip
    assert status == 2 and "error[reward-config-wrong-kind]" in err and "--> --kind" in err


def test_an_empty_reward_config_is_called_empty(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = isolated / "reward.yaml"
    empty.write_text("")
    status, _out, err = run_cli(
        capsys, "reward", "test", "--reward-config", str(empty), "--dataset", str(ARITHMETIC / "train.jsonl"),
        "--responses", str(ARITHMETIC / "responses.jsonl"),
    )  # fmt: skip
    assert status == 2 and "error[reward-config-invalid]" in err
    assert "found: an empty file" in err and "NoneType" not in err


def test_reward_test_counts_one_response_in_the_singular(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = isolated / "one.jsonl"
    dataset.write_text((ARITHMETIC / "train.jsonl").read_text().splitlines()[0] + "\n")
    responses = isolated / "responses.jsonl"
    responses.write_text((ARITHMETIC / "responses.jsonl").read_text().splitlines()[0] + "\n")
    _status, out, err = run_cli(
        capsys, "reward", "test", "--reward-config", str(ARITHMETIC / "reward-exact.yaml"),
        "--dataset", str(dataset), "--responses", str(responses),
    )  # fmt: skip
    assert "1 response to 1 example of" in out, out + err


@pytest.mark.parametrize(
    "command",
    [
        ("plan", "--engine", "gemini", "--method", "reinforcement", "--base-model", "gemini-3.5-flash"),
        ("preflight", "--engine", "gemini", "--method", "reinforcement", "--base-model", "gemini-3.5-flash"),
        ("dataset", "validate"),
        ("reward", "test", "--responses", str(ARITHMETIC / "responses.jsonl")),
    ],
)
def test_a_repeated_reward_config_is_refused_not_silently_the_last(
    isolated: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    data = ("--dataset",) if command[0] == "reward" else ("--train",) if command[0] != "dataset" else ()
    status, _out, err = run_cli(
        capsys, *command, *data, str(ARITHMETIC / "train.jsonl"),
        "--reward-config", str(ARITHMETIC / "reward-exact.yaml"),
        "--reward-config", str(ARITHMETIC / "reward-composite.yaml"),
    )  # fmt: skip
    assert status == 2 and "error[option-repeated]" in err and "--> --reward-config" in err, err


def test_launch_refuses_a_repeated_reward_config(tune: TuneCli) -> None:
    status, _out, err = tune(*RL, "--reward-config", str(ARITHMETIC / "reward-composite.yaml"))
    assert status == 2 and "error[option-repeated]" in err
