"""The local run ledger: one SQLite row per run tunectl launched or found by its label.

Why SQLite: one file, transactions (a crash mid-write leaves the previous state), concurrent readers,
and the cost reconciliation (issue 9) joins estimates to billed cost through `Ledger.runs()`.
The schema is versioned in `PRAGMA user_version`; `MIGRATIONS[i]` upgrades version i to i+1, each
inside the transaction that bumps the version. The ledger is a cache of what the API knows plus what
only we know (estimates, dataset digests): `tunectl tune sync` rebuilds the API half.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ops.errors import ExitStatus, TunectlError

SCHEMA_VERSION = 3

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        engine TEXT NOT NULL,
        method TEXT,
        base_model TEXT,
        region TEXT,
        display_name TEXT,
        datasets TEXT NOT NULL DEFAULT '[]',      -- JSON [{role, uri, sha256}]
        parameters TEXT NOT NULL DEFAULT '{}',    -- JSON: what the run id was derived from
        labels TEXT NOT NULL DEFAULT '{}',        -- JSON: labels sent with the job
        billing_ids TEXT NOT NULL DEFAULT '[]',   -- JSON: vertex-ai-pipelines-run-billing-id values
        estimate_amount TEXT,                      -- exact decimal, as text
        estimate_currency TEXT,
        price_table_id TEXT,
        job_name TEXT,
        state TEXT,
        error TEXT,
        tuned_model TEXT,
        endpoint TEXT,
        created_at TEXT,
        started_at TEXT,
        ended_at TEXT,
        recorded_at TEXT NOT NULL,
        source TEXT NOT NULL                       -- launch | sync
    );
    CREATE INDEX runs_job_name ON runs(job_name);
    """,
    # v2: how the launch passed its gate (verdict, waived unknowns, --skip-preflight), for the record.
    """
    ALTER TABLE runs ADD COLUMN preflight TEXT NOT NULL DEFAULT '{}';
    """,
    # v3 (#19): the schedule whose firing created the run (its `tunectl-schedule` label), else NULL.
    """
    ALTER TABLE runs ADD COLUMN schedule TEXT;
    """,
)


@dataclass(frozen=True)
class RunRecord:
    """One run as the ledger knows it. Money is a Decimal; times are UTC ISO-8601 strings."""

    run_id: str
    engine: str
    method: str | None = None
    base_model: str | None = None
    region: str | None = None
    display_name: str | None = None
    datasets: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    billing_ids: list[str] = field(default_factory=list)
    estimate_amount: Decimal | None = None
    estimate_currency: str | None = None
    price_table_id: str | None = None
    job_name: str | None = None
    state: str | None = None
    error: str | None = None
    tuned_model: str | None = None
    endpoint: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    recorded_at: str = ""
    source: str = "launch"
    preflight: dict[str, Any] = field(default_factory=dict)  # {verdict, waived, skipped}
    schedule: str | None = None  # scheduled runs (#19)


_JSON_FIELDS = {"datasets", "parameters", "labels", "billing_ids", "preflight"}
_COLUMNS = tuple(f.name for f in fields(RunRecord))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _to_row(record: RunRecord) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in _COLUMNS:
        value = getattr(record, name)
        if name in _JSON_FIELDS:
            value = json.dumps(value, sort_keys=True)
        elif isinstance(value, Decimal):
            value = format(value, "f")
        row[name] = value
    return row


def _from_row(row: sqlite3.Row) -> RunRecord:
    values: dict[str, Any] = {}
    for name in _COLUMNS:
        value = row[name]
        if name in _JSON_FIELDS:
            value = json.loads(value)
        elif name == "estimate_amount" and value is not None:
            value = Decimal(value)
        values[name] = value
    return RunRecord(**values)


def busy_timeout() -> float:
    """Seconds to wait for another tunectl holding the ledger (TUNECTL_LEDGER_TIMEOUT, default 10)."""
    try:
        return max(0.0, float(os.environ.get("TUNECTL_LEDGER_TIMEOUT", "10")))
    except ValueError:
        return 10.0


def _busy(path: Path, exc: sqlite3.OperationalError) -> TunectlError | None:
    """A ledger another process holds is busy, not broken: wait and retry, never move it away."""
    if "locked" not in str(exc) and "busy" not in str(exc):
        return None
    return TunectlError(
        "ledger-busy",
        f"the run ledger is in use by another tunectl (waited {busy_timeout():g} s): {exc}",
        where=str(path),
        hint="wait for the other command to finish, then retry",
        status=ExitStatus.USAGE,
    )


