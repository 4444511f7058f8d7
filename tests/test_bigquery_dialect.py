"""The BigQuery test server accepts only GoogleSQL: parsed with a BigQuery grammar, calling only
BigQuery functions, before DuckDB runs it (tests/cloud/bigquery_dialect.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cloud.bigquery import BigQueryServer
from tests.cloud.bigquery_dialect import NotBigQuery, called_functions, check_bigquery_sql
from tests.cost_fixtures import write_sample

TABLE = "tunectl-test.billing.export"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT list_sum([1, 2])",  # DuckDB: runs; BigQuery: no such function
        "SELECT list_filter(labels, l -> l.key = 'x') FROM t",
        "SELECT strftime(usage_start_time, '%Y-%m') FROM t",
        "SELECT array_sum([1, 2])",  # sqlglot maps it onto a typed node; BigQuery has no ARRAY_SUM
        "SELECT len('abc')",
        "SELECT bool_or(x) FROM t",
    ],
)
def test_duckdb_only_functions_are_refused_by_name(sql: str) -> None:
    with pytest.raises(NotBigQuery, match="Function not found"):
        check_bigquery_sql(sql)


@pytest.mark.parametrize("sql", ["SELEC 1", "SELECT (1", "SELECT 1 FROM t WHERE"])
def test_text_that_is_not_a_bigquery_query_is_a_syntax_error(sql: str) -> None:
    with pytest.raises(NotBigQuery, match="Syntax error"):
        check_bigquery_sql(sql)


def test_googlesql_idioms_pass() -> None:
    sql = (
        "WITH scoped AS (SELECT ARRAY(SELECT l.value FROM UNNEST(labels) AS l WHERE l.key = @key) AS v, "
        "IFNULL((SELECT SUM(CAST(c.amount AS NUMERIC)) FROM UNNEST(credits) AS c), 0) AS credits, "
        "EXTRACT(MONTH FROM usage_start_time) AS m, SAFE.SUBSTR(currency, 1, 3) AS cur "
        "FROM `p.d.t`, UNNEST(t.labels) AS x WHERE currency IN ('USD') AND EXISTS (SELECT 1)) "
        "SELECT COUNTIF(m > 1) OVER (PARTITION BY cur) FROM scoped"
    )
    check_bigquery_sql(sql)
    assert called_functions(sql) == [
        "ARRAY",
        "UNNEST",
        "IFNULL",
        "SUM",
        "CAST",
        "UNNEST",
        "EXTRACT",
        "SUBSTR",
        "UNNEST",
        "COUNTIF",
    ]


def test_the_server_answers_a_duckdb_only_function_with_invalid_query(
    cloud, bigquery_client, tmp_path: Path
) -> None:
    from google.api_core.exceptions import BadRequest

    server = cloud.get(BigQueryServer)
    server.load_table(TABLE, write_sample(tmp_path))
    # DuckDB would run this and sum the credits; BigQuery would refuse it.
    with pytest.raises(BadRequest, match="Function not found: list_sum"):
        bigquery_client.query_and_wait(
            f"SELECT list_sum(list_transform(credits, c -> c.amount)) AS credits FROM `{TABLE}`"
        )
