"""From the aggregate's groups to runs, account charges, totals and JSON, in one DuckDB plan.

The engine leaves its groups (one per run key, SKU, currency and cost type; see `definition.py`) in a
DuckDB table `scan`: in place for export files, loaded from BigQuery's answer otherwise. Everything
that can be large (a real export names thousands of runs with many SKUs each) is decided here, in SQL:
which known run a key belongs to, key precedence, inferred runs that yield to labelled ones, exact
decimal sums, the per-SKU breakdown, variance and flags, and the JSON of runs and orphans. Python
receives what is small (a few rows per currency) or, for text, CSV and HTML, the run rows themselves.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ops.costs.known_runs import SCHEDULE_LABEL, canonical_key
from ops.costs.model import KnownRun, ReconcileSpec, money_str

if TYPE_CHECKING:
    import duckdb

# money_str (model.py) in SQL: exact, at least cents, no trailing zeros beyond them.
# Timestamps as Python's isoformat writes a UTC datetime (the session time zone is UTC).
_MACROS = r"""
CREATE OR REPLACE TEMP MACRO money_text(x) AS regexp_replace(CAST(x AS VARCHAR), '(\.\d\d\d*?)0+$', '\1');
CREATE OR REPLACE TEMP MACRO iso_time(t) AS
  strftime(t, '%Y-%m-%dT%H:%M:%S')
  || CASE WHEN microsecond(t) % 1000000 <> 0 THEN strftime(t, '.%f') ELSE '' END || '+00:00';
"""

# Each group placed: its run key text, the known run it belongs to, its identity and attribution.
# Inferred rows of a run that also has label rows are not the run's (they may be anyone's job).
# Rows with no run key that no known job explains but that carry `tunectl-schedule` (a Cloud Scheduler
# firing's job: its body has no run id) are the schedule's: attribution 'schedule', one entry per
# schedule, named `schedule:<name>` (a colon never occurs in a label value, so never in a run id).
_PLACED = """
CREATE OR REPLACE TEMP TABLE placed AS
WITH groups AS (
  SELECT * FROM scan WHERE counted AND (key_index IS NOT NULL OR is_vertex OR schedule IS NOT NULL)
),
named AS (
  SELECT groups.*,
    CASE WHEN key_index IS NOT NULL THEN $key_names[key_index + 1] || '=' || run_value
         WHEN inferred_run IS NOT NULL THEN $inferred_key || '=' || inferred_run
         WHEN schedule IS NOT NULL THEN $schedule_key || '=' || schedule END AS run_key,
    CASE WHEN key_index IS NOT NULL THEN $canonical_names[key_index + 1] || '=' || run_value END
      AS canonical
  FROM groups
),
matched AS (
  SELECT named.*,
    CASE WHEN key_index IS NOT NULL THEN known_keys.run_id ELSE inferred_run END AS known_run_id,
    CASE WHEN key_index IS NOT NULL THEN COALESCE(known_keys.run_id, canonical)
         ELSE COALESCE(inferred_run, 'schedule:' || schedule) END AS identity,
    CASE WHEN key_index IS NOT NULL THEN 'label' WHEN inferred_run IS NOT NULL THEN 'inferred'
         WHEN schedule IS NOT NULL THEN 'schedule' END AS attribution
  FROM named LEFT JOIN known_keys ON known_keys.canonical_key = named.canonical
)
SELECT matched.*, {placement} AS placement
FROM matched
"""
_YIELDING = """CASE WHEN attribution = 'inferred'
        AND identity IN (SELECT identity FROM matched WHERE attribution = 'label') THEN NULL
       ELSE attribution END"""

# One row per run and currency. The entry is named by the key first in precedence among those its
# rows carry; estimates are list-price forecasts, so variance is against gross (before credits).
_RUNS = """
CREATE OR REPLACE TEMP TABLE runs AS
WITH per_sku AS (
  SELECT identity, placement, currency,
    COALESCE(NULLIF(sku_description, ''), NULLIF(sku_id, ''), '(no SKU)') AS sku,
    SUM(gross) AS gross, SUM(credits) AS credits
  FROM placed WHERE placement IS NOT NULL
  GROUP BY ALL
),
skus AS (
  SELECT identity, placement, currency,
    list_sort(list({'sku': sku, 'gross': gross, 'credits': credits})) AS skus
  FROM per_sku GROUP BY ALL
),
base AS (
  SELECT identity, placement AS attribution, currency,
    -- min over a struct: the first key in precedence (then by text), with its run id
    min({'precedence': COALESCE(key_index, 0), 'run_key': run_key,
         'run_id': COALESCE(known_run_id, run_value, identity)}) AS named,
    max(schedule) AS row_schedule,
    list_sort(list_distinct(list(run_key))) AS matched_keys,
    max(known_run_id) AS known_run_id,
    SUM(gross) AS gross, SUM(credits) AS credits,
    MIN(first_usage) AS first_usage, MAX(last_usage) AS last_usage,
    SUM(row_count) AS row_count
  FROM placed WHERE placement IS NOT NULL
  GROUP BY identity, placement, currency
),
valued AS (
  SELECT base.* EXCLUDE (named, row_schedule), named.run_key AS run_key, named.run_id AS run_id,
    -- the rows' own label first; else the ledger's (labels that never reached the export)
    COALESCE(base.row_schedule, known.schedule) AS schedule,
    base.gross + base.credits AS net, skus.skus,
    known.estimate, known.estimate_text, known.estimate_currency, known.price_table,
    CASE WHEN known.estimate IS NOT NULL AND known.estimate <> 0 AND known.estimate_currency = base.currency
         THEN round(CAST((base.gross - known.estimate) * 100 AS DOUBLE) / CAST(known.estimate AS DOUBLE), 2)
    END AS variance_pct
  FROM base
  JOIN skus ON skus.identity = base.identity AND skus.placement = base.attribution
    AND skus.currency = base.currency
  LEFT JOIN known ON known.run_id = base.known_run_id
)
SELECT valued.*,
  row_number() OVER (ORDER BY first_usage, run_key, currency) AS position,
  $provisional_after IS NOT NULL AND last_usage > $provisional_after AS provisional,
  variance_pct IS NOT NULL AND abs(variance_pct) > $threshold AS variance_flagged,
  known_run_id IS NULL AND attribution = 'label' AS orphan
