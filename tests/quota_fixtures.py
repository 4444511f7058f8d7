"""Helpers for the quota and preflight tests: run the real CLI against the test servers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ops.cli import run


def isolate_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user config file and no stray settings from the machine running the tests."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    monkeypatch.delenv("TUNECTL_CONFIG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = run(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    status, out, err = run_cli(capsys, *args, "--format", "json")
    return status, json.loads(out) if out.strip() else None, err


def write_policy_config(path: Path, **rules: Any) -> Path:
    """A policy pack config file (`pulumi preview --policy-pack-config`), rule id -> properties."""
    path.write_text(json.dumps(rules), encoding="utf-8")
    return path
