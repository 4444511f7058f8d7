"""How much of a Cloud Billing budget is left for one more run.

The Budgets API (`google-cloud-billing-budgets`, `BudgetServiceClient`) returns a budget's amount,
scope and period but not what has been spent: Google only pushes spend in budget notifications
(Pub/Sub). So headroom = amount - spend, where spend comes from an injected `SpendLookup` (the billing
export, when `billing_table` is configured); without one the headroom is unknown, with that reason,
never assumed.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ops.cloud_errors import call_with_retry

if TYPE_CHECKING:
    from google.cloud.billing.budgets_v1 import Budget, BudgetServiceClient


class SpendUnknown(Exception):
    """The spend of a budget's scope cannot be known; the message says why."""


@dataclass(frozen=True)
class BudgetScope:
    name: str
    display_name: str
    projects: tuple[str, ...]  # empty: every project on the billing account
    services: tuple[str, ...]
    labels: dict[str, list[str]]
    period_start: date
    period_end: date | None
    credit_treatment: str = ""
    currency: str | None = None


@dataclass(frozen=True)
class Spend:
    amount: Decimal
    currency: str
    source: str


SpendLookup = Callable[[BudgetScope], Spend]


def spend_not_configured(scope: BudgetScope) -> Spend:
    raise SpendUnknown(
        "the Budget API does not report spend and no billing export is configured; set billing_table "
        "(the BigQuery billing export) so tunectl can sum this period's cost"
    )


@dataclass(frozen=True)
class BudgetHeadroom:
    name: str
    display_name: str
    amount: Decimal | None
    currency: str | None
    period: str
    spend: Decimal | None
    spend_source: str | None
    headroom: Decimal | None
    unknown_reason: str | None


def money_to_decimal(units: int, nanos: int) -> Decimal:
    return Decimal(units) + Decimal(nanos) / Decimal(1_000_000_000)


def _quarter_start(today: date) -> date:
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def current_period(budget: Budget, today: date) -> tuple[date, date | None, str]:
    """Start, end and a label of the budget's current period (calendar month when unset, as Google does)."""
    budget_filter = budget.budget_filter
    if "custom_period" in budget_filter:
        start = budget_filter.custom_period.start_date
        period_start = date(start.year, start.month, start.day)
        end = budget_filter.custom_period.end_date
        period_end = date(end.year, end.month, end.day) if end.year else None
        return (
            period_start,
            period_end,
            f"custom from {period_start}" + (f" to {period_end}" if period_end else ""),
        )
    kind = budget_filter.calendar_period.name if "calendar_period" in budget_filter else "MONTH"
    if kind == "QUARTER":
        start = _quarter_start(today)
        end_month = start.month + 2
        return start, date(start.year, end_month, calendar.monthrange(start.year, end_month)[1]), "quarter"
    if kind == "YEAR":
        return date(today.year, 1, 1), date(today.year, 12, 31), "year"
    last = calendar.monthrange(today.year, today.month)[1]
    return date(today.year, today.month, 1), date(today.year, today.month, last), "month"


def list_budgets(client: BudgetServiceClient, billing_account: str, project: str) -> list[Budget]:
    """The budgets that track `project`'s costs. `scope` lets Google match the project, since budget
    filters name projects by number and we know the id; account-wide budgets are included."""
    account = billing_account.removeprefix("billingAccounts/")
    parent = f"billingAccounts/{account}"
    request = {"parent": parent, "scope": f"projects/{project}"}
    return call_with_retry(
        lambda: list(client.list_budgets(request=request)), what=f"listing budgets of {parent} for {project}"
    )


def headroom_of(budget: Budget, spend_lookup: SpendLookup, today: date) -> BudgetHeadroom:
    start, end, period = current_period(budget, today)
    scope = BudgetScope(
        name=budget.name,
        display_name=budget.display_name,
        projects=tuple(budget.budget_filter.projects),
        services=tuple(budget.budget_filter.services),
        labels={key: [str(v) for v in values] for key, values in budget.budget_filter.labels.items()},
        period_start=start,
        period_end=end,
        credit_treatment=budget.budget_filter.credit_types_treatment.name,
        currency=budget.amount.specified_amount.currency_code
        if "specified_amount" in budget.amount
        else None,
    )

    def unknown(reason: str, amount: Decimal | None = None, currency: str | None = None) -> BudgetHeadroom:
        return BudgetHeadroom(
            budget.name, budget.display_name, amount, currency, period, None, None, None, reason
        )

    if "specified_amount" not in budget.amount:
        return unknown("the budget's amount follows last period's spend, which the API does not report")
    money = budget.amount.specified_amount
    amount = money_to_decimal(money.units, money.nanos)
    currency = money.currency_code
    try:
        spend = spend_lookup(scope)
    except SpendUnknown as exc:
        return unknown(str(exc), amount, currency)
    if spend.currency != currency:
        return unknown(f"spend is in {spend.currency} but the budget is in {currency}", amount, currency)
    return BudgetHeadroom(
        budget.name,
        budget.display_name,
        amount,
        currency,
        period,
        spend.amount,
        spend.source,
        amount - spend.amount,
        None,
    )
