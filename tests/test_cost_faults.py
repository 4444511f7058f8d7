"""Bad inputs to `tunectl cost` (issue 17's fault sweep): skipped and counted, or one clear diagnostic
with the right exit status; never SQL text, a sniffer report or error[internal]."""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import pytest

from ops.cli import run
from ops.errors import ExitStatus
from tests.cloud.bigquery import BigQueryServer

GOOD_ROW = """
  {'id': 'C7E2-9256-1C43', 'description': 'Vertex AI'} AS service,
  {'id': 'S1', 'description': 'Training'} AS sku, {'id': 'p'} AS project,
  {'month': '202610'} AS invoice, 'USD' AS currency, 'regular' AS cost_type,
  TIMESTAMPTZ '2026-10-05 00:00:00+00' AS usage_start_time,
  TIMESTAMPTZ '2026-10-05 01:00:00+00' AS usage_end_time,
  TIMESTAMPTZ '2026-10-06 00:00:00+00' AS export_time
"""
KV = "STRUCT(key VARCHAR, value VARCHAR)[]"
CREDITS = "STRUCT(amount DOUBLE, type VARCHAR)[]"


def _parquet(path: Path, select: str) -> Path:
    duckdb.connect().execute(f"COPY (SELECT {GOOD_ROW}, {select}) TO '{path}' (FORMAT parquet)")
    return path


def _reconcile_json(capsys: pytest.CaptureFixture[str], *paths: Path) -> dict:
    args = ["cost", "reconcile", "-f", "json"]
    for path in paths:
        args += ["--billing-export", str(path)]
    assert run(args) == 0
    return json.loads(capsys.readouterr().out)


def test_money_duckdb_cannot_hold_is_skipped_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    labels = f"[{{'key': 'tunectl-run-id', 'value': 'r1'}}]::{KV} AS labels"
    for name, cost, credit in (
        ("good", "1.5::DOUBLE", "-0.5::DOUBLE"),
        ("nan", "'nan'::DOUBLE", "0::DOUBLE"),
        ("huge", "1e300::DOUBLE", "0::DOUBLE"),
        ("huge-credit", "1::DOUBLE", "-1e300::DOUBLE"),
    ):
        credits = f"[{{'amount': {credit}, 'type': 'PROMOTION'}}]::{CREDITS} AS credits"
        _parquet(folder / f"{name}.parquet", f"{labels}, {credits}, {cost} AS cost")
    body = _reconcile_json(capsys, folder)
    assert [(r["run_key"], r["net"]) for r in body["runs"]] == [("tunectl-run-id=r1", "1.00")]
    assert {(Path(s["source"]).name, s["column"], s["rows"]) for s in body["skipped"]} == {
        ("nan.parquet", "cost", 1),
        ("huge.parquet", "cost", 1),
        ("huge-credit.parquet", "credits.amount", 1),
    }


def test_columns_of_the_wrong_type_skip_their_files_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    credits = f"[]::{CREDITS} AS credits"
    good = _parquet(
        tmp_path / "good.parquet",
        f"[{{'key': 'tunectl-run-id', 'value': 'r1'}}]::{KV} AS labels, {credits}, 2.0::DOUBLE AS cost",
    )
    text_labels = _parquet(
        tmp_path / "text-labels.parquet", f"'tunectl-run-id=r2' AS labels, {credits}, 1.0 AS cost"
    )
    text_cost = _parquet(tmp_path / "text-cost.parquet", f"[]::{KV} AS labels, {credits}, 'abc' AS cost")
    body = _reconcile_json(capsys, good, text_labels, text_cost)
    assert [(r["run_id"], r["net"]) for r in body["runs"]] == [("r1", "2.00")]
    assert {(Path(s["source"]).name, s["column"]) for s in body["skipped"]} == {
        ("text-labels.parquet", "labels"),
        ("text-cost.parquet", "cost"),
    }
    assert body["rows_read"] == 3 and body["skipped_rows"] == 2


