"""Tiny inline datasets for the dataset and plan tests (the samples/ files belong to the walkthrough)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest


def palm(i: int | str, output: str | None = None) -> dict[str, Any]:
    return {"input_text": f"question {i}", "output_text": output if output is not None else f"answer {i}"}


def gemini(i: int | str) -> dict[str, Any]:
    return {
        "contents": [
            {"role": "user", "parts": [{"text": f"question {i}"}]},
            {"role": "model", "parts": [{"text": f"answer {i}"}]},
        ]
    }


def preference(i: int | str, choice: int = 0) -> dict[str, Any]:
    return {
        "input_text": f"prompt {i}",
        "candidate_0": f"good {i}",
        "candidate_1": f"bad {i}",
        "choice": choice,
    }


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user config or refreshed price table leaks in from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith(("TUNECTL_", "GOOGLE_CLOUD_PROJECT")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    return tmp_path
