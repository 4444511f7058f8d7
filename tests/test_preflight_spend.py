"""A budget's spend from the billing export (the Budget API has none), on the cost module's engines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ops.costs.engines import DuckDBEngine
from ops.costs.model import VERTEX_AI_SERVICE_ID
from ops.costs.sample_export import PROJECT, render_export, sample_rows
from ops.preflight.budget import BudgetScope, SpendUnknown
from ops.preflight.spend import export_spend, period_bounds

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> DuckDBEngine:
    path: Path = tmp_path_factory.mktemp("export") / "export.jsonl"
    path.write_bytes(render_export(sample_rows(), "ndjson"))
    return DuckDBEngine([path])


def scope(**overrides: Any) -> BudgetScope:
    values: dict[str, Any] = {
        "name": "billingAccounts/x/budgets/1",
        "display_name": "tuning",
        "projects": (f"projects/{PROJECT['number']}",),
        "services": (),
        "labels": {},
        "period_start": OCTOBER[0],
        "period_end": OCTOBER[1],
        "currency": "USD",
    }
    return BudgetScope(**(values | overrides))


def expected(rows: list[dict[str, Any]], *, credits: bool = True) -> Decimal:
    """The same sum done by hand over the sample rows, in the budget's Pacific-time month."""
    lo, hi = period_bounds(*OCTOBER)
    assert hi is not None
    total = Decimal(0)
    for row in rows:
        if lo <= row["usage_start_time"] < hi:
            total += Decimal(str(row["cost"]))
            if credits:
                total += sum((Decimal(str(c["amount"])) for c in row["credits"] or ()), Decimal(0))
    return total


def test_month_spend_is_net_of_credits(engine: DuckDBEngine) -> None:
    spend = export_spend(engine, PROJECT["id"])(scope())
    assert spend.currency == "USD"
    assert spend.amount == expected(sample_rows())
    assert "exported up to" in spend.source


def test_excluding_credits_sums_gross_cost(engine: DuckDBEngine) -> None:
    spend = export_spend(engine, PROJECT["id"])(scope(credit_treatment="EXCLUDE_ALL_CREDITS"))
    assert spend.amount == expected(sample_rows(), credits=False)


def test_service_filter_keeps_only_that_service(engine: DuckDBEngine) -> None:
    spend = export_spend(engine, PROJECT["id"])(scope(services=(f"services/{VERTEX_AI_SERVICE_ID}",)))
    vertex = [r for r in sample_rows() if r["service"]["id"] == VERTEX_AI_SERVICE_ID]
    assert spend.amount == expected(vertex)


def test_calendar_periods_start_at_midnight_pacific() -> None:
    lo, hi = period_bounds(date(2026, 10, 1), date(2026, 10, 31))
    assert lo == datetime(2026, 10, 1, 8, tzinfo=UTC)
    assert hi == datetime(2026, 11, 1, 8, tzinfo=UTC)


def test_a_period_without_rows_spent_nothing(engine: DuckDBEngine) -> None:
    spend = export_spend(engine, PROJECT["id"])(
        scope(period_start=date(2025, 1, 1), period_end=date(2025, 1, 31))
    )
    assert (spend.amount, spend.currency) == (Decimal(0), "USD")


def test_a_budget_over_several_projects_is_unknown(engine: DuckDBEngine) -> None:
    with pytest.raises(SpendUnknown, match="spans 2 projects"):
        export_spend(engine, PROJECT["id"])(scope(projects=("projects/1", "projects/2")))
