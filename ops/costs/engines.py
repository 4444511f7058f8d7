"""Where the reconciliation SQL runs: DuckDB over export files, or BigQuery where the export lives."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ops.costs.definition import BigQueryDialect, Dialect, DuckDBDialect, Query, ReconcileQueries
from ops.costs.model import ReconcileSpec
from ops.errors import ExitStatus, TunectlError
from ops.output import working

if TYPE_CHECKING:
    import duckdb
    from google.cloud import bigquery

    from ops.costs.sources import Source

T = TypeVar("T")
_TABLE = re.compile(r"^[a-z][a-z0-9-]{4,61}[a-z0-9]\.[A-Za-z0-9_]{1,1024}\.[A-Za-z0-9_$-]{1,1024}$")


class Engine(Protocol):
    dialect: Dialect
    description: str  # what was read, for reports: file names or the table

    def queries(self, spec: ReconcileSpec) -> ReconcileQueries: ...

    def source_name(self) -> str: ...

    def fetch(self, query: Query) -> list[dict[str, Any]]: ...

    def aggregate(self, query: Query, columns: dict[str, str]) -> duckdb.DuckDBPyConnection:
        """Runs the aggregate query into table `scan` (typed as `columns`) of a DuckDB connection."""
        ...


class DuckDBEngine:
    """DuckDB in-process over Parquet/NDJSON/CSV files; reads only the columns the query needs."""

    dialect: Dialect = DuckDBDialect()

    def __init__(self, paths: Sequence[Path], *, threads: int | None = None) -> None:
        from ops.costs.sources import duckdb_source

        self.con = local_duckdb(threads)
        self.source: Source = duckdb_source(self.con, paths)
        self.description = ", ".join(str(p) for p in paths)

    def queries(self, spec: ReconcileSpec) -> ReconcileQueries:
        return ReconcileQueries(
            spec, self.dialect, self.source.relation, self.source.problem, self.source.source_name
        )

    def source_name(self) -> str:
        return self.source.source_name

    def fetch(self, query: Query) -> list[dict[str, Any]]:
        def work() -> list[dict[str, Any]]:
            cursor = self.con.execute(query.sql, query.params)
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        with self._reading():
            return interruptible(self.con, work)

    def aggregate(self, query: Query, columns: dict[str, str]) -> duckdb.DuckDBPyConnection:
        # The groups never leave DuckDB: the assembly reads them where they are. Each reconciliation
        # gets its own connection (a cursor: same files, own temp tables), so a report's second
        # reconciliation (the trend) cannot overwrite the first one's tables.
        con = self.con.cursor()
        _session(con)
        typed = ", ".join(f"CAST({name} AS {kind}) AS {name}" for name, kind in columns.items())
        sql = f"CREATE OR REPLACE TEMP TABLE scan AS SELECT {typed} FROM ({query.sql})"
        with self._reading(), working(f"reading the billing export ({self.description[:60]})"):
            interruptible(con, lambda: con.execute(sql, query.params))
        return con

    @contextmanager
    def _reading(self) -> Iterator[None]:
        import duckdb

        try:
            yield
        except duckdb.Error as exc:
            # The first line says what failed; the SQL text DuckDB appends is ours, not the user's.
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            raise TunectlError(
                "billing-export-unreadable",
                f"the billing export could not be read: {first_line}",
                where=self.description[:300],
                hint="check the files are complete exports of the billing table",
            ) from exc


def check_table_name(table: str) -> str:
    table = table.strip().strip("`")
    if not _TABLE.match(table):
        raise TunectlError(
            "bigquery-table-invalid",
            f"{table!r} is not a BigQuery table name",
            where="--bigquery-table",
            hint="use project.dataset.table, e.g. "
            "my-project.billing.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9",
        )
    return table


def _parameter(name: str, value: Any) -> Any:
    from google.cloud import bigquery

    if isinstance(value, datetime):
        return bigquery.ScalarQueryParameter(name, "TIMESTAMP", value)
    if isinstance(value, bool):
        return bigquery.ScalarQueryParameter(name, "BOOL", value)
    if isinstance(value, int):
        return bigquery.ScalarQueryParameter(name, "INT64", value)
    return bigquery.ScalarQueryParameter(name, "STRING", str(value))


class BigQueryEngine:
    """The same SQL in BigQuery's dialect, through google-cloud-bigquery (`jobs.query`)."""

    dialect: Dialect = BigQueryDialect()

    def __init__(self, client: bigquery.Client, table: str) -> None:
        self.client = client
        self.table = check_table_name(table)
        self.description = f"bigquery:{self.table}"

    def queries(self, spec: ReconcileSpec) -> ReconcileQueries:
        return ReconcileQueries(spec, self.dialect, f"`{self.table}`", source_name=self.source_name())

    def source_name(self) -> str:
        return "'" + self.table + "'"

    def fetch(self, query: Query) -> list[dict[str, Any]]:
        from google.cloud import bigquery

        from ops.cloud_errors import call_with_retry
        from ops.tuning.timeouts import request_timeout_seconds

        config = bigquery.QueryJobConfig(
            query_parameters=[_parameter(name, value) for name, value in query.params.items()]
        )
        timeout = request_timeout_seconds()

        def run() -> list[dict[str, Any]]:
            # Each request and the wait for the job are bounded by TUNECTL_REQUEST_TIMEOUT; the
            # library's own retries (up to 10 minutes) are off: call_with_retry's are bounded.
            rows = self.client.query_and_wait(
                query.sql,
                job_config=config,
                api_timeout=timeout,
                wait_timeout=timeout,
                retry=None,  # type: ignore[arg-type]  # None turns them off (the library's docs)
                job_retry=None,  # type: ignore[arg-type]
            )
            return [dict(row.items()) for row in rows]

        # A query is a read: safe to repeat on transient errors.
        result = call_with_retry(run, what=f"BigQuery query on {self.table}")
        if result is None:  # pragma: no cover - query_and_wait always returns an iterator
            raise TunectlError(
                "bigquery-no-result", "BigQuery returned no result", status=ExitStatus.CLOUD_API
            )
        return result

    def aggregate(self, query: Query, columns: dict[str, str]) -> duckdb.DuckDBPyConnection:
        # BigQuery sends back the groups (a few per run and SKU); they are assembled locally, by the
        # same SQL as the DuckDB engine's.
        with working(f"querying {self.table} in BigQuery"):
            rows = self.fetch(query)
        con = local_duckdb()
        con.execute("CREATE TEMP TABLE scan (" + ", ".join(f"{n} {t}" for n, t in columns.items()) + ")")
        if rows:
            names = list(columns)
            con.executemany(
                f"INSERT INTO scan VALUES ({', '.join('?' for _ in names)})",
                [[row[n] for n in names] for row in rows],
            )
        return con


