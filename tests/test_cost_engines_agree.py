"""The one reconciliation definition gives identical results on DuckDB (files) and BigQuery.

BigQuery is the local bigquery.v2 server (tests/cloud/bigquery.py), reached through
google-cloud-bigquery; it runs the BigQuery-dialect text with three lexical rewrites (see its
docstring), so what is compared is our two generated dialects, not a translator's output."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ops.costs.engines import BigQueryEngine, DuckDBEngine
from ops.costs.reconcile import credits_by_type, reconcile_costs
from ops.output import to_jsonable
from tests.cloud.bigquery import BigQueryServer
from tests.cost_fixtures import october_spec, sample_known_runs, write_sample

TABLE = "tunectl-test.billing.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9"


@pytest.fixture
def engines(tmp_path: Path, cloud, bigquery_client):
    export = write_sample(tmp_path)
    cloud.get(BigQueryServer).load_table(TABLE, export)
    return DuckDBEngine([export]), BigQueryEngine(bigquery_client, TABLE)


def _comparable(result) -> dict:
    body = to_jsonable(result.as_json())
    for key in ("source", "skipped"):
        body.pop(key)
    return body


def test_duckdb_and_bigquery_give_the_same_reconciliation(tmp_path: Path, engines) -> None:
    duck, bq = engines
    known = sample_known_runs(tmp_path)
    spec = october_spec(known)
    assert _comparable(reconcile_costs(duck, spec, known)) == _comparable(reconcile_costs(bq, spec, known))


def test_the_json_written_in_sql_is_the_documents_json(tmp_path: Path, engines) -> None:
    import json

    known = sample_known_runs(tmp_path)
    for engine in engines:
        result = reconcile_costs(engine, october_spec(known), known)
        assert json.loads(result.json_text()) == to_jsonable(result.as_json())
        assert result.runs and result.orphans


def test_both_engines_agree_on_report_breakdowns(tmp_path: Path, engines) -> None:
    duck, bq = engines
    known = sample_known_runs(tmp_path)
    spec = replace(
        october_spec(known),
        dimension_keys=("team", "tunectl-schedule"),
        by_month=True,
        window=replace(october_spec(known).window, start=None),
    )
    on_duck, on_bq = reconcile_costs(duck, spec, known), reconcile_costs(bq, spec, known)
    assert on_duck.monthly == on_bq.monthly and len(on_duck.monthly) == 2
    assert on_duck.by_dimension == on_bq.by_dimension
    assert credits_by_type(duck, spec) == credits_by_type(bq, spec)


def test_the_two_dialects_really_differ(engines, tmp_path: Path) -> None:
    duck, bq = engines
    spec = october_spec(sample_known_runs(tmp_path))
    duck_sql = duck.queries(spec).aggregate_query().sql
    bq_sql = bq.queries(spec).aggregate_query().sql
    assert "list_filter(labels" in duck_sql and "UNNEST(labels)" not in duck_sql
    assert "FROM UNNEST(labels) AS l" in bq_sql and "list_filter" not in bq_sql
    assert "CAST(cost AS NUMERIC)" in bq_sql and "@run_key_0" in bq_sql


def test_bigquery_table_not_found_is_a_cloud_error(cloud, bigquery_client, tmp_path: Path) -> None:
    from ops.errors import ExitStatus, TunectlError

    engine = BigQueryEngine(bigquery_client, "tunectl-test.billing.missing_table")
    known = sample_known_runs(tmp_path)
    with pytest.raises(TunectlError) as caught:
        reconcile_costs(engine, october_spec(known), known)
    assert caught.value.code == "cloud-not-found" and caught.value.status is ExitStatus.CLOUD_API


def test_both_engines_agree_on_edge_rows(cloud, bigquery_client, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from ops.costs.model import InferenceCandidate, ReconcileSpec, Window
    from ops.costs.sample_export import VERTEX, ExportRows, render_export

    rows = ExportRows()
    tune = ("T", "Gemini 2.5 Flash Tuning training tokens")
    both = {"tunectl-run-id": "r1", "vertex-ai-pipeline-run-billing-id": "9"}
    rows.add(VERTEX, tune, "2026-10-05T10:00:00", "0.1", labels=both, credits=[("PROMOTION", "p", "-0.05")])
    rows.add(VERTEX, tune, "2026-10-05T10:00:00", "0.2", labels={"vertex-ai-pipeline-run-billing-id": "9"})
    rows.add(
        VERTEX, tune, "2026-10-05T11:00:00", "-0.1", labels=both, cost_type="adjustment", null_credits=True
    )
    rows.add(VERTEX, tune, "2026-10-05T11:00:00", "7", currency="EUR", labels={"tunectl-run-id": "r1"})
    rows.add(VERTEX, tune, "2026-10-06T09:00:00", "3.333333333")  # unlabelled: inferred
    rows.add(VERTEX, ("P", "Prediction"), "2026-10-06T09:00:00", "1", labels={"tunectl-run-id": ""})
    rows.add(
        VERTEX, tune, "2026-10-31T23:00:00", "5", labels={"tunectl-run-id": "r2"}, invoice_month="202611"
    )
    path = tmp_path / "edge.parquet"
    path.write_bytes(render_export(rows.rows, "parquet"))
    cloud.get(BigQueryServer).load_table(TABLE, path)
    job = InferenceCandidate(
        "g1",
        "tunectl-demo",
        datetime(2026, 10, 6, 9, 5, tzinfo=UTC),
        datetime(2026, 10, 6, 9, 50, tzinfo=UTC),
    )
    for window in (Window(), Window(invoice_month="202610"), Window(end=datetime(2026, 10, 6, tzinfo=UTC))):
        spec = ReconcileSpec(window=window, inferred=(job,), dimension_keys=("team",), by_month=True)
        on_duck = reconcile_costs(DuckDBEngine([path]), spec, [])
        on_bq = reconcile_costs(BigQueryEngine(bigquery_client, TABLE), spec, [])
        assert _comparable(on_duck) == _comparable(on_bq)
        assert on_duck.monthly == on_bq.monthly and on_duck.by_dimension == on_bq.by_dimension
