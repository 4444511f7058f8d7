"""A budget's spend this period, summed from the Cloud Billing export (the Budget API does not report it).

The query runs on the cost module's engines (`ops.costs.engines`: BigQuery where the export lives, or
DuckDB over exported files) and uses their dialects for money and labels, so it spells credits and
exact decimals as the reconciliation does. It follows the budget's filter where the export can:
period, services, the label pair and credit treatment (all credits or none). Projects: a budget
without a project filter covers the whole billing account (the export holds that account only); a
budget naming one project is matched on our project's id (budgets name projects by number, which
file exports do not carry); a budget spanning several projects is unknown. Export rows lag usage by
hours (Cloud Billing loads the export periodically, not as usage happens:
https://cloud.google.com/billing/docs/how-to/export-data-bigquery-setup), so the spend is a floor
and the reason says how fresh it is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ops.preflight.budget import BudgetScope, Spend, SpendLookup, SpendUnknown

if TYPE_CHECKING:
    from ops.costs.engines import Engine
    from ops.settings import Settings

# "All calendar times begin at 12 AM US and Canadian Pacific Time (UTC-8)" (Budget API, CalendarPeriod).
BUDGET_TIMEZONE = timezone(timedelta(hours=-8))


def period_bounds(start: date, end: date | None) -> tuple[datetime, datetime | None]:
    """[start, end] dates as UTC instants: from midnight Pacific on `start` to midnight after `end`."""
    lo = datetime.combine(start, time(0), BUDGET_TIMEZONE).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(0), BUDGET_TIMEZONE).astimezone(UTC) if end else None
    return lo, hi


def spend_query(engine: Engine, scope: BudgetScope, project: str) -> tuple[str, dict[str, Any]]:
    from ops.costs.model import ReconcileSpec

    rendered = engine.queries(ReconcileSpec())  # only for the source relation and its parse check
    d = engine.dialect
    params: dict[str, Any] = {}

    def bind(name: str, value: Any) -> str:
        params[name] = value
        return d.param(name)

    lo, hi = period_bounds(scope.period_start, scope.period_end)
    clauses = ["cost IS NOT NULL", "currency IS NOT NULL", f"usage_start_time >= {bind('period_start', lo)}"]
    if hi is not None:
        clauses.append(f"usage_start_time < {bind('period_end', hi)}")
    if rendered.row_problem:
        clauses.append(f"{rendered.row_problem} IS NULL")
    if len(scope.projects) > 1:
        raise SpendUnknown(
            f"the budget spans {len(scope.projects)} projects; the export is matched by one project id"
        )
    if scope.projects:
        clauses.append(f"project.id = {bind('project', project)}")
    if scope.services:
        ids = [bind(f"service_{i}", s.removeprefix("services/")) for i, s in enumerate(scope.services)]
        clauses.append(f"service.id IN ({', '.join(ids)})")
    for i, (key, values) in enumerate(scope.labels.items()):
        options = [bind(f"label_{i}_{j}", v) for j, v in enumerate(values)]
        clauses.append(f"{d.label_value(bind(f'label_key_{i}', key))} IN ({', '.join(options)})")
    if scope.credit_treatment in ("", "CREDIT_TYPES_TREATMENT_UNSPECIFIED", "INCLUDE_ALL_CREDITS"):
        amount = f"{d.decimal('cost')} + {d.credits_sum()}"
    elif scope.credit_treatment == "EXCLUDE_ALL_CREDITS":
        amount = d.decimal("cost")
    else:
        raise SpendUnknown(f"credit treatment {scope.credit_treatment} is not summed by tunectl")
    sql = (
        f"SELECT currency, SUM({amount}) AS spend, MAX(export_time) AS newest_export\n"
        # The dialect's credit sum reads a per-row column (the amounts cast once), so project it first.
        f"FROM (SELECT *, {', '.join(d.credit_columns())} FROM {rendered.source}) AS exported\n"
        f"WHERE {' AND '.join(clauses)}\nGROUP BY currency"
    )
    return sql, params


def export_spend(engine: Engine, project: str) -> SpendLookup:
    from ops.costs.definition import Query

    def lookup(scope: BudgetScope) -> Spend:
        sql, params = spend_query(engine, scope, project)
        rows = engine.fetch(Query(sql, params))
        if len(rows) > 1:
            raise SpendUnknown(f"the export bills this scope in {len(rows)} currencies")
        if not rows:
            return Spend(
                Decimal(0),
                scope.currency or "",
                f"billing export ({engine.description}): no rows this period",
            )
        row = rows[0]
        newest = row.get("newest_export")
        freshness = f", exported up to {newest:%Y-%m-%d %H:%M} UTC" if isinstance(newest, datetime) else ""
        return Spend(
            Decimal(str(row["spend"])),
            str(row["currency"]),
            f"billing export ({engine.description}{freshness})",
        )

    return lookup


def spend_from_settings(settings: Settings) -> SpendLookup | None:
    """The export-backed spend source when a billing table is configured (setting or stack output)."""
    from ops.costs.options import CostInputs, build_engine

    if not settings.project:
        return None
    inputs = CostInputs(
        billing_export=[],
        bigquery_table=None,
        month=None,
        start=None,
        end=None,
        invoice_month=None,
        run_keys=[],
        runs_files=[],
    )
    from ops.errors import TunectlError

    try:
        engine = build_engine(inputs, settings)
    except TunectlError:
        return None  # no billing table: spend stays unknown, and the budget line says why
    return export_spend(engine, settings.project)