class Ledger:
    """Open with `Ledger(path)`; every write is one transaction.

    `create=False` is for commands that only read: when there is no ledger file they get an empty
    ledger in memory (`missing` is True) and leave no file behind."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        self.missing = not create and not self.path.exists()
        try:
            if not self.missing:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a writer takes the lock up
            # front instead of failing halfway through a read-modify-write.
            self._conn = sqlite3.connect(
                ":memory:" if self.missing else self.path, timeout=busy_timeout(), isolation_level=None
            )
            self._conn.row_factory = sqlite3.Row
            self._migrate()
        except sqlite3.OperationalError as exc:
            busy = _busy(self.path, exc)
            if busy is None:
                raise self._unreadable(exc) from exc
            raise busy from exc
        except sqlite3.DatabaseError as exc:
            raise self._unreadable(exc) from exc

    def _unreadable(self, exc: sqlite3.DatabaseError) -> TunectlError:
        return TunectlError(
            "ledger-unreadable",
            f"the run ledger cannot be opened: {exc}",
            where=str(self.path),
            hint="move the file away and run `tunectl tune sync` to rebuild it from the API",
            status=ExitStatus.USAGE,
        )

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            busy = _busy(self.path, exc)
            if busy is None:
                raise
            raise busy from exc
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise TunectlError(
                "ledger-too-new",
                f"the run ledger has schema version {version}; this tunectl knows up to {SCHEMA_VERSION}",
                where=str(self.path),
                hint="upgrade tunectl, or point --ledger at another file",
            )
        for target in range(version, SCHEMA_VERSION):
            with self._transaction() as conn:
                # Another tunectl may have applied this step while we waited for the lock.
                if self.schema_version() > target:
                    continue
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target + 1}")

    def get(self, run_id: str) -> RunRecord | None:
        row = self._conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return _from_row(row) if row else None

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first: the read API the cost reconciliation uses."""
        rows = self._conn.execute("SELECT * FROM runs ORDER BY COALESCE(created_at, recorded_at), run_id")
        return [_from_row(row) for row in rows]

    def find(self, prefix: str) -> RunRecord | None:
        """A run by its id, an unambiguous id prefix, or its job resource name."""
        exact = self.get(prefix)
        if exact:
            return exact
        rows = self._conn.execute(
            "SELECT * FROM runs WHERE run_id LIKE ? ESCAPE '\\' OR job_name = ?",
            (prefix.replace("%", "\\%").replace("_", "\\_") + "%", prefix),
        ).fetchall()
        if len(rows) > 1:
            raise TunectlError(
                "run-ambiguous",
                f"{prefix!r} matches {len(rows)} runs: {', '.join(r['run_id'] for r in rows[:5])}",
                hint="give more characters of the run id",
            )
        return _from_row(rows[0]) if rows else None

    def record(self, record: RunRecord) -> RunRecord:
        """Insert or replace a run in one transaction."""
        stamped = replace(record, recorded_at=_now())
        row = _to_row(stamped)
        columns = ", ".join(row)
        placeholders = ", ".join(f":{name}" for name in row)
        with self._transaction() as conn:
            conn.execute(f"INSERT OR REPLACE INTO runs ({columns}) VALUES ({placeholders})", row)
        return stamped

    def merge(self, observed: RunRecord) -> RunRecord:
        """Refresh a run from what the API reports, keeping what only the ledger knows.

        The API knows state, times, labels, billing ids, tuned model and endpoint; the ledger alone
        knows the cost estimate, the price table, dataset digests and our parameters. Read and write
        happen in one transaction, so two concurrent syncs cannot lose each other's fields.
        """
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (observed.run_id,)).fetchone()
            merged = observed
            if row is not None:
                known = _from_row(row)
                updates = {
                    name: getattr(observed, name)
                    for name in _COLUMNS
                    if name not in {"recorded_at", "source"} and getattr(observed, name) not in (None, [], {})
                }
                if known.billing_ids or observed.billing_ids:
                    updates["billing_ids"] = sorted({*known.billing_ids, *observed.billing_ids})
                merged = replace(known, **updates)
            merged = replace(merged, recorded_at=_now())
            row_values = _to_row(merged)
            columns = ", ".join(row_values)
            placeholders = ", ".join(f":{name}" for name in row_values)
            conn.execute(f"INSERT OR REPLACE INTO runs ({columns}) VALUES ({placeholders})", row_values)
        return merged

    def delete(self, run_id: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
