"""Turning `tunectl cost` flags into a reconciliation: the window, the engine and the known runs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from ops.costs.engines import BigQueryEngine, DuckDBEngine, Engine
from ops.costs.known_runs import inference_candidates, load_known_runs
from ops.costs.model import DEFAULT_RUN_KEYS, DEFAULT_TUNING_SKU_PATTERN, KnownRun, ReconcileSpec, Window
from ops.errors import TunectlError
from ops.settings import Settings

# Cloud Billing began long after 2000; the bounds keep every window and trend inside what datetime holds.
FIRST_YEAR, LAST_YEAR = 2000, 9998
MAX_TREND_MONTHS = 120


@dataclass(frozen=True)
class CostInputs:
    billing_export: list[str]
    bigquery_table: str | None
    month: str | None
    start: str | None
    end: str | None
    invoice_month: str | None
    run_keys: list[str]
    runs_files: list[Path]
    tuning_sku_pattern: str = DEFAULT_TUNING_SKU_PATTERN


def month_bounds(month: str) -> tuple[datetime, datetime]:
    match = re.fullmatch(r"(\d{4})-(\d{2})", month.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise TunectlError(
            "month-invalid", f"--month {month!r} is not YYYY-MM", where="--month", hint="e.g. --month 2026-10"
        )
    if not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise TunectlError(
            "month-invalid",
            f"--month {month!r} is outside {FIRST_YEAR}-01 .. {LAST_YEAR}-12",
            where="--month",
            hint="give a billing month, e.g. --month 2026-10",
        )
    year, mon = int(match.group(1)), int(match.group(2))
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _instant(value: str, flag: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise TunectlError(
                "date-invalid",
                f"{flag} {value!r} is not a date (YYYY-MM-DD) or ISO time",
                where=flag,
                hint=f"e.g. {flag} 2026-10-01 or {flag} 2026-10-01T12:00:00Z (UTC)",
            ) from None
        parsed = datetime(day.year, day.month, day.day)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def window_from_flags(
    month: str | None, start: str | None, end: str | None, invoice_month: str | None
) -> Window:
    if month and (start or end):
        raise TunectlError(
            "window-conflict",
            "give --month or --from/--to, not both",
            where="--month",
            hint="--month 2026-10 is --from 2026-10-01 --to 2026-11-01",
        )
    if invoice_month is not None and not re.fullmatch(r"\d{4}(0[1-9]|1[0-2])", invoice_month.strip()):
        raise TunectlError(
            "invoice-month-invalid",
            f"--invoice-month {invoice_month!r} is not YYYYMM",
            where="--invoice-month",
            hint="e.g. --invoice-month 202610 (the export's invoice.month)",
        )
    invoice = invoice_month.strip() if invoice_month else None
    if month:
        lo, hi = month_bounds(month)
        return Window(lo, hi, invoice)
    lo_t = _instant(start, "--from") if start else None
    hi_t = _instant(end, "--to") if end else None
    if lo_t and hi_t and hi_t <= lo_t:
        raise TunectlError(
            "window-empty",
            "--to must be after --from",
            where="--to",
            hint="--to is exclusive: the day after the last",
        )
    return Window(lo_t, hi_t, invoice)


def _table_from_stack(settings: Settings) -> str | None:
    """`billing_export_table` from the stack outputs, if the stack exports one."""
    if not settings.stack_outputs or not settings.stack_outputs.exists():
        return None
    try:
        outputs = json.loads(settings.stack_outputs.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = outputs.get("billing_export_table") if isinstance(outputs, dict) else None
    return str(value) if value else None


def billing_source_configured(inputs: CostInputs, settings: Settings) -> bool:
    """Whether `build_engine` has an export to read (flags, the billing_table setting, stack outputs)."""
    flags = inputs.billing_export or inputs.bigquery_table
    return bool(flags or settings.billing_table or _table_from_stack(settings))


def build_engine(inputs: CostInputs, settings: Settings) -> Engine:
    if inputs.billing_export and inputs.bigquery_table:
        raise TunectlError(
            "source-conflict",
            "give --billing-export or --bigquery-table, not both",
            where="--bigquery-table",
            hint="--billing-export reads exported files locally; --bigquery-table queries the table in place",
        )
    if inputs.billing_export:
        from ops.costs.sources import resolve_export_files

        return DuckDBEngine(resolve_export_files(inputs.billing_export))
    table = inputs.bigquery_table or settings.billing_table or _table_from_stack(settings)
    if not table:
        raise TunectlError(
            "billing-source-missing",
            "no billing export to read",
            hint="pass --billing-export FILES (Parquet/NDJSON/CSV exported from the billing table) or "
            "--bigquery-table project.dataset.table (or set billing_table)",
        )
    from ops.clients import bigquery_client

    return BigQueryEngine(bigquery_client(settings), table)


def run_keys(flags: list[str]) -> tuple[str, ...]:
    """`--run-key` flags: GCP label keys (a typo would match no row and silently fall back)."""
    from policies.label_syntax import label_problem

    for flag in flags:
        key = flag.strip()
        why = "it is KEY=VALUE" if "=" in key else label_problem(key, "")
        if why:
            raise TunectlError(
                "invalid-value",
                f"--run-key {flag!r} is not a label key: {why}",
                where="--run-key",
                hint="a label key without a value, e.g. --run-key tunectl-run-id",
            )
    return tuple(dict.fromkeys(k.strip() for k in flags)) or DEFAULT_RUN_KEYS


def prepare(
    inputs: CostInputs, settings: Settings, *, dimension_keys: tuple[str, ...] = (), by_month: bool = False
) -> tuple[Engine, ReconcileSpec, list[KnownRun]]:
    keys = run_keys(inputs.run_keys)
    window = window_from_flags(inputs.month, inputs.start, inputs.end, inputs.invoice_month)
    known = load_known_runs(settings.ledger, inputs.runs_files, keys, settings.project)
    spec = ReconcileSpec(
        window=window,
        run_keys=keys,
        tuning_sku_pattern=inputs.tuning_sku_pattern,
        inferred=inference_candidates(known),
        dimension_keys=dimension_keys,
        by_month=by_month,
    )
    return build_engine(inputs, settings), spec, known
