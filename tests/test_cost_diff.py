"""`tunectl cost diff` and `--fail-over`: two reconciliations per run and in total, and an exit status
CI can act on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.cli import run
from ops.errors import ExitStatus


def _reconciliation(path: Path, runs: dict[str, str], currency: str = "USD") -> Path:
    total = sum(float(v) for v in runs.values())
    body = {
        "runs": [{"run_id": r, "currency": currency, "net": net} for r, net in runs.items()],
        "totals": [{"currency": currency, "net": f"{total:.2f}"}],
    }
    path.write_text(json.dumps(body))
    return path


@pytest.fixture
def pair(tmp_path: Path) -> tuple[str, str]:
    before = _reconciliation(tmp_path / "before.json", {"a": "100.00", "b": "50.00", "gone": "5.00"})
    after = _reconciliation(tmp_path / "after.json", {"a": "112.00", "b": "50.00", "new": "7.00"})
    return str(before), str(after)


def test_diff_yaml_is_the_json_document(pair, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    assert run(["cost", "diff", *pair, "--format", "yaml"]) == 0
    as_yaml = yaml.safe_load(capsys.readouterr().out)
    assert run(["cost", "diff", *pair, "--format", "json"]) == 0
    assert as_yaml == json.loads(capsys.readouterr().out)


def test_diff_compares_runs_and_totals_exactly(pair, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["cost", "diff", *pair, "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    runs = {
        r["key"]: (r["before"], r["after"], r["delta"], r["delta_pct"], r["status"]) for r in body["runs"]
    }
    assert runs == {
        "a": ("100.00", "112.00", "12.00", 12.0, "changed"),
        "b": ("50.00", "50.00", "0.00", 0.0, "same"),
        "gone": ("5.00", None, "-5.00", None, "gone"),
        "new": (None, "7.00", "7.00", None, "new"),
    }
    assert body["totals"] == [
        {
            "key": "total",
            "currency": "USD",
            "before": "155.00",
            "after": "169.00",
            "delta": "14.00",
            "delta_pct": 9.03,
            "status": "changed",
        }
    ]


def test_markdown_is_a_pr_comment_that_flags_runs_past_the_threshold(pair, capsys) -> None:
    assert run(["cost", "diff", *pair, "--format", "md", "--fail-over", "10"]) == 1
    md = capsys.readouterr().out
    assert md.startswith("### Cost diff: before.json → after.json")
    assert "| total | USD | 155.00 | 169.00 | +14.00 | +9.03% |" in md
    assert "| ⚠ a | USD | 100.00 | 112.00 | +12.00 | +12.00% |" in md
    assert "3 of 4 changed; 1 moved more than 10% (⚠)" in md


def test_fail_over_is_quiet_below_the_threshold(pair, capsys) -> None:
    assert run(["cost", "diff", *pair, "--fail-over", "12.5"]) == 0
    out = capsys.readouterr().out
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "more than 12.5%: none" in out


def test_diff_needs_two_readable_reconciliations(tmp_path: Path, pair, capsys) -> None:
    assert run(["cost", "diff", pair[0]]) == ExitStatus.USAGE
    assert "error[diff-inputs-missing]" in capsys.readouterr().err
    (tmp_path / "x.json").write_text('{"runs": 3}')
    assert run(["cost", "diff", pair[0], str(tmp_path / "x.json")]) == ExitStatus.USAGE
    assert "error[reconciliation-unreadable]" in capsys.readouterr().err


def test_a_month_against_the_previous_one(tmp_path: Path, capsys) -> None:
    export = tmp_path / "e.parquet"
    assert run(["cost", "sample-export", "-o", str(export)]) == 0
    capsys.readouterr()
    runs = str(tmp_path / "e.runs.json")
    args = ["cost", "diff", "--month", "2026-10", "--billing-export", str(export), "--runs-file", runs]
    assert run([*args, "-f", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert (body["before"], body["after"]) == ("2026-09", "2026-10")
    (total,) = body["totals"]
    assert (total["before"], total["after"]) == ("162.48", "417.738")


def test_reconcile_fail_over_exits_1_when_a_run_misses_its_estimate(tmp_path: Path, capsys) -> None:
    export = tmp_path / "e.parquet"
    assert run(["cost", "sample-export", "-o", str(export)]) == 0
    runs = str(tmp_path / "e.runs.json")
    args = ["cost", "reconcile", "--billing-export", str(export), "--runs-file", runs, "--month", "2026-10"]
    capsys.readouterr()
    assert run([*args, "--fail-over", "30"]) == 1  # gem-lite-dpo-7c8d: +33.33%
    assert "gem-lite-dpo-7c8d" in capsys.readouterr().err
    assert run([*args, "--fail-over", "40"]) == 0
