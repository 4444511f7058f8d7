"""The export's cost_type: tax, adjustments and rounding errors without a run key are the account's
own lines (per currency, in every format), never unattributed usage or part of coverage; a run's own
adjustment rows stay with the run. Rows are written as `bq extract` writes NDJSON (timestamps like
`2026-11-18 09:00:00 UTC`) and as the Parquet export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from ops.cli import run
from ops.costs.engines import BigQueryEngine, DuckDBEngine
from ops.costs.model import ReconcileSpec
from ops.costs.reconcile import reconcile_costs
from ops.costs.sample_export import VERTEX, ExportRows, render_export
from ops.output import to_jsonable
from tests.cloud.bigquery import BigQueryServer

TPU = ("TPU-1", "Vertex AI: Training on TPU v3 pod")
TAX = ("TAX-1", "Tax")
TABLE = "tunectl-test.billing.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9"


def _rows() -> ExportRows:
    rows = ExportRows()
    run_labels = {"tunectl-run-id": "r1"}
    rows.add(VERTEX, TPU, "2026-11-18T09:00:00", "10", labels=run_labels)
    rows.add(VERTEX, TPU, "2026-11-18T10:00:00", "-2", labels=run_labels, cost_type="adjustment")
    rows.add(VERTEX, TPU, "2026-11-18T09:00:00", "5")  # unlabelled usage
    rows.add(VERTEX, TAX, "2026-11-18T09:00:00", "1.5", cost_type="tax")
    rows.add(VERTEX, TPU, "2026-11-18T09:00:00", "-0.5", cost_type="adjustment")
    rows.add(VERTEX, TAX, "2026-11-18T09:00:00", "0.01", cost_type="rounding_error")
    rows.add(VERTEX, TAX, "2026-11-18T09:00:00", "3", cost_type="tax", currency="EUR")
    return rows


def _export(tmp_path: Path, fmt: str) -> Path:
    path = tmp_path / f"export.{'jsonl' if fmt == 'ndjson' else fmt}"
    path.write_bytes(render_export(_rows().rows, fmt))
    return path


def test_bq_extract_ndjson_writes_timestamps_the_way_bq_does(tmp_path: Path) -> None:
    first = json.loads(_export(tmp_path, "ndjson").read_text().splitlines()[0])
    assert first["usage_start_time"] == "2026-11-18 09:00:00 UTC" and first["cost_type"] == "regular"


@pytest.mark.parametrize("fmt", ["ndjson", "parquet"])
def test_charges_are_their_own_lines_and_stay_out_of_coverage(tmp_path: Path, fmt: str) -> None:
    body = to_jsonable(reconcile_costs(DuckDBEngine([_export(tmp_path, fmt)]), ReconcileSpec(), []).as_json())
    assert [(r["run_key"], r["net"]) for r in body["runs"]] == [("tunectl-run-id=r1", "8.00")]
    assert [(u["currency"], u["net"]) for u in body["unattributed"]] == [("USD", "5.00")]
    assert [(c["cost_type"], c["currency"], c["net"]) for c in body["charges"]] == [
        ("adjustment", "USD", "-0.50"),
        ("rounding_error", "USD", "0.01"),
        ("tax", "EUR", "3.00"),
        ("tax", "USD", "1.50"),
    ]
    # 8 attributed of 8 + 5 usage: the charges count on neither side.
    assert body["coverage_by_currency"] == [{"currency": "USD", "coverage_pct": 61.54}]
    assert [(t["currency"], t["net"]) for t in body["totals"]] == [("EUR", "3.00"), ("USD", "14.01")]


def test_every_reconcile_format_shows_the_charges(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = str(_export(tmp_path, "ndjson"))
    assert run(["cost", "reconcile", "--billing-export", export, "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert {(c["cost_type"], c["net"]) for c in body["charges"]} >= {("tax", "1.50"), ("tax", "3.00")}
    assert run(["cost", "reconcile", "--billing-export", export, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {(r["key"], r["currency"], r["net"]) for r in rows if r["section"] == "charge"} == {
        ("adjustment", "USD", "-0.50"),
        ("rounding_error", "USD", "0.01"),
        ("tax", "EUR", "3.00"),
        ("tax", "USD", "1.50"),
    }
    assert run(["cost", "reconcile", "--billing-export", export]) == 0
    text = capsys.readouterr().out
    assert "Tax (no run): 1.50 USD net" in text and "Rounding (no run): 0.01 USD net" in text
    assert "Unattributed Vertex AI: 5.00 USD net" in text
    for suffix in ("md", "html"):
        report = tmp_path / f"report.{suffix}"
        assert run(["cost", "report", "--billing-export", export, "-o", str(report)]) == 0
        assert "tax (no run)" in report.read_text() and "rounding (no run)" in report.read_text()


def test_both_engines_agree_on_cost_types(tmp_path: Path, cloud, bigquery_client) -> None:
    path = _export(tmp_path, "parquet")
    cloud.get(BigQueryServer).load_table(TABLE, path)
    on_duck = reconcile_costs(DuckDBEngine([path]), ReconcileSpec(), [])
    on_bq = reconcile_costs(BigQueryEngine(bigquery_client, TABLE), ReconcileSpec(), [])
    assert on_duck.charges == on_bq.charges and len(on_duck.charges) == 4
    assert on_duck.json_text().replace(str(path), "") == on_bq.json_text().replace(f"bigquery:{TABLE}", "")