def test_a_garbage_csv_is_one_diagnostic(clean_cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = clean_cli_env / "export.csv"
    garbage.write_bytes(b'a;b\x00\x01zz\n"""\n,,,,\n\xff\xfe garbage\n')
    assert run(["cost", "reconcile", "--billing-export", str(garbage)]) == ExitStatus.USAGE
    err = capsys.readouterr().err
    # On a fresh machine the note that there is no ledger comes first; then the one diagnostic.
    note, diagnostic = err.split("error[", 1)
    assert note.startswith("no ledger at ") and note.count("\n") == 1
    diagnostic = "error[" + diagnostic
    assert diagnostic.startswith(
        "error[billing-export-unreadable]: export.csv is not a CSV file with a header row"
    )
    assert len(diagnostic.strip().splitlines()) == 3 and "sniff" not in err.lower() and "LINE 1" not in err


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["cost", "reconcile", "--month", "0000-01"], "month-invalid"),
        (
            ["cost", "report", "-o", "r.html", "--month", "2026-10", "--trend-months", "100000"],
            "trend-months-invalid",
        ),
        (["cost", "report", "-o", "r.html", "--trend-months", "0"], "trend-months-invalid"),
    ],
)
def test_out_of_range_flags_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: str
) -> None:
    export = tmp_path / "e.parquet"
    assert run(["cost", "sample-export", "-o", str(export)]) == 0
    capsys.readouterr()
    assert run([*args, "--billing-export", str(export)]) == ExitStatus.USAGE
    assert f"error[{code}]" in capsys.readouterr().err


def test_an_early_month_with_a_long_trend_still_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "e.parquet"
    assert run(["cost", "sample-export", "-o", str(export)]) == 0
    report = tmp_path / "r.json"
    args = ["cost", "report", "--billing-export", str(export), "-o", str(report), "--month", "2000-02"]
    assert run([*args, "--trend-months", "120"]) == 0
    assert json.loads(report.read_text())["runs"] == []


@pytest.mark.parametrize("command", ["report", "sample-export"])
def test_an_output_path_that_is_a_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    export = tmp_path / "e.parquet"
    assert run(["cost", "sample-export", "-o", str(export)]) == 0
    capsys.readouterr()
    extra = ["--billing-export", str(export), "-f", "html"] if command == "report" else []
    assert run(["cost", command, "-o", str(tmp_path), *extra]) == ExitStatus.USAGE
    assert "error[output-is-directory]" in capsys.readouterr().err


def test_request_timeout_bounds_bigquery_queries(
    tmp_path: Path, capsys, cloud, cloud_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = tmp_path / "e.parquet"
    assert run(["cost", "sample-export", "-o", str(export)]) == 0
    capsys.readouterr()
    table = "tunectl-test.billing.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9"
    cloud.get(BigQueryServer).load_table(table, export)
    monkeypatch.setenv("TUNECTL_REQUEST_TIMEOUT", "0.3")
    cloud.faults.inject("bigquery.jobs.query", "hang", times=1, hang_seconds=30)
    started = time.monotonic()
    assert run(["cost", "reconcile", "--bigquery-table", table, "-f", "json"]) == 0
    assert time.monotonic() - started < 10  # one timed-out attempt and a retry, not a 30 s hang
    assert json.loads(capsys.readouterr().out)["runs"]


def test_ctrl_c_stops_a_running_duckdb_query_at_once() -> None:
    import os
    import signal
    import threading

    from ops.costs.engines import interruptible, local_duckdb

    con = local_duckdb()
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        # Minutes of work without the interrupt.
        interruptible(con, lambda: con.execute("SELECT sum(hash(i)) FROM range(20000000000) t(i)").fetchall())
    assert time.monotonic() - started < 3
    assert con.execute("SELECT 42").fetchone() == (42,)  # the connection is still usable
