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


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (["a", "b"], "the top level is a list, not an object"),
        ({"runs": "x", "totals": []}, "`runs` is a string, not a list"),
        ({"runs": [], "totals": ["USD"]}, "`totals[0]` is a string, not an object"),
        ({"runs": [{"run_id": "r", "currency": "USD", "net": "x"}], "totals": []}, "not a decimal amount"),
    ],
)
def test_a_file_of_the_wrong_shape_names_the_file_and_the_shape_expected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: object, says: str
) -> None:
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(body))
    assert run(["cost", "diff", str(wrong), str(wrong)]) == ExitStatus.USAGE
    err = " ".join(capsys.readouterr().err.split())
    assert "error[reconciliation-unreadable]" in err and says in err and str(wrong) in err
    assert '"runs": [{"run_id", "currency", "net"}' in err and "indices" not in err


@pytest.mark.parametrize(
    ("run_entry", "says"),
    [
        (
            {"run_id": None, "currency": "USD", "net": "1.00"},
            "`runs[0].run_id` is null, not a non-empty string",
        ),
        ({"run_id": "r", "currency": "", "net": "1.00"}, '`runs[0].currency` is "", not a non-empty string'),
        ({"run_id": "r", "currency": "USD", "net": None}, "`runs[0].net` is null, not a decimal amount"),
        ({"run_id": "r", "currency": "USD", "net": True}, "`runs[0].net` is true, not a decimal amount"),
    ],
)
def test_null_or_wrongly_typed_fields_are_refused_in_json_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run_entry: dict, says: str
) -> None:
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"runs": [run_entry], "totals": [{"currency": "USD", "net": "1.00"}]}))
    assert run(["cost", "diff", str(wrong), str(wrong)]) == ExitStatus.USAGE
    err = " ".join(capsys.readouterr().err.split())
    assert says in err and "None" not in err


def test_a_yaml_file_is_not_json_and_says_what_to_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    yaml_file = tmp_path / "before.yaml"
    yaml_file.write_text("runs: []\ntotals: []\n")
    assert run(["cost", "diff", str(yaml_file), str(yaml_file)]) == ExitStatus.USAGE
    err = " ".join(capsys.readouterr().err.split())
    assert "before.yaml is not JSON" in err and "cost reconcile --format json" in err
    assert "Expecting value" not in err
