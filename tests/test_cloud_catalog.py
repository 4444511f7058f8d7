"""Cloud Billing Catalog test server, driven through google-cloud-billing's CloudCatalogClient (REST)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.cloud.catalog import VERTEX_SERVICE_ID, CatalogServer
from tests.cloud.harness import Cloud

VERTEX = f"services/{VERTEX_SERVICE_ID}"


def unit_price(sku: Any) -> Decimal:
    price = sku.pricing_info[0].pricing_expression.tiered_rates[0].unit_price
    return Decimal(price.units) + Decimal(price.nanos) / 1_000_000_000


def test_services_include_vertex_ai(cloud: Cloud, catalog_client: Any) -> None:
    services = {s.service_id: s.display_name for s in catalog_client.list_services()}
    assert services[VERTEX_SERVICE_ID] == "Vertex AI"


def test_skus_page_through_every_vertex_sku(
    cloud: Cloud, catalog_client: Any, catalog_server: CatalogServer
) -> None:
    pager = catalog_client.list_skus(request={"parent": VERTEX, "page_size": 3})
    skus = list(pager)
    assert len(skus) == len(catalog_server.skus[VERTEX_SERVICE_ID])
    assert cloud.faults.calls["cloudbilling.services.skus.list"] == 3


def test_tuning_tokens_are_priced_per_token_and_displayed_per_million(
    cloud: Cloud, catalog_client: Any
) -> None:
    skus = {s.description: s for s in catalog_client.list_skus(parent=VERTEX)}
    flash = skus["Gemini 2.5 Flash Tuning Token Count"]
    assert unit_price(flash) * 1_000_000 == Decimal("5")
    assert flash.pricing_info[0].pricing_expression.display_quantity == 1_000_000
    tpu = skus["Training TPU v3 Pod running in Netherlands"]
    assert (unit_price(tpu), tpu.service_regions) == (Decimal("36.8"), ["europe-west4"])


def test_currency_code_converts_prices(cloud: Cloud, catalog_client: Any) -> None:
    [tpu] = [
        s
        for s in catalog_client.list_skus(request={"parent": VERTEX, "currency_code": "EUR"})
        if "TPU" in s.description
    ]
    assert tpu.pricing_info[0].pricing_expression.tiered_rates[0].unit_price.currency_code == "EUR"
    assert unit_price(tpu) == Decimal("33.856")


def test_unknown_service_is_not_found(cloud: Cloud, catalog_client: Any) -> None:
    from google.api_core import exceptions

    with pytest.raises(exceptions.NotFound):
        list(catalog_client.list_skus(parent="services/0000-0000-0000"))


def test_malformed_page_size_is_rejected(cloud: Cloud, catalog_client: Any, cloud_settings: Any) -> None:
    # The generated client cannot send a wrong request, so this goes through its authorized session,
    # as hand-built REST calls (Cloud Scheduler bodies, extra params) would.
    session = catalog_client._transport._session
    with cloud.expect_violations() as seen:
        answer = session.get(f"{cloud_settings.billing_endpoint}/v1/{VERTEX}/skus?pageSize=ten&currency=EUR")
    assert answer.status_code == 400
    assert sorted(v.where for v in seen) == ["query.currency", "query.pageSize"]
    assert (
        "query.currency: unknown query parameter (known: currencyCode, endTime"
        in answer.json()["error"]["message"]
    )
