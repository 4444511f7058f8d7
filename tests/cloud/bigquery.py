"""BigQuery v2 jobs (query, getQueryResults, insert, get) executing GoogleSQL in DuckDB.

Why execute instead of serving fixed results: the point of this server is to prove that the
BigQuery-dialect SQL `ops.costs.definition` generates gives the same answer as its DuckDB-dialect
twin on the same rows. Fixed results would only prove the client plumbing.

Why that proof is not just a test of a translator: the BigQuery text is run almost verbatim. Our
generator writes its BigQuery dialect with constructs DuckDB also executes with the same meaning
(ARRAY subqueries over `UNNEST`, `IFNULL`, `EXTRACT(... FROM ts)`, `CAST(... AS STRING)`, `FROM t,
UNNEST(t.x) AS c`), and this server only rewrites three tokens, outside string literals:
  - `` `project.dataset.table` `` -> the DuckDB table the test loaded under that name;
  - `@param` -> `$param` (named parameters, values from `queryParameters`);
  - `NUMERIC` -> `DECIMAL(38, 9)`, BigQuery's definition of NUMERIC (DuckDB's NUMERIC is (18, 3),
    which would round money: the trap DESIGN.md section 5 records for sqlglot).
Anything else BigQuery-only fails in DuckDB and comes back as BigQuery's `invalidQuery` 400; and
before it runs, the text is parsed with a BigQuery grammar and every function it calls must be a
BigQuery function (`tests/cloud/bigquery_dialect.py`), so DuckDB-only SQL cannot pass either.

What it cannot prove: BigQuery's own FLOAT64->NUMERIC rounding, `UNNEST` ordering, or its planner;
those are argued in docs-drafts/9.md. Requests and responses are checked against the bigquery.v2
discovery document like every server here.
"""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.cloud.bigquery_dialect import NotBigQuery, check_bigquery_sql
from tests.cloud.contract import DiscoveryContract
from tests.cloud.server import ApiError, ApiServer, Call, handles

_TOKENS = re.compile(r"('(?:[^'\\]|\\.)*')|`([^`]+)`|@([A-Za-z_][A-Za-z0-9_]*)|\b(NUMERIC)\b", re.IGNORECASE)
DEFAULT_PAGE_ROWS = 1000


def translate(sql: str, tables: dict[str, str]) -> str:
    """The three lexical rewrites above; string literals pass through untouched."""

    def replace(match: re.Match[str]) -> str:
        literal, table, param, numeric = match.groups()
        if literal is not None:
            return literal
        if table is not None:
            if table not in tables:
                raise ApiError(404, f"Not found: Table {table} was not found", reason="notFound")
            return f'"{tables[table]}"'
        if param is not None:
            return f"${param}"
        assert numeric is not None
        return "DECIMAL(38, 9)"

    return _TOKENS.sub(replace, sql)


def _parameter_value(parameter: dict[str, Any]) -> Any:
    kind = parameter["parameterType"]["type"]
    value = parameter.get("parameterValue", {}).get("value")
    if value is None:
        return None
    if kind == "TIMESTAMP":
        return datetime.fromisoformat(value.replace(" UTC", "+00:00")).astimezone(UTC)
    if kind in {"INT64", "INTEGER"}:
        return int(value)
    if kind in {"NUMERIC", "BIGNUMERIC"}:
        return Decimal(value)
    if kind in {"FLOAT64", "FLOAT"}:
        return float(value)
    if kind in {"BOOL", "BOOLEAN"}:
        return value.lower() == "true"
    if kind == "STRING":
        return value
    raise ApiError(400, f"Unsupported query parameter type {kind} in this test server", reason="invalidQuery")


def _schema_type(arrow_type: Any) -> str:
    import pyarrow as pa

    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_integer(arrow_type):
        return "INTEGER"
    if pa.types.is_decimal(arrow_type):
        return "NUMERIC" if arrow_type.scale <= 9 and arrow_type.precision <= 38 else "BIGNUMERIC"
    if pa.types.is_floating(arrow_type):
        return "FLOAT"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "STRING"
    raise ApiError(
        400, f"Result type {arrow_type} is not supported by this test server", reason="invalidQuery"
    )


def _cell(value: Any, kind: str, int64_timestamps: bool) -> Any:
    """BigQuery's JSON cell encoding: every scalar is a string."""
    if value is None:
        return None
    if kind == "BOOLEAN":
        return "true" if value else "false"
    if kind == "TIMESTAMP":
        micros = int(value.timestamp()) * 1_000_000 + value.microsecond
        return str(micros) if int64_timestamps else f"{micros / 1_000_000:.6f}"
    if kind in {"NUMERIC", "BIGNUMERIC"}:
        return format(value.normalize(), "f") if value != 0 else "0"
    return str(value)


def _path(call: Call, name: str, *aliases: str) -> str:
    """Path parameters are named `projectId` (path template) or `projectsId` (flatPath); a job is
    `jobsId` under jobs/ and `queriesId` under queries/."""
    for key in (f"{name}Id", f"{name}sId", *aliases):
        if key in call.path_params:
            return call.path_params[key]
    raise ApiError(400, f"missing path parameter {name}")


