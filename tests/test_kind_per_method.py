"""plan, preflight and tune launch check a dataset against the one kind its run trains on
(`ops.tuning.spec.dataset_kind`): data of another kind is refused by all three, not priced as if it fit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.cli import run
from ops.errors import ExitStatus
from ops.tuning.spec import dataset_kind

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
REINFORCEMENT = str(SAMPLES / "arithmetic-reinforcement" / "train.jsonl")
PREFERENCE = str(SAMPLES / "sarcasm-preference" / "train.jsonl")
GEMINI = ("--engine", "gemini", "--base-model", "gemini-3.5-flash", "--epochs", "2")


def test_each_engine_and_method_trains_on_one_kind() -> None:
    assert dataset_kind("gemini", "supervised") == "supervised"
    assert dataset_kind("gemini", "preference") == "preference"
    assert dataset_kind("gemini", "reinforcement") == "reinforcement"
    assert dataset_kind("rlhf-pipeline", "supervised") == "preference"


@pytest.mark.parametrize(
    ("train", "method"), [(REINFORCEMENT, "supervised"), (PREFERENCE, "supervised")], ids=["rl", "pref"]
)
def test_plan_refuses_data_of_another_kind(
    train: str, method: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run(["plan", "--train", train, *GEMINI, "--method", method])
    assert status == ExitStatus.CHECK_FAILED
    assert "wrong-kind" in capsys.readouterr().err


def test_preflight_says_no_for_data_of_another_kind(capsys: pytest.CaptureFixture[str]) -> None:
    status = run(["preflight", "--train", REINFORCEMENT, *GEMINI, "--format", "json"])
    assert status == ExitStatus.CHECK_FAILED
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["dataset"]["status"] == "no" and "wrong-kind" in checks["dataset"]["reason"]
