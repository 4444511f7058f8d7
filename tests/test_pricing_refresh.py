"""`tunectl pricing refresh` against the local Cloud Billing Catalog server (cloudbilling.v1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ops.cli import run
from ops.costs.price_refresh import build_price_table, fetch_vertex_skus
from ops.planning.prices import load_price_table


def test_refresh_derives_tuning_and_pipeline_prices_from_the_catalog(cloud, catalog_client) -> None:
    skus = fetch_vertex_skus(catalog_client)
    table = build_price_table(skus, retrieved=datetime(2026, 11, 27, 23, 0, tzinfo=UTC))
    prices = {e["id"]: Decimal(e["price"]) for e in table["entries"]}
    assert prices["gemini-tuning:gemini-2.5-flash"] == Decimal(5)
    assert prices["gemini-tuning:gemini-2.5-flash-lite"] == Decimal("1.5")
    assert prices["rlhf-pipeline:tpu"] == Decimal("36.8")
    assert prices["rlhf-pipeline:gpu"] == 8 * Decimal("3.93") + 96 * Decimal("0.0362") + 1360 * Decimal(
        "0.0049"
    )
    assert table["id"] == "catalog-2026-11-27T23:00:00Z" and len(table["skus"]) == len(skus)


def test_refresh_follows_page_tokens(cloud, catalog_client, catalog_server) -> None:
    skus = fetch_vertex_skus(catalog_client, page_size=2)  # a page holds 2 SKUs: the pager must go on
    assert len(skus) == len(catalog_server.skus["C7E2-9256-1C43"]) > 2


def test_refreshed_table_is_what_plan_loads(cloud, cloud_env, tmp_path: Path, monkeypatch, capsys) -> None:
    target = tmp_path / "prices.json"
    monkeypatch.setenv("TUNECTL_PRICES", str(target))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert run(["pricing", "refresh", "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["path"] == str(target)
    table = load_price_table()
    assert table.tables[-1]["id"] == summary["id"]
    gpu = table.pipeline_hourly("gpu")
    assert gpu is not None and gpu.price is not None and gpu.confirmed and gpu.table == summary["id"]


def test_refresh_in_euros_converts_prices(cloud, catalog_client) -> None:
    table = build_price_table(fetch_vertex_skus(catalog_client, currency="EUR"), retrieved=datetime.now(UTC))
    tpu = next(e for e in table["entries"] if e["id"] == "rlhf-pipeline:tpu")
    assert tpu["currency"] == "EUR" and Decimal(tpu["price"]) == Decimal("36.80") * Decimal("0.92")


def test_a_catalog_error_is_a_cloud_api_diagnostic(
    cloud, cloud_env, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("TUNECTL_PRICES", str(tmp_path / "prices.json"))
    cloud.faults.inject("cloudbilling.services.skus.list", 403)
    assert run(["pricing", "refresh"]) == 3
    assert "error[cloud-permission-denied]" in capsys.readouterr().err
    assert not (tmp_path / "prices.json").exists()


def test_pricing_show_lists_the_table_in_effect(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("TUNECTL_PRICES", str(tmp_path / "none.json"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert run(["pricing", "show", "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert any(e["id"] == "rlhf-pipeline:tpu" and e["price"] == "36.8" for e in body["entries"])


@pytest.mark.parametrize(
    ("description", "base"),
    [
        ("Gemini 2.5 Flash Lite Tuning Token Count", "gemini-2.5-flash-lite"),
        ("Gemini 3.0 Pro tuning tokens", "gemini-3.0-pro"),
        ("Gemini 2.5 Flash-Lite Tuning", "gemini-2.5-flash-lite"),
    ],
)
def test_gemini_tuning_sku_names_map_to_base_models(description: str, base: str) -> None:
    from ops.costs.price_refresh import CatalogSku

    sku = CatalogSku("X", description, ("global",), "count", Decimal("0.000001"), "USD", "2026-11-01")
    entries = build_price_table([sku], retrieved=datetime.now(UTC))["entries"]
    assert [e["base_model"] for e in entries] == [base] and entries[0]["price"] == "1"
