"""`tunectl cost sample-export | reconcile | report` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest

from ops.cli import run
from ops.errors import ExitStatus
from tests.cloud.bigquery import BigQueryServer

ISSUE_RUN_KEYS = {
    "run_key",
    "run_id",
    "currency",
    "gross",
    "credits",
    "net",
    "first_usage",
    "last_usage",
    "provisional",
    "attribution",
    "estimate",
    "variance_pct",
    "skus",
}


@pytest.fixture
def sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> dict[str, str]:
    for name in list(os.environ):
        if name.startswith(("TUNECTL_", "GOOGLE_CLOUD_PROJECT")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    monkeypatch.setenv("TUNECTL_LEDGER", str(tmp_path / "ledger.sqlite"))
    export = tmp_path / "out" / "billing-export.parquet"
    assert run(["cost", "sample-export", "-o", str(export)]) == 0
    capsys.readouterr()
    return {"export": str(export), "runs": str(tmp_path / "out" / "billing-export.runs.json")}


def _reconcile(sample: dict[str, str], capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    args = ["cost", "reconcile", "--billing-export", sample["export"], "--runs-file", sample["runs"], *extra]
    status = run(args)
    return status, capsys.readouterr().out


def test_reconcile_json_has_the_issues_shape_with_money_as_strings(sample, capsys) -> None:
    status, out = _reconcile(sample, capsys, "--month", "2026-10", "--format", "json")
    body = json.loads(out)
    assert status == 0
    assert {
        "window",
        "run_keys",
        "runs",
        "unattributed",
        "totals",
        "coverage_pct",
        "orphans",
        "not_yet_billed",
    } <= set(body)
    assert all(set(r) >= ISSUE_RUN_KEYS for r in body["runs"])
    assert all(isinstance(r["net"], str) and re.fullmatch(r"-?\d+\.\d+", r["net"]) for r in body["runs"])
    assert {r["attribution"] for r in body["runs"]} == {"label", "inferred", "schedule"}
    assert set(body["totals"][0]) == {"currency", "gross", "credits", "net"}
    assert body["run_keys"][0] == "tunectl-run-id" and isinstance(body["coverage_pct"], float)
    assert body["runs"][0]["run_key"] == "tunectl-run-id=rlhf-tpu-0a1b2c"


def test_run_times_without_an_offset_are_taken_as_utc(sample, capsys) -> None:
    runs = Path(sample["runs"])
    runs.write_text(re.sub(r"\+00:00", "", runs.read_text(encoding="utf-8")), encoding="utf-8")
    status, out = _reconcile(sample, capsys, "--month", "2026-10", "--format", "json")
    assert status == 0
    assert json.loads(out)["runs"][0]["run_key"] == "tunectl-run-id=rlhf-tpu-0a1b2c"


def test_reconcile_text_and_csv(sample, capsys) -> None:
    status, text = _reconcile(sample, capsys, "--month", "2026-10")
    assert status == 0 and "rlhf-tpu-0a1b2c" in text and "155.48 USD" in text and "Coverage" in text
    status, out = _reconcile(sample, capsys, "--month", "2026-10", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["section"] for r in rows} == {
        "run",
        "unattributed",
        "total",
        "schedule",
        "orphan",
        "not_yet_billed",
    }


def test_run_key_flags_replace_the_default_precedence(sample, capsys) -> None:
    _, out = _reconcile(
        sample,
        capsys,
        "--month",
        "2026-10",
        "-f",
        "json",
        "--run-key",
        "vertex-ai-pipelines-run-billing-id",
        "--run-key",
        "tunectl-run-id",
    )
    assert json.loads(out)["run_keys"] == ["vertex-ai-pipelines-run-billing-id", "tunectl-run-id"]


def test_report_html_is_one_offline_file_with_charts_and_the_facts(sample, capsys, tmp_path: Path) -> None:
    target = tmp_path / "out" / "cost-report.html"
    args = [
        "cost",
        "report",
        "--billing-export",
        sample["export"],
        "--runs-file",
        sample["runs"],
        "--month",
        "2026-10",
    ]
    assert run([*args, "-o", str(target)]) == 0
    html = target.read_text()
    assert html.count("<svg") >= 7 and "<script" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing to fetch
    for fact in (
        "Data window",
        "Newest export_time",
        "2026-11-02T06:00:00+00:00",
        "Provisional",
        "Coverage",
        "tunectl 0.1.0",
    ):
        assert fact in html
    for chart in (
        "Net cost per run",
        "Estimate against actual",
        "Monthly trend",
        "base model",
        "schedule",
        "team label",
        "Credits by type",
    ):
        assert chart in html
    assert not list(target.parent.glob(".*.tmp"))  # written atomically


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_report_other_formats(sample, capsys, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"report.{fmt}"
    args = [
        "cost",
        "report",
        "--billing-export",
        sample["export"],
        "--runs-file",
        sample["runs"],
        "-o",
        str(target),
    ]
    assert run(args) == 0
    text = target.read_text()
    assert "rlhf-tpu-0a1b2c" in text
    if fmt == "json":
        assert {m["month"] for m in json.loads(text)["report"]["monthly"]} == {"2026-09", "2026-10"}


def test_people_read_cents_and_machines_read_exact_amounts(sample, capsys, tmp_path: Path) -> None:
    # The sample's GPU run has three -3.144 credits: -9.432 exactly.
    texts = {}
    for fmt in ("html", "md", "csv", "json"):
        target = tmp_path / f"report.{fmt}"
        args = ["cost", "report", "--billing-export", sample["export"], "--runs-file", sample["runs"]]
        assert run([*args, "-o", str(target)]) == 0
        texts[fmt] = target.read_text()
    for fmt in ("html", "md"):
        assert "-9.43" in texts[fmt] and "9.432" not in texts[fmt]
        assert not re.search(r"\d\.\d{3,}\b(?!%)", re.sub(r"<[^>]*>", " ", texts[fmt]).replace("0.1.0", ""))
    for fmt in ("csv", "json"):
        assert "-9.432" in texts[fmt]


def test_bad_flags_are_usage_errors_with_a_code(sample, capsys) -> None:
    assert (
        run(["cost", "reconcile", "--billing-export", sample["export"], "--month", "2026-13"])
        == ExitStatus.USAGE
    )
    assert "error[month-invalid]" in capsys.readouterr().err
    assert run(["cost", "reconcile"]) == ExitStatus.USAGE
    assert "error[billing-source-missing]" in capsys.readouterr().err


def test_reconcile_reads_the_bigquery_table_through_the_client(sample, capsys, cloud, cloud_env) -> None:
    table = "tunectl-test.billing.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9"
    cloud.get(BigQueryServer).load_table(table, Path(sample["export"]))
    status = run(
        [
            "cost",
            "reconcile",
            "--bigquery-table",
            table,
            "--runs-file",
            sample["runs"],
            "--month",
            "2026-10",
            "-f",
            "json",
        ]
    )
    from_bq = json.loads(capsys.readouterr().out)
    _, out = _reconcile(sample, capsys, "--month", "2026-10", "-f", "json")
    from_files = json.loads(out)
    assert status == 0
    assert from_bq["source"] == f"bigquery:{table}"
    for key in ("runs", "unattributed", "totals", "coverage_pct", "orphans", "not_yet_billed"):
        assert from_bq[key] == from_files[key]


def test_reconcile_text_flags_inferred_runs_and_says_when_no_run_was_billed(sample, capsys) -> None:
    status, text = _reconcile(sample, capsys, "--month", "2026-10")
    assert status == 0 and "Inferred (no run label; matched to a job by its time window): " in text, text
    status, text = _reconcile(sample, capsys, "--month", "2025-01")
    assert status == 0 and "No run was billed in the window." in text
    assert not text.startswith("run ") and "  by  " not in text


def test_sample_export_refuses_an_export_named_like_its_own_runs_file(sample, tmp_path, capsys) -> None:
    target = tmp_path / "x.runs.json"
    status = run(["cost", "sample-export", "-o", str(target)])
    err = capsys.readouterr().err
    assert status == ExitStatus.USAGE
    assert "error[outputs-collide]" in err
    assert not target.exists()


def test_sample_export_into_a_directory_suggests_an_export_name(sample, tmp_path, capsys) -> None:
    status = run(["cost", "sample-export", "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == ExitStatus.USAGE
    assert "error[output-is-directory]" in err and "billing-export.parquet" in err
    assert "cost-report.html" not in err


def test_a_filter_matching_nothing_says_so_not_that_nothing_was_billed(sample, capsys) -> None:
    status, out = _reconcile(sample, capsys, "--month", "2026-10", "--filter", "schedule=nope")
    assert status == 0
    assert "No run matches --filter 'schedule=nope'." in out
    assert "No run was billed" not in out


def test_a_filter_keeps_window_lines_window_wide_and_filters_not_yet_billed_alike(sample, capsys) -> None:
    status, out = _reconcile(sample, capsys, "--month", "2026-10", "--filter", "schedule=weekly-sft")
    assert status == 0
    # The provisional run is nightly-rlhf's: still named, as a fact of the whole window.
    assert "provisional runs in the whole window: tunectl-run-id=rlhf-gpu-9z8y7x" in out
    assert "are the whole window's" in out
    assert "Not billed yet" not in out  # gem-pro-sft-e9f0 is no weekly-sft run
    status, out = _reconcile(sample, capsys, "--month", "2026-10", "--filter", "run_id=gem-pro-sft-e9f0")
    assert "Not billed yet: gem-pro-sft-e9f0" in out
    _, out = _reconcile(sample, capsys, "--month", "2026-10", "--filter", "schedule=weekly-sft", "-f", "json")
    body = json.loads(out)
    assert body["not_yet_billed"] == []
    assert {r["schedule"] for r in body["runs"]} == {"weekly-sft"}


def test_a_filter_on_a_field_only_billed_runs_have_lists_no_run_not_billed_yet(sample, capsys) -> None:
    status, out = _reconcile(sample, capsys, "--month", "2026-10", "--filter", "variance_flagged=false")
    assert status == 0
    assert "Not billed yet" not in out


def test_reconcile_without_a_ledger_says_so_on_stderr(sample, tmp_path, monkeypatch, capsys) -> None:
    missing = tmp_path / "none.sqlite"
    monkeypatch.setenv("TUNECTL_LEDGER", str(missing))
    status = run(["cost", "reconcile", "--billing-export", sample["export"], "--month", "2026-10"])
    captured = capsys.readouterr()
    assert status == 0
    assert f"no ledger at {missing}" in captured.err and "orphans" in captured.err
    assert not missing.exists()  # reading never creates it


@pytest.mark.parametrize(
    "flags",
    [
        ["--variance-threshold", "-5"],
        ["--run-key", ""],
        ["--run-key", "bad key!"],
        ["--run-key", "Team"],
        ["--run-key", "team=x"],
    ],
)
def test_bad_threshold_or_run_key_is_refused(sample, capsys, flags) -> None:
    status = run(["cost", "reconcile", "--billing-export", sample["export"], "--month", "2026-10", *flags])
    assert status == ExitStatus.USAGE
    assert "error[invalid-value]" in capsys.readouterr().err