class BigQueryServer(ApiServer):
    settings_field = "bigquery_endpoint"
    default_port = 8793

    def make_contract(self) -> DiscoveryContract:
        return DiscoveryContract("bigquery", "v2")

    def reset(self) -> None:
        import duckdb

        self._db_lock = threading.Lock()
        self.db = duckdb.connect()
        self.db.execute("SET TimeZone = 'UTC'")
        self.tables: dict[str, str] = {}  # "project.dataset.table" -> DuckDB table name
        self.jobs: dict[tuple[str, str], dict[str, Any]] = {}
        self.queries: list[str] = []  # SQL as received, for tests to inspect

    # -- test controls -------------------------------------------------------------------------

    def load_table(self, table: str, parquet: Path) -> None:
        """Make `project.dataset.table` hold the rows of a Parquet billing export (its schema kept)."""
        name = "t_" + re.sub(r"[^A-Za-z0-9_]", "_", table)
        path = str(parquet).replace("'", "''")
        with self._db_lock:
            self.db.execute(f"CREATE OR REPLACE TABLE \"{name}\" AS SELECT * FROM read_parquet('{path}')")
        self.tables[table] = name

    # -- running queries -----------------------------------------------------------------------

    def _run(
        self, project: str, query: dict[str, Any], job_id: str, int64_timestamps: bool
    ) -> dict[str, Any]:
        import duckdb

        if query.get("useLegacySql", True) is not False:
            raise ApiError(
                400, "This test server runs GoogleSQL only: set useLegacySql=false", reason="invalid"
            )
        self.queries.append(query["query"])
        try:
            check_bigquery_sql(query["query"])  # GoogleSQL as BigQuery parses it, not only as DuckDB runs it
        except NotBigQuery as exc:
            raise ApiError(400, str(exc), reason="invalidQuery") from None
        sql = translate(query["query"], self.tables)
        params = {p["name"]: _parameter_value(p) for p in query.get("queryParameters", [])}
        try:
            with self._db_lock:
                table = self.db.sql(sql, params=params).to_arrow_table()
        except duckdb.Error as exc:
            raise ApiError(
                400, f"Query error: {' '.join(str(exc).split())[:500]}", reason="invalidQuery"
            ) from exc
        kinds = [_schema_type(field.type) for field in table.schema]
        rows = [
            {
                "f": [
                    {"v": _cell(value, kind, int64_timestamps)}
                    for value, kind in zip(row, kinds, strict=True)
                ]
            }
            for row in zip(*(column.to_pylist() for column in table.columns), strict=True)
        ]
        schema = {
            "fields": [
                {"name": field.name, "type": kind, "mode": "NULLABLE"}
                for field, kind in zip(table.schema, kinds, strict=True)
            ]
        }
        return {"project": project, "job_id": job_id, "schema": schema, "rows": rows, "query": query}

    def _reference(self, job: dict[str, Any]) -> dict[str, str]:
        return {"projectId": job["project"], "jobId": job["job_id"], "location": "US"}

    def _page(self, job: dict[str, Any], max_results: Any, page_token: Any) -> dict[str, Any]:
        start = int(page_token) if page_token else 0
        size = int(max_results) if max_results else DEFAULT_PAGE_ROWS
        rows = job["rows"][start : start + size]
        body: dict[str, Any] = {
            "jobReference": self._reference(job),
            "schema": job["schema"],
            "totalRows": str(len(job["rows"])),
            "jobComplete": True,
            "cacheHit": False,
        }
        if rows:
            body["rows"] = rows
        if start + size < len(job["rows"]):
            body["pageToken"] = str(start + size)
        return body

    @handles("bigquery.jobs.query")
    def query(self, call: Call) -> dict[str, Any]:
        project = _path(call, "project")
        body = call.body or {}
        int64 = bool(body.get("formatOptions", {}).get("useInt64Timestamp"))
        job_id = body.get("requestId") or f"job_{uuid.uuid4().hex}"
        job = self._run(project, body, job_id, int64)
        self.jobs[(project, job_id)] = job
        return {"kind": "bigquery#queryResponse", **self._page(job, body.get("maxResults"), None)}

    @handles("bigquery.jobs.getQueryResults")
    def get_query_results(self, call: Call) -> dict[str, Any]:
        job = self._job(call)
        body = self._page(job, call.query.get("maxResults"), call.query.get("pageToken"))
        if call.query.get("formatOptions.useInt64Timestamp", "false").lower() != "true":
            for row in body.get("rows", []):
                for cell, field in zip(row["f"], job["schema"]["fields"], strict=True):
                    if field["type"] == "TIMESTAMP" and cell["v"] is not None and "." not in cell["v"]:
                        cell["v"] = f"{int(cell['v']) / 1_000_000:.6f}"
        return {"kind": "bigquery#getQueryResultsResponse", **body}

    @handles("bigquery.jobs.insert")
    def insert(self, call: Call) -> dict[str, Any]:
        project = _path(call, "project")
        body = call.body or {}
        query = body.get("configuration", {}).get("query")
        if not query:
            raise ApiError(400, "This test server runs query jobs only", reason="invalid")
        job_id = body.get("jobReference", {}).get("jobId") or f"job_{uuid.uuid4().hex}"
        if (project, job_id) in self.jobs:
            raise ApiError(409, f"Already Exists: Job {project}:US.{job_id}", reason="duplicate")
        job = self._run(project, query, job_id, True)
        self.jobs[(project, job_id)] = job
        return self._job_resource(job)

    @handles("bigquery.jobs.get")
    def get(self, call: Call) -> dict[str, Any]:
        return self._job_resource(self._job(call))

    def _job(self, call: Call) -> dict[str, Any]:
        key = (_path(call, "project"), _path(call, "job", "queriesId"))
        if key not in self.jobs:
            raise ApiError(404, f"Not found: Job {key[0]}:{key[1]}", reason="notFound")
        return self.jobs[key]

    def _job_resource(self, job: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": "bigquery#job",
            "id": f"{job['project']}:US.{job['job_id']}",
            "jobReference": self._reference(job),
            "configuration": {"query": job["query"], "jobType": "QUERY"},
            "status": {"state": "DONE"},
            "statistics": {"query": {"totalBytesProcessed": "0", "statementType": "SELECT"}},
        }