FROM valued
"""

# The JSON of `cost reconcile`'s runs and orphans, key for key what Reconciliation.as_json() writes.
_RUN_JSON = """
SELECT COALESCE(string_agg(to_json({
  'run_key': run_key, 'run_id': run_id, 'currency': currency,
  'gross': money_text(gross), 'credits': money_text(credits), 'net': money_text(net),
  'first_usage': iso_time(first_usage), 'last_usage': iso_time(last_usage),
  'provisional': provisional, 'attribution': attribution, 'estimate': estimate_text,
  'variance_pct': variance_pct,
  'skus': list_transform(skus, lambda s: {'sku': s.sku, 'net': money_text(s.gross + s.credits)}),
  'variance_flagged': variance_flagged, 'price_table': price_table, 'matched_keys': matched_keys,
  'rows': row_count, 'schedule': schedule
}), ',' ORDER BY position), '')
FROM runs
"""

# Per schedule and currency: what its runs (and the rows attributed to it alone) cost.
_BY_SCHEDULE = """
SELECT schedule, currency, SUM(gross) AS gross, SUM(credits) AS credits,
  COUNT(*) FILTER (WHERE attribution <> 'schedule') AS runs,
  bool_or(attribution = 'schedule') AS has_unnamed_runs
FROM runs WHERE schedule IS NOT NULL
GROUP BY ALL ORDER BY 1, 2
"""
_ORPHAN_JSON = """
SELECT COALESCE(string_agg(to_json({
  'run_key': run_key, 'currency': currency,
  'gross': money_text(gross), 'credits': money_text(credits), 'net': money_text(net),
  'first_usage': iso_time(first_usage), 'last_usage': iso_time(last_usage)
}), ',' ORDER BY position), '')
FROM runs WHERE orphan
"""

# Per currency: money in runs, account charges by cost type, unattributed Vertex AI usage.
_SUMMARY = """
SELECT CASE WHEN placement IS NOT NULL THEN 'run' WHEN charge_type IS NOT NULL THEN 'charge'
            ELSE 'unattributed' END AS kind,
  CASE WHEN placement IS NULL THEN charge_type END AS charge_type, currency,
  SUM(gross) AS gross, SUM(credits) AS credits,
  COALESCE(SUM(gross + credits) FILTER (WHERE is_vertex), 0) AS vertex_net
