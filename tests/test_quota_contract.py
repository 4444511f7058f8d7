"""The Cloud Quotas and Budget test servers enforce the published contracts, in both directions."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from google.api_core import exceptions as core_exceptions
from google.cloud import cloudquotas_v1

from tests.cloud.budgets import BILLING_ACCOUNT, BudgetsServer
from tests.cloud.harness import Cloud
from tests.cloud.quotas import TPU_ID, QuotasServer

PARENT = "projects/tunectl-test/locations/global"


def _post(url: str, body: dict[str, Any]) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_a_correct_preference_is_accepted(cloud: Cloud, quotas_client: Any) -> None:
    created = quotas_client.create_quota_preference(
        parent=PARENT,
        quota_preference_id="contract-ok",
        quota_preference=cloudquotas_v1.QuotaPreference(
            service="aiplatform.googleapis.com",
            quota_id=TPU_ID,
            dimensions={"region": "europe-west4"},
            quota_config=cloudquotas_v1.QuotaConfig(preferred_value=64),
            contact_email="platform@example.com",
        ),
    )
    assert created.reconciling
    assert created.quota_config.trace_id


def test_a_preference_without_its_quota_id_is_a_violation(cloud: Cloud, quotas_client: Any) -> None:
    with cloud.expect_violations() as seen, pytest.raises(core_exceptions.BadRequest):
        quotas_client.create_quota_preference(
            parent=PARENT,
            quota_preference=cloudquotas_v1.QuotaPreference(
                service="aiplatform.googleapis.com",
                quota_config=cloudquotas_v1.QuotaConfig(preferred_value=1),
            ),
        )
    assert [(v.method, v.where) for v in seen] == [
        ("cloudquotas.projects.locations.quotaPreferences.create", "body.quotaId")
    ]


def test_an_unknown_body_field_is_a_violation(cloud: Cloud) -> None:
    url = f"{cloud.get(QuotasServer).url}/v1/{PARENT}/quotaPreferences?quotaPreferenceId=x"
    body = {
        "service": "aiplatform.googleapis.com",
        "quotaId": TPU_ID,
        "quotaConfig": {"preferredValue": "1"},
        "state": "X",
    }
    with cloud.expect_violations() as seen:
        status, text = _post(url, body)
    assert status == 400
    assert "state" in text
    assert seen[0].where == "body"


def test_an_unknown_query_parameter_is_a_violation(cloud: Cloud) -> None:
    url = f"{cloud.get(QuotasServer).url}/v1/{PARENT}/quotaPreferences?allowMissing=true"
    body = {"service": "aiplatform.googleapis.com", "quotaId": TPU_ID, "quotaConfig": {"preferredValue": "1"}}
    with cloud.expect_violations() as seen:
        status, _ = _post(url, body)
    assert status == 400
    assert seen[0].where == "query.allowMissing"


def test_a_server_response_off_contract_is_caught(cloud: Cloud, quotas_client: Any) -> None:
    cloud.get(QuotasServer).infos[TPU_ID]["quotaLimit"] = "64"  # not a QuotaInfo field
    with cloud.expect_violations() as seen, pytest.raises(core_exceptions.GoogleAPICallError):
        quotas_client.get_quota_info(name=f"{PARENT}/services/aiplatform.googleapis.com/quotaInfos/{TPU_ID}")
    assert "quotaLimit" in seen[0].rule


def test_budgets_are_listed_and_read_through_the_client(cloud: Cloud, budgets_client: Any) -> None:
    budget = cloud.get(BudgetsServer).add_budget("tuning", 500)
    listed = list(budgets_client.list_budgets(parent=f"billingAccounts/{BILLING_ACCOUNT}"))
    fetched = budgets_client.get_budget(name=budget["name"])
    assert [b.display_name for b in listed] == ["tuning"]
    assert fetched.amount.specified_amount.units == 500


def test_a_budget_response_off_contract_is_caught(cloud: Cloud, budgets_client: Any) -> None:
    budget = cloud.get(BudgetsServer).add_budget("tuning", 500)
    budget["amount"]["specifiedAmount"]["units"] = 500  # int64 must be a string in responses
    with cloud.expect_violations() as seen, pytest.raises(core_exceptions.GoogleAPICallError):
        budgets_client.get_budget(name=budget["name"])
    assert seen[0].where == "response.amount.specifiedAmount.units"
