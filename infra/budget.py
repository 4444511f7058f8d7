"""The project's billing budget: an amount, alert thresholds, and optionally a Pub/Sub topic."""

from __future__ import annotations

from decimal import Decimal

import pulumi
import pulumi_gcp as gcp

from infra.config import EnvironmentConfig

NANOS = Decimal(1_000_000_000)


def money(amount: Decimal, currency: str) -> gcp.billing.BudgetAmountSpecifiedAmountArgsDict:
    """google.type.Money: whole units as an int64 string, the fraction in nanos (exact, no floats)."""
    units = int(amount)
    return {"currency_code": currency, "units": str(units), "nanos": int((amount - units) * NANOS)}


def project_budget(
    config: EnvironmentConfig,
    project_number: str,
    *,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
) -> gcp.billing.Budget | None:
    amount = config.budget_decimal
    if amount is None:
        return None
    updates: gcp.billing.BudgetAllUpdatesRuleArgsDict = {"disable_default_iam_recipients": False}
    if config.budget_pubsub_topic:
        updates["pubsub_topic"] = config.budget_pubsub_topic
        updates["schema_version"] = "1.0"
    return gcp.billing.Budget(
        "budget",
        billing_account=config.billing_account,
        display_name=f"{config.resource_prefix} {config.stack} {config.project}"[:60],
        # Budgets filter by project *number*; the id is not accepted here.
        budget_filter={"projects": [f"projects/{project_number}"], "calendar_period": "MONTH"},
        amount={"specified_amount": money(amount, config.budget_currency)},
        # The API takes fractions: 0.9 is 90 %.
        threshold_rules=[
            {"threshold_percent": percent / 100, "spend_basis": "CURRENT_SPEND"}
            for percent in sorted(config.budget_alert_percents)
        ],
        all_updates_rule=updates,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
    )