FROM placed GROUP BY ALL
"""


class Assembly:
    """The placed groups and the run table of one reconciliation, in a DuckDB connection."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: ReconcileSpec,
        known_runs: list[KnownRun],
        *,
        provisional_after: datetime | None,
        threshold: float,
    ) -> None:
        self.con = con
        self.spec = spec
        con.execute(_MACROS)
        self._load_known(known_runs)
        keys = list(spec.run_keys)
        # Without inference candidates no group is inferred: the yielding rule has nothing to do.
        con.execute(
            _PLACED.format(placement=_YIELDING if spec.inferred else "attribution"),
            {
                "key_names": keys,
                "canonical_names": [canonical_key(f"{k}=").removesuffix("=") for k in keys],
                "inferred_key": "tunectl-run-id",
                "schedule_key": SCHEDULE_LABEL,
            },
        )
        con.execute(_RUNS, {"provisional_after": provisional_after, "threshold": threshold})

    def _load_known(self, known_runs: list[KnownRun]) -> None:
        dims = [f", dim_{i} VARCHAR" for i in range(len(self.spec.dimension_keys))]
        self.con.execute("CREATE OR REPLACE TEMP TABLE known_keys (canonical_key VARCHAR, run_id VARCHAR)")
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE known (run_id VARCHAR, estimate DECIMAL(38, 9), "
            f"estimate_text VARCHAR, estimate_currency VARCHAR, price_table VARCHAR, schedule VARCHAR"
            f"{''.join(dims)})"
        )
        index: dict[str, str] = {}
        for run in known_runs:
            for key in run.run_keys:
                index.setdefault(canonical_key(key), run.run_id)
        if index:
            self.con.executemany("INSERT INTO known_keys VALUES (?, ?)", list(index.items()))
        by_id = {run.run_id: run for run in known_runs}
        if by_id:
            self.con.executemany(
                f"INSERT INTO known VALUES ({', '.join('?' for _ in range(6 + len(dims)))})",
                [
                    [
                        run.run_id,
                        run.estimate,
                        money_str(run.estimate) if run.estimate is not None else None,
                        run.estimate_currency,
                        run.price_table,
                        run.schedule,
                        *(known_dimension(run, key) for key in self.spec.dimension_keys),
                    ]
                    for run in by_id.values()
                ],
            )

    def summary(self) -> list[dict[str, Any]]:
        return _dicts(self.con.execute(_SUMMARY))

    def billed_known_ids(self) -> set[str]:
        rows = self.con.execute("SELECT DISTINCT known_run_id FROM runs WHERE known_run_id IS NOT NULL")
        return {row[0] for row in rows.fetchall()}

    def runs_json(self) -> str:
        row = self.con.execute(_RUN_JSON).fetchone()
        return "[" + (row[0] if row else "") + "]"

    def orphans_json(self) -> str:
        row = self.con.execute(_ORPHAN_JSON).fetchone()
        return "[" + (row[0] if row else "") + "]"

    def by_schedule(self) -> list[dict[str, Any]]:
        return _dicts(self.con.execute(_BY_SCHEDULE))

    def schedule_spend(self) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
        """For reports: every placed group's gross and credits by its run's schedule, `(none)` for
        runs no schedule made and for unattributed spend (the same sums as `by_schedule`)."""
        rows = self.con.execute(
            "SELECT COALESCE(runs.schedule, '(none)'), placed.currency, SUM(placed.gross), "
            "SUM(placed.credits) FROM placed LEFT JOIN runs ON runs.identity = placed.identity "
            "AND runs.attribution = placed.placement AND runs.currency = placed.currency "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        return {(value, currency): (gross, credits) for value, currency, gross, credits in rows}

    def run_rows(self) -> list[dict[str, Any]]:
        return _dicts(self.con.execute("SELECT * FROM runs ORDER BY position"))

    def by_dimension(self) -> dict[str, dict[tuple[str, str], tuple[Decimal, Decimal]]]:
        """Per report label: gross and credits by the rows' own label value, else what the ledger
        knows about their run (labels that never reached the export), else `(none)`."""
        result: dict[str, dict[tuple[str, str], tuple[Decimal, Decimal]]] = {}
        for i, key in enumerate(self.spec.dimension_keys):
            rows = self.con.execute(
                f"SELECT COALESCE(placed.dim_{i}, known.dim_{i}, '(none)') AS value, placed.currency, "
                "SUM(gross), SUM(credits) FROM placed LEFT JOIN known ON known.run_id = placed.known_run_id "
                "GROUP BY 1, 2 ORDER BY 1, 2"
            ).fetchall()
            result[key] = {(value, currency): (gross, credits) for value, currency, gross, credits in rows}
        return result

    def daily(self) -> list[tuple[str | None, str, date, Decimal]]:
        """Net per run (its run id; None for spend no run owns) and UTC day, for reports."""
        rows = self.con.execute(
            "SELECT runs.run_id, placed.currency, placed.usage_day, SUM(placed.gross + placed.credits) "
            "FROM placed LEFT JOIN runs ON runs.identity = placed.identity "
            "AND runs.attribution = placed.placement AND runs.currency = placed.currency "
            "GROUP BY ALL ORDER BY 3, 1 NULLS LAST, 2"
        ).fetchall()
        return [(run_id, currency, day, net) for run_id, currency, day, net in rows]

    def monthly(self) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
        rows = self.con.execute(
            "SELECT printf('%04d-%02d', usage_year, usage_month), currency, SUM(gross), SUM(credits) "
            "FROM placed GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        return {(month, currency): (gross, credits) for month, currency, gross, credits in rows}


def freshness(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Rows read per file and problem (NULL: counted, or outside the window) and the newest
    export_time, over every row of the source."""
    return _dicts(
        con.execute(
            "SELECT problem_source AS source_name, problem, MAX(newest_export_time) AS newest_export_time, "
            "SUM(row_count) AS row_count FROM scan GROUP BY 1, 2"
        )
    )


def known_dimension(known: KnownRun, key: str) -> str | None:
    if key == SCHEDULE_LABEL:
        return known.schedule
    return known.labels.get(key)


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
