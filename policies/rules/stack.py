"""Whole-stack rules: things that must exist somewhere in the stack, not properties of one resource."""

from __future__ import annotations

from collections.abc import Sequence

from .. import type_tokens
from ..model import Enforcement, RuleConfig, Severity, StackFinding, StackResource, StackRule


def check_has_budget(resources: Sequence[StackResource], _config: RuleConfig) -> list[StackFinding]:
    if any(resource.type == type_tokens.BUDGET for resource in resources):
        return []
    return [StackFinding("the stack defines no billing budget, so nobody is alerted when tuning overspends")]


def check_has_billing_export_dataset(
    resources: Sequence[StackResource], _config: RuleConfig
) -> list[StackFinding]:
    if any(resource.type == type_tokens.BIGQUERY_DATASET for resource in resources):
        return []
    message = "the stack defines no BigQuery dataset for the billing export, so costs cannot be reconciled"
    return [StackFinding(message)]


HAS_BUDGET = StackRule(
    id="stack-has-budget",
    description=(
        "The stack must define a `billing.Budget` for the project, with alert thresholds. Set "
        "`budgetAmount` and `billingAccount` in the stack config."
    ),
    severity=Severity.high,
    enforcement=Enforcement.mandatory,
    check=check_has_budget,
)

HAS_BILLING_EXPORT_DATASET = StackRule(
    id="stack-has-billing-export-dataset",
    description=(
        "The stack must define the BigQuery dataset that receives the Cloud Billing export, so "
        "`tunectl cost` can reconcile runs. Keep `billingDatasetId` set, then point the export at it "
        "in the console (infra/README.md)."
    ),
    severity=Severity.medium,
    enforcement=Enforcement.mandatory,
    check=check_has_billing_export_dataset,
)
