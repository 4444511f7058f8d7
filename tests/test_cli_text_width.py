"""Text reports fit 80 columns without cutting an id; csv is refused for reports that are not tables.

These run `infra plan` (the Pulumi program under mocks), so they share the Pulumi worker
(tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.cli import run
from ops.errors import ExitStatus


@pytest.mark.parametrize("stack", ["gpu", "policies/examples/Pulumi.unguarded.yaml"])
def test_infra_plan_text_fits_80_columns_except_unbreakable_ids(
    stack: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    run(["infra", "plan", "--stack", stack])
    out = capsys.readouterr().out
    resources = out.split("\npolicy pack:")[0]  # violations stay one line each (policies/README.md)
    too_wide = [line for line in resources.splitlines() if len(line) > 80 and len(line.split()) > 1]
    assert not too_wide, "\n".join(too_wide)


def test_csv_of_a_report_that_is_not_a_table_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["infra", "plan", "--stack", "gpu", "--format", "csv"]) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert err.startswith("error[format-not-tabular]") and "hint:" in err


def test_preflight_checks_print_urls_and_names_whole(
    clean_cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Checks are lines, not table cells: a reason's URL is never cut to fit a column."""
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    train = "samples/sarcasm-generation-gemini/train.jsonl"
    args = ["preflight", "--engine", "gemini", "--train", train, "--base-model", "gemini-2.5-flash"]
    capsys.readouterr()
    run(args)
    out = capsys.readouterr().out
    assert "…" not in out
    assert "https://docs.cloud.google.com/gemini-enterprise-agent-platform/reference/models/tuning" in out
    assert "  unknown  quota concurrent-tuning-jobs" in out
