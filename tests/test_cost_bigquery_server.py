"""The local BigQuery v2 server the cost tests rely on: the job methods google-cloud-bigquery uses, and
the three lexical rewrites it applies before DuckDB runs the GoogleSQL (nothing else)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ops.costs import sample_export
from tests.cloud.bigquery import BigQueryServer, translate
from tests.cloud.server import ApiError
from tests.cost_fixtures import write_sample

TABLE = "tunectl-test.billing.export"


def test_translate_rewrites_only_table_params_and_numeric_outside_literals() -> None:
    sql = "SELECT CAST(cost AS NUMERIC), '@not_a_param `x` NUMERIC' FROM `p-1.d.t` WHERE k = @key"
    assert translate(sql, {"p-1.d.t": "t_1"}) == (
        "SELECT CAST(cost AS DECIMAL(38, 9)), '@not_a_param `x` NUMERIC' FROM \"t_1\" WHERE k = $key"
    )


def test_translate_refuses_an_unknown_table() -> None:
    with pytest.raises(ApiError) as caught:
        translate("SELECT 1 FROM `p.d.missing`", {})
    assert caught.value.status == 404


def test_query_jobs_insert_get_and_paged_results(cloud, bigquery_client, tmp_path: Path) -> None:
    from google.cloud import bigquery

    cloud.get(BigQueryServer).load_table(TABLE, write_sample(tmp_path))
    job = bigquery_client.query(
        f"SELECT sku.id AS sku, SUM(CAST(cost AS NUMERIC)) AS gross FROM `{TABLE}` "
        "WHERE currency = @currency GROUP BY 1 ORDER BY 1",
        job_config=bigquery.QueryJobConfig(
            query_parameters=[bigquery.ScalarQueryParameter("currency", "STRING", "USD")]
        ),
    )
    rows = list(job.result(page_size=3))  # jobs.insert, then getQueryResults pages of 3
    assert job.state == "DONE"
    assert len(rows) > 3 and all(isinstance(r["gross"], Decimal) for r in rows)
    expected = sum(Decimal(str(r["cost"])) for r in sample_export.sample_rows())
    assert sum(r["gross"] for r in rows) == expected


def test_a_bigquery_only_construct_is_an_invalid_query(cloud, bigquery_client, tmp_path: Path) -> None:
    from google.api_core.exceptions import BadRequest

    cloud.get(BigQueryServer).load_table(TABLE, write_sample(tmp_path))
    with pytest.raises(BadRequest, match="Query error"):
        bigquery_client.query_and_wait(f"SELECT AS STRUCT 1 AS x FROM `{TABLE}`")
