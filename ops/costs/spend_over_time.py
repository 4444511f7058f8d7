"""Spend across the report's window: per run and UTC day, cumulative, and against a budget.

The forecast is a straight line: the net spent so far, divided by the days from the window's start to
the last day with usage, times the window's days. It says what the month comes to if spending goes on
at the same pace; nothing cleverer is claimed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from ops.costs.model import Window
from ops.errors import TunectlError

UNOWNED = "(no run)"


@dataclass(frozen=True)
class Budget:
    amount: Decimal
    currency: str | None  # None: the report's own currency


def parse_budget(text: str) -> Budget:
    """`--budget 500` or `--budget "500 USD"`."""
    match = re.fullmatch(r"\s*([0-9][0-9_,]*(?:\.[0-9]+)?)\s*([A-Za-z]{3})?\s*", text)
    try:
        amount = Decimal(match.group(1).replace(",", "").replace("_", "")) if match else None
    except InvalidOperation:
        amount = None
    if match is None or amount is None or amount <= 0:
        raise TunectlError(
            "budget-invalid",
            f"--budget {text!r} is not an amount, optionally with a currency",
            where="--budget",
            hint='e.g. --budget 5000 or --budget "5000 USD"',
        )
    return Budget(amount, match.group(2).upper() if match.group(2) else None)


@dataclass
class CurrencySpend:
    """One currency's spend by day: per run, and in total with its running sum."""

    currency: str
    days: list[date]
    per_run: dict[str, dict[date, Decimal]] = field(default_factory=dict)
    total: dict[date, Decimal] = field(default_factory=dict)

    def cumulative(self, series: dict[date, Decimal]) -> list[tuple[date, Decimal]]:
        running = Decimal(0)
        points = []
        for day in self.days:
            running += series.get(day, Decimal(0))
            points.append((day, running))
        return points

    def spent(self) -> Decimal:
        return sum(self.total.values(), Decimal(0))


@dataclass(frozen=True)
class Forecast:
    currency: str
    spent: Decimal
    projected: Decimal | None  # None when the window has no end or no usage yet
    budget: Budget | None
    note: str  # why a comparison is unknown, or ""

    @property
    def over_budget(self) -> bool | None:
        if self.budget is None or self.projected is None or self.note:
            return None
        return self.projected > self.budget.amount


def spend_by_day(
    rows: list[tuple[str | None, str, date, Decimal]], window: Window
) -> dict[str, CurrencySpend]:
    """Rows (run id or None, currency, day, net) into each currency's days across the window."""
    found = [day for _, _, day, _ in rows]
    if not found:
        return {}
    first = window.start.date() if window.start else min(found)
    last = (window.end - timedelta(days=1)).date() if window.end else max(found)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    result: dict[str, CurrencySpend] = {}
    for run_id, currency, day, net in rows:
        spend = result.setdefault(currency, CurrencySpend(currency, days))
        series = spend.per_run.setdefault(run_id or UNOWNED, {})
        series[day] = series.get(day, Decimal(0)) + net
        spend.total[day] = spend.total.get(day, Decimal(0)) + net
    return dict(sorted(result.items()))


def forecast(spend: CurrencySpend, window: Window, budget: Budget | None) -> Forecast:
    spent = spend.spent()
    note = ""
    if budget is not None and budget.currency not in (None, spend.currency):
        note = f"unknown: the budget is in {budget.currency}, this spend in {spend.currency}; no conversion"
    used = [day for day in spend.days if spend.total.get(day)]
    if window.start is None or window.end is None or not used:
        return Forecast(spend.currency, spent, None, budget, note)
    elapsed = (max(used) - window.start.date()).days + 1
    length = (window.end - window.start).days
    projected = spent / elapsed * length if elapsed > 0 else spent
    return Forecast(spend.currency, spent, projected, budget, note)
