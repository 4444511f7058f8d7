"""Budget headroom in preflight: budgets from the Cloud Billing Budget API (REST), spend from a lookup."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ops.preflight.budget import BudgetScope, Spend, current_period, spend_not_configured
from ops.preflight.gate import CheckStatus, budget_check
from tests.cloud.budgets import BILLING_ACCOUNT, PROJECT_NUMBERS, BudgetsServer
from tests.cloud.harness import Cloud

TODAY = date(2026, 1, 20)
ESTIMATE = Decimal("82.80")


@pytest.fixture
def budgets(cloud: Cloud) -> BudgetsServer:
    return cloud.get(BudgetsServer)


class Spent:
    """A spend source that knows this period's spend (in production: the billing export)."""

    def __init__(self, amount: str, currency: str = "USD") -> None:
        self.spend = Spend(Decimal(amount), currency, "test ledger")
        self.seen: list[BudgetScope] = []

    def __call__(self, scope: BudgetScope) -> Spend:
        self.seen.append(scope)
        return self.spend


def test_headroom_above_the_estimate_is_ok(cloud: Cloud, budgets: BudgetsServer) -> None:
    budgets.add_budget("tuning", 500)
    lookup = Spent("100")
    check = budget_check(cloud.settings(billing_account=BILLING_ACCOUNT), ESTIMATE, "USD", lookup, TODAY)
    assert check.status is CheckStatus.ok
    assert "400 USD left this month" in check.reason
    scope = lookup.seen[0]
    assert (scope.period_start, scope.period_end) == (date(2026, 1, 1), date(2026, 1, 31))
    assert scope.projects == (f"projects/{PROJECT_NUMBERS[cloud.project]}",)


def test_headroom_below_the_estimate_is_no(cloud: Cloud, budgets: BudgetsServer) -> None:
    budgets.add_budget("tuning", 500)
    budgets.add_budget("whole account", 10_000, projects=())
    check = budget_check(
        cloud.settings(billing_account=BILLING_ACCOUNT), ESTIMATE, "USD", Spent("450"), TODAY
    )
    assert check.status is CheckStatus.no
    assert "'tuning' has 50 USD left" in check.reason


def test_unknown_spend_is_unknown_with_the_reason(cloud: Cloud, budgets: BudgetsServer) -> None:
    budgets.add_budget("tuning", 500)
    check = budget_check(
        cloud.settings(billing_account=BILLING_ACCOUNT), ESTIMATE, "USD", spend_not_configured, TODAY
    )
    assert check.status is CheckStatus.unknown
    assert "does not report spend" in check.reason


def test_budgets_of_other_projects_do_not_count(cloud: Cloud, budgets: BudgetsServer) -> None:
    budgets.add_budget("someone else's", 10, projects=("other-project",))
    check = budget_check(cloud.settings(billing_account=BILLING_ACCOUNT), ESTIMATE, "USD", Spent("0"), TODAY)
    assert check.status is CheckStatus.ok
    assert "no budget" in check.reason


def test_budget_that_follows_last_period_is_unknown(cloud: Cloud, budgets: BudgetsServer) -> None:
    budgets.add_budget("last month", 0, last_period_amount=True)
    check = budget_check(cloud.settings(billing_account=BILLING_ACCOUNT), ESTIMATE, "USD", Spent("0"), TODAY)
    assert check.status is CheckStatus.unknown
    assert "last period" in check.reason


def test_currency_mismatch_is_unknown(cloud: Cloud, budgets: BudgetsServer) -> None:
    budgets.add_budget("euro budget", 500, currency="EUR")
    check = budget_check(
        cloud.settings(billing_account=BILLING_ACCOUNT), ESTIMATE, "USD", Spent("0", "EUR"), TODAY
    )
    assert check.status is CheckStatus.unknown
    assert "EUR" in check.reason


def test_without_a_billing_account_budgets_are_unknown(cloud: Cloud) -> None:
    check = budget_check(cloud.settings(), ESTIMATE, "USD", Spent("0"), TODAY)
    assert check.status is CheckStatus.unknown
    assert "billing_account" in check.reason


def test_budget_periods_follow_the_calendar(
    cloud: Cloud, budgets: BudgetsServer, budgets_client: Any
) -> None:
    from ops.preflight.budget import list_budgets

    budgets.add_budget("q", 1, period="QUARTER")
    budgets.add_budget("y", 1, period="YEAR")
    budgets.add_budget("custom", 1, period=None, custom_period=("2026-01-10", None))
    found = {b.display_name: b for b in list_budgets(budgets_client, BILLING_ACCOUNT, cloud.project)}
    assert current_period(found["q"], date(2026, 5, 3))[:2] == (date(2026, 4, 1), date(2026, 6, 30))
    assert current_period(found["y"], TODAY)[:2] == (date(2026, 1, 1), date(2026, 12, 31))
    assert current_period(found["custom"], TODAY)[:2] == (date(2026, 1, 10), None)
