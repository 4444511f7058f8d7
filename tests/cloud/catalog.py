"""Cloud Billing Catalog v1: services.list and services.skus.list, with paging and currencies.

The Vertex AI SKUs below are test data shaped like the real catalog (descriptions, units, regions
and the per-token pricing expression); SKU ids are made up, prices are the figures in
/work/shared/DESIGN.md. Tests may replace `catalog.skus[service_id]`.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from tests.cloud.contract import DiscoveryContract
from tests.cloud.listing import paginate
from tests.cloud.server import ApiError, ApiServer, Call, handles

VERTEX_SERVICE_ID = "C7E2-9256-1C43"
SERVICES = [
    ("C7E2-9256-1C43", "Vertex AI"),
    ("95FF-2EF5-5EA1", "Cloud Storage"),
    ("24E6-581D-38E5", "BigQuery"),
    ("6F81-5844-456A", "Compute Engine"),
]
# Conversion rates the server applies for `currencyCode` (the real API uses the rate at startTime).
CURRENCY_RATES = {"USD": Decimal("1"), "EUR": Decimal("0.92"), "GBP": Decimal("0.79")}
EFFECTIVE_TIME = "2026-01-01T08:00:00Z"


def money(usd: Decimal, currency: str = "USD") -> dict[str, Any]:
    """google.type.Money: whole units as an int64 string plus nanos."""
    units = int(usd)
    return {"currencyCode": currency, "units": str(units), "nanos": int((usd - units) * 1_000_000_000)}


def _sku(
    sku_id: str,
    description: str,
    *,
    usd: str,
    usage_unit: str,
    unit_description: str,
    base_unit: str,
    factor: float,
    display_quantity: float,
    regions: list[str],
    family: str,
    group: str,
) -> dict[str, Any]:
    return {
        "name": f"services/{VERTEX_SERVICE_ID}/skus/{sku_id}",
        "skuId": sku_id,
        "description": description,
        "category": {
            "serviceDisplayName": "Vertex AI",
            "resourceFamily": family,
            "resourceGroup": group,
            "usageType": "OnDemand",
        },
        "serviceRegions": regions,
        "geoTaxonomy": {"type": "REGIONAL" if regions != ["global"] else "GLOBAL", "regions": regions},
        "serviceProviderName": "Google",
        "pricingInfo": [
            {
                "summary": "",
                "effectiveTime": EFFECTIVE_TIME,
                "currencyConversionRate": 1,
                "aggregationInfo": {"aggregationLevel": "ACCOUNT", "aggregationInterval": "DAILY"},
                "pricingExpression": {
                    "usageUnit": usage_unit,
                    "usageUnitDescription": unit_description,
                    "baseUnit": base_unit,
                    "baseUnitDescription": {"s": "second", "count": "count"}.get(base_unit, base_unit),
                    "baseUnitConversionFactor": factor,
                    "displayQuantity": display_quantity,
                    "tieredRates": [{"startUsageAmount": 0, "unitPrice": money(Decimal(usd))}],
                },
            }
        ],
    }


def _token_sku(sku_id: str, model: str, usd_per_million: str) -> dict[str, Any]:
    # The catalog prices tokens per single token (count) and displays them per 1M.
    return _sku(
        sku_id,
        f"{model} Tuning Token Count",
        usd=str(Decimal(usd_per_million) / 1_000_000),
        usage_unit="count",
        unit_description="count",
        base_unit="count",
        factor=1,
        display_quantity=1_000_000,
        regions=["global"],
        family="ApplicationServices",
        group="Gemini",
    )


def _hour_sku(sku_id: str, description: str, usd: str, regions: list[str], group: str) -> dict[str, Any]:
    return _sku(
        sku_id,
        description,
        usd=usd,
        usage_unit="h",
        unit_description="hour",
        base_unit="s",
        factor=3600,
        display_quantity=1,
        regions=regions,
        family="Compute",
        group=group,
    )


def vertex_skus() -> list[dict[str, Any]]:
    return [
        _hour_sku(
            "A1B2-0001-TPU3", "Training TPU v3 Pod running in Netherlands", "36.80", ["europe-west4"], "TPU"
        ),
        _hour_sku(
            "A1B2-0002-A180",
            "Training Nvidia Tesla A100 80GB GPU running in Americas",
            "3.93",
            ["us-central1"],
            "GPU",
        ),
        _hour_sku(
            "A1B2-0003-A2CP",
            "Training A2 Instance Core running in Americas",
            "0.0362",
            ["us-central1"],
            "CPU",
        ),
        _hour_sku(
            "A1B2-0004-A2RM", "Training A2 Instance Ram running in Americas", "0.0049", ["us-central1"], "RAM"
        ),
        _token_sku("A1B2-0005-GPRO", "Gemini 2.5 Pro", "25"),
        _token_sku("A1B2-0006-GFLA", "Gemini 2.5 Flash", "5"),
        _token_sku("A1B2-0007-GFLL", "Gemini 2.5 Flash Lite", "1.50"),
        _sku(
            "A1B2-0008-PIPE",
            "Vertex AI Pipelines Pipeline Run",
            usd="0.03",
            usage_unit="count",
            unit_description="count",
            base_unit="count",
            factor=1,
            display_quantity=1,
            regions=["global"],
            family="ApplicationServices",
            group="Pipelines",
        ),
    ]


class CatalogServer(ApiServer):
    settings_field = "billing_endpoint"
    default_port = 8794

    def make_contract(self) -> DiscoveryContract:
        return DiscoveryContract("cloudbilling", "v1")

    def reset(self) -> None:
        self.services = [
            {
                "name": f"services/{sid}",
                "serviceId": sid,
                "displayName": name,
                "businessEntityName": "businessEntities/GCP",
            }
            for sid, name in SERVICES
        ]
        self.skus: dict[str, list[dict[str, Any]]] = {VERTEX_SERVICE_ID: vertex_skus()}

    @handles("cloudbilling.services.list")
    def list_services(self, call: Call) -> dict[str, Any]:
        page, token = paginate(
            self.services, call.query.get("pageSize"), call.query.get("pageToken"), default=5000
        )
        return {"services": page, **({"nextPageToken": token} if token else {})}

    @handles("cloudbilling.services.skus.list")
    def list_skus(self, call: Call) -> dict[str, Any]:
        service_id = call.path_params["servicesId"]
        if not any(s["serviceId"] == service_id for s in self.services):
            raise ApiError(404, f"Service services/{service_id} not found")
        currency = call.query.get("currencyCode", "USD")
        if currency not in CURRENCY_RATES:
            raise ApiError(400, f"Currency code {currency!r} is not supported")
        skus = [_in_currency(sku, currency) for sku in self.skus.get(service_id, [])]
        page, token = paginate(skus, call.query.get("pageSize"), call.query.get("pageToken"), default=5000)
        return {"skus": page, **({"nextPageToken": token} if token else {})}


def _in_currency(sku: dict[str, Any], currency: str) -> dict[str, Any]:
    if currency == "USD":
        return sku
    rate = CURRENCY_RATES[currency]
    converted = copy.deepcopy(sku)
    for info in converted["pricingInfo"]:
        info["currencyConversionRate"] = float(rate)
        for tier in info["pricingExpression"]["tieredRates"]:
            price = tier["unitPrice"]
            usd = Decimal(price["units"]) + Decimal(price["nanos"]) / 1_000_000_000
            tier["unitPrice"] = money((usd * rate).quantize(Decimal("0.000000001")), currency)
    return converted
