"""The reconciliation, defined once and rendered as SQL for DuckDB or BigQuery.

Both engines read the export's own schema (`service.id`, `labels[{key,value}]`, `credits[{amount,type}]`,
...), so the query text differs only where the engines do: how labels are looked up (a run key in
precedence order, a dimension label), how credits are summed, how an exact decimal is spelled, and
how parameters are written. Those spellings live in the two `Dialect` classes; everything else (scope,
window, Vertex AI, inferred attribution, grouping, freshness) is written once below.

DuckDB gets list functions (`list_filter`, `list_sum(list_transform(...))`): about 20x faster there
than the `FROM t, UNNEST(labels)` shape of Google's example billing queries
(benchmarks/reconcile_realistic.py). BigQuery gets ARRAY subqueries
over `UNNEST`, its documented idiom. Money is cast per row to DECIMAL(38,9) / NUMERIC (BigQuery's
NUMERIC *is* 38 digits with 9 after the point), then summed exactly; Python only adds Decimals.

The queries aggregate to a few rows per run, SKU and currency (`GROUP_COLUMNS`); `assemble.py` turns
those groups into runs, totals and JSON in DuckDB, whichever engine produced them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from ops.costs.known_runs import SCHEDULE_LABEL
from ops.costs.model import VERTEX_AI_SERVICE_DESCRIPTION, VERTEX_AI_SERVICE_ID, ReconcileSpec

# Columns a row needs to be counted; a row missing any of them is skipped and counted per column.
# Not service.id: a run-keyed row counts whatever its service, and Vertex AI is its id *or* its
# description.
REQUIRED_VALUES: tuple[str, ...] = ("cost", "currency", "usage_start_time", "usage_end_time")


SOURCE_COLUMNS = (
    "service",
    "sku",
    "project",
    "labels",
    "credits",
    "cost",
    "currency",
    "usage_start_time",
    "usage_end_time",
    "export_time",
    "invoice",
    "cost_type",
)

# The aggregate's columns and their DuckDB types: groups that come back from BigQuery are loaded into a
# local DuckDB table of this shape, so one assembly (assemble.py) serves both engines.
GROUP_COLUMNS: dict[str, str] = {
    "counted": "BOOLEAN",
    "problem_source": "VARCHAR",
    "problem": "VARCHAR",
    "key_index": "INTEGER",
    "run_value": "VARCHAR",
    "inferred_run": "VARCHAR",
    # The row's `tunectl-schedule` label: which schedule's firing made the job (Cloud Scheduler bodies
    # carry it, never a run id), so scheduled spend is attributed even when no run key reached the export.
    "schedule": "VARCHAR",
    "is_vertex": "BOOLEAN",
    "currency": "VARCHAR",
    "sku_id": "VARCHAR",
    "charge_type": "VARCHAR",
    "sku_description": "VARCHAR",
    "gross": "DECIMAL(38, 9)",
    "credits": "DECIMAL(38, 9)",
    "first_usage": "TIMESTAMPTZ",
    "last_usage": "TIMESTAMPTZ",
    "row_count": "BIGINT",
    "newest_export_time": "TIMESTAMPTZ",
}


def group_columns(spec: ReconcileSpec) -> dict[str, str]:
    extra = {f"dim_{i}": "VARCHAR" for i in range(len(spec.dimension_keys))}
    if spec.by_month:
        extra |= {"usage_year": "BIGINT", "usage_month": "BIGINT"}
    if spec.by_day:
        extra |= {"usage_day": "DATE"}
    return GROUP_COLUMNS | extra


class Dialect(Protocol):
    name: str

    def param(self, name: str) -> str: ...

    def label_value(self, key_param: str) -> str: ...

    def run_key_columns(self, key_params: list[str], schedule_param: str) -> list[str]: ...

    def run_key_fields(self, key_params: list[str], schedule_param: str) -> tuple[str, str, str]: ...

    def credit_columns(self) -> list[str]: ...

    def credits_sum(self) -> str: ...

    def money_problem(self) -> str: ...

    def decimal(self, expr: str) -> str: ...


class DuckDBDialect:
    name = "duckdb"

    def param(self, name: str) -> str:
        return f"${name}"

    def label_value(self, key_param: str) -> str:
        return f"NULLIF(list_filter(labels, lambda l: l.key = {key_param})[1].value, '')"

    def run_key_columns(self, key_params: list[str], schedule_param: str) -> list[str]:
        # One pass over the labels for all run keys and the schedule label (last in precedence); the
        # precedence sort only runs for the rare row that carries several of them (measured: three
        # separate lookups cost ~2x the scan).
        keys = f"[{', '.join([*key_params, schedule_param])}]"
        ranked = (
            f"list_transform(list_sort(list_transform(run_hits, lambda l: "
            f"{{'p': list_position({keys}, l.key), 'key': l.key, 'value': l.value}})), "
            "lambda s: {'key': s.key, 'value': s.value})[1]"
        )
        return [
            f"list_filter(labels, lambda l: list_contains({keys}, l.key) AND l.value <> '') AS run_hits",
            f"CASE WHEN len(run_hits) <= 1 THEN run_hits[1] ELSE {ranked} END AS run_hit",
        ]

    def run_key_fields(self, key_params: list[str], schedule_param: str) -> tuple[str, str, str]:
        # The first hit is the schedule label only when the row has no run key: no key index, no value.
        # The schedule comes from the hits already found: the first one when it is the schedule label,
        # else (a row with a run key too) the short hit list searched again. Read from the stored hits
        # (the CTE after the one that finds them): measured, reading them in the same SELECT costs
        # 12% more CPU on a 2M-row export, DuckDB evaluating the label search again.
        return (
            f"list_position([{', '.join(key_params)}], run_hit.key) - 1",
            f"CASE WHEN run_hit.key <> {schedule_param} THEN run_hit.value END",
            f"CASE WHEN run_hit.key = {schedule_param} THEN run_hit.value WHEN len(run_hits) > 1 "
            f"THEN list_filter(run_hits, lambda l: l.key = {schedule_param})[1].value END",
        )

    def credit_columns(self) -> list[str]:
        # Each amount cast once; the sum and the check below both read this list.
        return [f"list_transform(credits, lambda c: {self.decimal('c.amount')}) AS credit_values"]

    def credits_sum(self) -> str:
        return "COALESCE(list_sum(credit_values), CAST(0 AS DECIMAL(38, 9)))"

    def money_problem(self) -> str:
        # Money DECIMAL(38, 9) cannot hold (NaN, infinities, 1e300, text in a number column): the row
        # is skipped and counted under that column instead of aborting the query.
        return (
            "CASE WHEN cost IS NOT NULL AND gross_value IS NULL THEN 'cost' "
            "WHEN list_count(credit_values) <> list_count(list_transform(credits, lambda c: c.amount)) "
            "THEN 'credits.amount' END"
        )

    def decimal(self, expr: str) -> str:
        # TRY_CAST: the source counts a row whose money does not fit (NaN, 1e300) and filters it out,
        # but a plain CAST could still be evaluated for it before the filter and abort the query.
        return f"TRY_CAST({expr} AS DECIMAL(38, 9))"


class BigQueryDialect:
    name = "bigquery"

    def param(self, name: str) -> str:
        return f"@{name}"

    def label_value(self, key_param: str) -> str:
        # Label keys are unique within a row (they come from a map), so LIMIT 1 picks the only match.
        return f"NULLIF((SELECT l.value FROM UNNEST(labels) AS l WHERE l.key = {key_param} LIMIT 1), '')"

    def run_key_columns(self, key_params: list[str], schedule_param: str) -> list[str]:
        return [
            *(f"{self.label_value(param)} AS k{i}" for i, param in enumerate(key_params)),
            f"{self.label_value(schedule_param)} AS schedule_label",
        ]

    def run_key_fields(self, key_params: list[str], schedule_param: str) -> tuple[str, str, str]:
        precedence = " ".join(f"WHEN k{i} IS NOT NULL THEN {i}" for i in range(len(key_params)))
        run_value = f"COALESCE({', '.join(f'k{i}' for i in range(len(key_params)))})"
        return f"CASE {precedence} END", run_value, "schedule_label"

    def credit_columns(self) -> list[str]:
        return ["IFNULL((SELECT SUM(CAST(c.amount AS NUMERIC)) FROM UNNEST(credits) AS c), 0) AS credit_sum"]

    def credits_sum(self) -> str:
        return "credit_sum"

    def money_problem(self) -> str:
        # The table's FLOAT64 columns come from Cloud Billing itself; a bad value fails the query.
        return "CAST(NULL AS STRING)"

    def decimal(self, expr: str) -> str:
        return f"CAST({expr} AS NUMERIC)"


@dataclass(frozen=True)
class Query:
    sql: str
    params: dict[str, Any]


class ReconcileQueries:
    """Renders the reconciliation for one dialect over one source relation (a table or subquery)."""

    def __init__(
        self,
        spec: ReconcileSpec,
        dialect: Dialect,
        source: str,
        row_problem: str | None = None,
        source_name: str = "NULL",
    ) -> None:
        self.spec = spec
        self.d = dialect
        self.source = source
        # An expression naming each row's file (or the table), for the skipped-row counts.
        self.source_name = source_name
        # A source-specific expression naming the column a row failed to parse in (files), else None.
        self.row_problem = row_problem
        self.params: dict[str, Any] = {}

    def _bind(self, name: str, value: Any) -> str:
        self.params[name] = value
        return self.d.param(name)

    def _in_window(self) -> str:
        window = self.spec.window
        clauses = []
        if window.start is not None:
            clauses.append(f"usage_start_time >= {self._bind('window_start', window.start)}")
        if window.end is not None:
            clauses.append(f"usage_start_time < {self._bind('window_end', window.end)}")
        if window.invoice_month is not None:
            clauses.append(f"invoice.month = {self._bind('invoice_month', window.invoice_month)}")
        return " AND ".join(clauses) or "TRUE"

    def _problem(self) -> str:
        """The column that keeps a row from being counted: unparsable in its file, missing, or money
        the engine cannot hold exactly. NULL for a good row."""
        checks = " ".join(f"WHEN {column} IS NULL THEN '{column}'" for column in REQUIRED_VALUES)
        parts = [f"CASE {checks} END", "money_problem"]
        if self.row_problem:
            parts.insert(0, self.row_problem)
        return f"COALESCE({', '.join(parts)})"

    def _scan(self, *, counted_only: bool, with_credit_list: bool = False) -> str:
        """CTEs ending in `keyed`: one row per export row, with `counted` (good and in the window),
        `problem`, and, for counted rows, run-key values, the Vertex AI flag and exact money. With
        `counted_only` the other rows are filtered out (small report queries); otherwise they stay,
        with NULL keys and money, so one pass also counts what was read and skipped."""
        key_params = [self._bind(f"run_key_{i}", key) for i, key in enumerate(self.spec.run_keys)]
        schedule_param = self._bind("schedule_key", SCHEDULE_LABEL)
        vertex_id = self._bind("vertex_service_id", VERTEX_AI_SERVICE_ID)
        vertex_name = self._bind("vertex_service_description", VERTEX_AI_SERVICE_DESCRIPTION)
        guarded = [
            *self.d.run_key_columns(key_params, schedule_param),
            *(
                f"{self.d.label_value(self._bind(f'dim_key_{i}', key))} AS dim_{i}"
                for i, key in enumerate(self.spec.dimension_keys)
            ),
            f"COALESCE(service.id = {vertex_id} OR service.description = {vertex_name}, FALSE) AS is_vertex",
            "currency",
            "sku.id AS sku_id",
            "sku.description AS sku_description",
            "project.id AS project_id",
            "gross_value AS gross",
            f"{self.d.credits_sum()} AS credits",
            "usage_start_time",
            "usage_end_time",
            "cost_type",
        ]
        if with_credit_list:
            guarded.append("credits AS credit_list")
        # Only counted rows pay for label lookups; the others keep NULLs (CASE skips the work).
        columns = guarded if counted_only else [_guard(column) for column in guarded]
        key_index, run_value, schedule = self.d.run_key_fields(key_params, schedule_param)
        money = ", ".join([f"{self.d.decimal('cost')} AS gross_value", *self.d.credit_columns()])
        # Only the columns the reconciliation reads (BigQuery bills by the columns a query names).
        read = [*SOURCE_COLUMNS, *([self.row_problem] if self.row_problem else [])]
        select_list = ",\n    ".join(["counted", "problem", "row_source", "export_time", *columns])
        return (
            f"money AS (\n  SELECT {', '.join(read)}, {self.source_name} AS row_source, {money}\n"
            f"  FROM {self.source}\n),\n"
            f"checked AS (\n  SELECT *, {self.d.money_problem()} AS money_problem FROM money\n),\n"
            f"marked AS (\n  SELECT *, {self._problem()} AS problem FROM checked\n),\n"
            "window_marked AS (\n  SELECT *, "
            f"COALESCE(problem IS NULL AND {self._in_window()}, FALSE) AS counted\n  FROM marked\n),\n"
            f"scoped AS (\n  SELECT {select_list}\n  FROM window_marked"
            f"{chr(10) + '  WHERE counted' if counted_only else ''}\n),\n"
            f"keyed AS (\n  SELECT *, {key_index} AS key_index, {run_value} AS run_value,\n"
            f"    {schedule} AS schedule\n"
            "  FROM scoped\n)"
        )

    def _inferred_run(self) -> str:
        """Gemini tuning jobs whose labels never reached the export: project + Vertex AI + tuning SKU +
        the job's time window. Only rows with no run key at all are candidates, so inferred rows never
        mix with labelled ones. Overlapping unlabelled jobs in one project go to the earliest job."""
        if not self.spec.inferred:
            return "CAST(NULL AS STRING)"  # both engines know STRING
        pattern = self._bind("tuning_sku_pattern", f"%{self.spec.tuning_sku_pattern.lower()}%")
        branches = []
        for i, job in enumerate(sorted(self.spec.inferred, key=lambda j: (j.start, j.run_id))):
            # Billing rows cover whole hours: from the hour the job started to an hour after it ended.
            start = job.start.replace(minute=0, second=0, microsecond=0)
            end = job.end + timedelta(hours=1)
            branches.append(
                f"WHEN project_id = {self._bind(f'inferred_project_{i}', job.project)}"
                f" AND usage_start_time >= {self._bind(f'inferred_start_{i}', start)}"
                f" AND usage_start_time < {self._bind(f'inferred_end_{i}', end)}"
                f" THEN {self._bind(f'inferred_run_{i}', job.run_id)}"
            )
        return (
            f"CASE WHEN key_index IS NULL AND is_vertex AND LOWER(sku_description) LIKE {pattern} "
            f"THEN CASE {' '.join(branches)} END END"
        )

    def aggregate_query(self) -> Query:
        """One pass over every row. For counted rows: gross, credits, first/last usage and row count per
        run key, SKU, currency and account cost type (plus, for reports, per dimension label and usage
        month). For the rest: how many there are per file and problem. Every group carries the newest
        export_time it saw. Which groups are in scope (run-keyed, or Vertex AI) is decided after
        grouping, by the assembly: filtering on the computed keys first would cost a second lookup."""
        self.params = {}
        scan = self._scan(counted_only=False)
        extra = [f"dim_{i}" for i in range(len(self.spec.dimension_keys))]
        if self.spec.by_month:
            extra += [
                "EXTRACT(YEAR FROM usage_start_time) AS usage_year",
                "EXTRACT(MONTH FROM usage_start_time) AS usage_month",
            ]
        if self.spec.by_day:
            extra.append("CAST(usage_start_time AS DATE) AS usage_day")  # UTC: the session zone
        groups = [
            "counted",
            "CASE WHEN problem IS NOT NULL THEN row_source END AS problem_source",
            "problem",
            "key_index",
            "run_value",
            f"{self._inferred_run()} AS inferred_run",
            "schedule",
            "is_vertex",
            "currency",
            "sku_id",
            # Tax, adjustments and rounding without a run key are the account's, not unattributed
            # usage; with a run key they stay with the run (its own correction), so they need no split.
            "CASE WHEN key_index IS NULL AND COALESCE(cost_type, 'regular') <> 'regular' "
            "THEN cost_type END AS charge_type",
            *extra,
        ]
        values = [
            # One description per SKU id; MAX keeps it deterministic on both engines if it was renamed.
            "MAX(sku_description) AS sku_description",
            "SUM(gross) AS gross",
            "SUM(credits) AS credits",
            "MIN(usage_start_time) AS first_usage",
            "MAX(usage_end_time) AS last_usage",
            "COUNT(*) AS row_count",
            "MAX(export_time) AS newest_export_time",
        ]
        positions = ", ".join(str(i + 1) for i in range(len(groups)))
        sql = (
            f"WITH {scan}\nSELECT {', '.join(groups)},\n  {', '.join(values)}\n"
            f"FROM keyed\nGROUP BY {positions}"
        )
        return Query(sql, dict(self.params))

    def credits_by_type_query(self) -> Query:
        """Credits per type and currency over the rows in scope (for reports; credits are few)."""
        self.params = {}
        scan = self._scan(counted_only=True, with_credit_list=True)
        amount = self.d.decimal("c.amount")
        sql = (
            f"WITH {scan}\nSELECT k.currency AS currency, c.type AS credit_type, SUM({amount}) AS amount\n"
            "FROM keyed AS k, UNNEST(k.credit_list) AS c\n"
            "WHERE k.key_index IS NOT NULL OR k.is_vertex\nGROUP BY 1, 2"
        )
        return Query(sql, dict(self.params))


def _guard(column: str) -> str:
    """`expr AS name` evaluated for counted rows only."""
    expr, _, name = column.rpartition(" AS ")
    if not expr:
        return f"CASE WHEN counted THEN {column} END AS {column}"
    return f"CASE WHEN counted THEN {expr} END AS {name}"