def interruptible(con: duckdb.DuckDBPyConnection, work: Callable[[], T]) -> T:
    """Runs DuckDB work so that Ctrl-C stops it at once. DuckDB looks for the signal only now and
    then (measured: 20 s late on a 10M-row scan, then `RuntimeError: Query interrupted`). Python
    writes each signal's number to a wakeup file descriptor the moment it arrives, even while the
    main thread is inside DuckDB; a watcher thread reading it interrupts the query, and the CLI gets
    a KeyboardInterrupt (one line, exit 130)."""
    import os
    import signal
    import threading

    import duckdb

    if threading.current_thread() is not threading.main_thread():
        return work()
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    done = threading.Event()
    interrupted = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if signal.SIGINT in os.read(read_fd, 64) and not done.is_set():
                interrupted.set()
                con.interrupt()

    watcher = threading.Thread(target=watch, name="ctrl-c-watcher", daemon=True)
    watcher.start()
    try:
        return work()
    except (duckdb.Error, RuntimeError) as exc:
        # DuckDB may notice the pending SIGINT itself before the watcher thread runs (a busy machine):
        # its "Query interrupted" is the same Ctrl-C.
        if interrupted.is_set() or "Query interrupted" in str(exc):
            raise KeyboardInterrupt from exc
        raise
    finally:
        done.set()
        signal.set_wakeup_fd(previous)
        os.write(write_fd, b"\0")  # wakes the watcher so it can end
        watcher.join(1)
        os.close(read_fd)
        os.close(write_fd)


def local_duckdb(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect(config={"threads": threads} if threads else {})
    _session(con)
    return con


def _session(con: duckdb.DuckDBPyConnection) -> None:
    # No progress bar: DuckDB draws it on stdout, which belongs to the report (JSON must stay clean).
    con.execute("SET enable_progress_bar = false")
    # Months and windows are UTC, as the export's timestamps are.
    con.execute("SET TimeZone = 'UTC'")
