"""`tunectl pricing refresh`: Vertex AI SKUs from the Cloud Billing Catalog API into a dated price table.

The table has the `tunectl-prices/1` format of `ops/planning/prices.py` (which `plan` reads, preferring the
refreshed table over the built-in one, entry by entry). Entries are derived from catalog SKUs:

- `gemini-tuning:<base model>`: "Gemini 2.5 Flash Tuning ..." SKUs, priced per token (usage unit
  `count`), stored per 1M training tokens;
- `rlhf-pipeline:tpu`: the TPU v3 pod training SKU in europe-west4, per hour;
- `rlhf-pipeline:gpu`: the pipeline's GPU machine in us-central1, per hour: 8 A100 80GB GPUs plus the
  a2-ultragpu-8g's 96 vCPUs and 1,360 GB of RAM, each a separate SKU.

Every SKU of the service is kept in the table's `skus` list as well (id, description, regions, unit,
price), so the reconciliation and people can look a billed SKU up by id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ops.costs.model import VERTEX_AI_SERVICE_ID
from ops.errors import ExitStatus, TunectlError

FORMAT = "tunectl-prices/1"
GPU_MACHINE = {"gpu": 8, "core": 96, "ram_gb": 1360}  # a2-ultragpu-8g, the pipeline's GPU shape
_GEMINI = re.compile(r"^(gemini\s+[\d.]+\s+(?:pro|flash)(?:[\s-]+lite)?)\b.*\btuning\b", re.IGNORECASE)


@dataclass(frozen=True)
class CatalogSku:
    sku_id: str
    description: str
    regions: tuple[str, ...]
    usage_unit: str
    unit_price: Decimal
    currency: str
    effective: str  # date the price is effective from (YYYY-MM-DD)


def _money(value: Any) -> Decimal:
    return Decimal(int(value.units)) + Decimal(int(value.nanos)) / Decimal(1_000_000_000)


def _from_proto(sku: Any) -> CatalogSku | None:
    if not sku.pricing_info:
        return None
    info = sku.pricing_info[-1]  # the catalog lists the current pricing last
    rates = list(info.pricing_expression.tiered_rates)
    if not rates:
        return None
    # A free first tier (e.g. a monthly allowance) is not the price: take the first paid tier.
    rate = next((r for r in rates if _money(r.unit_price) > 0), rates[0])
    effective = info.effective_time
    return CatalogSku(
        sku_id=sku.sku_id,
        description=sku.description,
        regions=tuple(sku.service_regions),
        usage_unit=info.pricing_expression.usage_unit,
        unit_price=_money(rate.unit_price),
        currency=rate.unit_price.currency_code or "USD",
        effective=effective.strftime("%Y-%m-%d") if effective else datetime.now(UTC).strftime("%Y-%m-%d"),
    )


def fetch_vertex_skus(
    client: Any,
    *,
    currency: str = "USD",
    service_id: str = VERTEX_AI_SERVICE_ID,
    page_size: int | None = None,
) -> list[CatalogSku]:
    """Every SKU of the service; the pagers follow `nextPageToken` themselves. Reads are safe to retry."""
    request: dict[str, Any] = {"parent": f"services/{service_id}", "currency_code": currency}
    if page_size:
        request["page_size"] = page_size
    from ops.cloud_errors import call_with_retry

    services = call_with_retry(
        lambda: list(client.list_services()), what="Cloud Billing Catalog services.list"
    )
    if not any(s.service_id == service_id for s in services):
        raise TunectlError(
            "catalog-service-missing",
            f"the Cloud Billing Catalog lists no service {service_id}",
            hint="check the service id (Vertex AI is C7E2-9256-1C43)",
            status=ExitStatus.CLOUD_API,
        )
    skus = call_with_retry(
        lambda: list(client.list_skus(request=request)),
        what="Cloud Billing Catalog services.skus.list",
    )
    return [s for s in (_from_proto(sku) for sku in skus) if s is not None]


def _source(sku: CatalogSku, service_id: str) -> str:
    return f"Cloud Billing Catalog API, services/{service_id}/skus/{sku.sku_id}: {sku.description}"


def _hourly(sku: CatalogSku) -> Decimal | None:
    return sku.unit_price if sku.usage_unit in {"h", "hour"} else None


def _find(skus: list[CatalogSku], region: str, *words: str) -> CatalogSku | None:
    for sku in skus:
        text = sku.description.lower()
        if all(w in text for w in words) and region in sku.regions and _hourly(sku) is not None:
            return sku
    return None


def build_price_table(
    skus: list[CatalogSku], *, retrieved: datetime, service_id: str = VERTEX_AI_SERVICE_ID
) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for sku in skus:
        match = _GEMINI.match(sku.description)
        if not match or sku.usage_unit != "count":
            continue
        base = re.sub(r"[\s-]+", "-", match.group(1).strip().lower())
        entries.append(
            {
                "id": f"gemini-tuning:{base}",
                "description": f"{match.group(1)} tuning, per 1M training tokens",
                "engine": "gemini",
                "base_model": base,
                "unit": "1M training tokens",
                "price": format((sku.unit_price * 1_000_000).normalize(), "f"),
                "currency": sku.currency,
                "date": sku.effective,
                "source": _source(sku, service_id),
                "sku_id": sku.sku_id,
                "confirmed": True,
            }
        )
    tpu = _find(skus, "europe-west4", "tpu v3", "pod")
    if tpu:
        entries.append(
            {
                "id": "rlhf-pipeline:tpu",
                "description": "RLHF pipeline training on a TPU v3 pod (europe-west4), per hour",
                "engine": "rlhf-pipeline",
                "accelerator": "tpu",
                "region": "europe-west4",
                "unit": "hour",
                "price": format(tpu.unit_price.normalize(), "f"),
                "currency": tpu.currency,
                "date": tpu.effective,
                "source": _source(tpu, service_id),
                "sku_id": tpu.sku_id,
                "confirmed": True,
            }
        )
    parts = {
        "gpu": _find(skus, "us-central1", "a100 80gb"),
        "core": _find(skus, "us-central1", "a2", "core"),
        "ram_gb": _find(skus, "us-central1", "a2", "ram"),
    }
    if all(parts.values()):
        found = {k: v for k, v in parts.items() if v is not None}
        price = sum((GPU_MACHINE[k] * sku.unit_price for k, sku in found.items()), Decimal(0))
        entries.append(
            {
                "id": "rlhf-pipeline:gpu",
                "description": "RLHF pipeline training on 8x A100 80GB "
                "(a2-ultragpu-8g: + 96 vCPU, 1360 GB RAM), "
                "us-central1, per hour",
                "engine": "rlhf-pipeline",
                "accelerator": "gpu",
                "region": "us-central1",
                "unit": "hour",
                "price": format(price.normalize(), "f"),
                "currency": found["gpu"].currency,
                "date": max(sku.effective for sku in found.values()),
                "source": "; ".join(_source(sku, service_id) for sku in found.values()),
                "sku_id": found["gpu"].sku_id,
                "confirmed": True,
            }
        )
    stamp = retrieved.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "format": FORMAT,
        "id": f"catalog-{stamp}",
        "retrieved": retrieved.astimezone(UTC).strftime("%Y-%m-%d"),
        "source": f"Cloud Billing Catalog API, service {service_id}",
        "entries": sorted(entries, key=lambda e: e["id"]),
        "skus": [
            {
                "sku_id": s.sku_id,
                "description": s.description,
                "regions": list(s.regions),
                "usage_unit": s.usage_unit,
                "unit_price": format(s.unit_price.normalize(), "f"),
                "currency": s.currency,
                "effective": s.effective,
            }
            for s in sorted(skus, key=lambda s: s.sku_id)
        ],
    }
