"""The model catalog: one dated source read by ops, infra and the policy pack (whose copy must match),
`tunectl models list`, and `tunectl models refresh` through the v1beta1 publisher-models test server."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ops.models.catalog import POLICY_COPY, gemini_models, policy_copy_text, raw_catalog
from tests.cloud.harness import Cloud
from tests.cloud.vertex import PublisherModelsServer
from tests.quota_fixtures import isolate_config, run_cli, run_json


def test_the_policy_packs_copy_matches_the_catalog() -> None:
    assert POLICY_COPY.read_text(encoding="utf-8") == policy_copy_text(), (
        "policies/service_catalog.json is stale: run `python3 -m ops.models.catalog --write-policy-copy`"
    )


def test_every_row_names_a_google_source_and_the_date_it_was_read() -> None:
    catalog = raw_catalog()
    rows = [
        *catalog["models"].values(),
        *catalog["rlhf_base_models"].values(),
        *catalog["accelerators"].values(),
        *catalog["cmek"].values(),
    ]
    for row in rows:
        assert row["source"].startswith("https://"), row
        date.fromisoformat(row["checked"])


def test_infra_and_ops_read_the_same_rlhf_regions() -> None:
    from infra.config import TUNING_LOCATION
    from ops.models.catalog import pipeline_regions

    assert {k.lower(): v for k, v in TUNING_LOCATION.items()} == pipeline_regions()


def test_the_policy_pack_reads_its_own_copy() -> None:
    from policies.service_catalog import tunable_gemini_models

    current = {m for m, e in gemini_models().items() if not e.retired_on()}
    assert tunable_gemini_models() == current


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate_config(monkeypatch, tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TUNECTL_CATALOG", raising=False)
    return tmp_path


def test_models_list_shows_each_row_with_its_source_and_date(
    cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, data, _ = run_json(capsys, "models", "list")
    by_model = {row["model"]: row for row in data["models"]}
    assert status == 0 and data["catalog"] == "built-in"
    assert by_model["gemini-2.5-flash"]["status"] == "retired"
    assert by_model["t5-large"]["accelerators"] == ["tpu"]
    assert all(row["source"].startswith("https://") and row["checked"] for row in data["models"])
    status, text, _ = run_cli(capsys, "models", "list")
    assert "retired 2026-10-16" in text and "source: https://" in text


def test_refresh_updates_launch_stage_and_version_state_only(
    cli: Path, cloud: Cloud, cloud_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    server = cloud.get(PublisherModelsServer)
    server.add_model("gemini-3.5-flash", launch_stage="GA")
    server.add_model(
        "gemini-3.1-flash-lite", launch_stage="PUBLIC_PREVIEW", version_state="VERSION_STATE_UNSTABLE"
    )
    server.add_model("gemini-2.5-flash")
    server.add_model("gemini-4-flash")  # tunable per the API, not in the catalog
    server.add_model("imagen-5", tunable=False)
    status, report, err = run_json(capsys, "models", "refresh")
    assert status == 0, err
    changes = {(c["model_id"], c["field"]): c["after"] for c in report["changes"]}
    assert changes[("gemini-3.5-flash", "launch_stage")] == "GA"
    assert changes[("gemini-3.1-flash-lite", "version_state")] == "VERSION_STATE_UNSTABLE"
    assert "gemini-2.5-pro" in report["not_found"] and report["untracked"] == ["gemini-4-flash"]
    written = json.loads(Path(report["output"]).read_text(encoding="utf-8"))
    # The dated rows the API does not speak about are kept.
    assert written["models"]["gemini-2.5-flash"]["retired"] == "2026-10-16"
    assert written["models"]["gemini-3.5-flash"]["methods"] == ["supervised", "preference", "reinforcement"]
    # ...and the refreshed catalog is the one `models list` reads from now on.
    status, data, _ = run_json(capsys, "models", "list")
    stages = {row["model"]: row["status"] for row in data["models"]}
    assert data["catalog"] == report["output"] and stages["gemini-3.1-flash-lite"] == "PUBLIC_PREVIEW"


def test_refresh_that_cannot_reach_the_api_is_a_cloud_error(
    cli: Path, cloud: Cloud, cloud_env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.setenv("TUNECTL_RETRY_BASE_DELAY", "0")
    cloud.faults.inject("aiplatform.publishers.models.get", 403)
    status, _out, err = run_cli(capsys, "models", "refresh")
    assert status == 3 and "error[cloud-permission-denied]" in err
    assert not (cli / "data" / "tunectl" / "catalog.json").exists()


def test_plan_prices_a_model_by_the_catalogs_price_key() -> None:
    from ops.planning.prices import load_price_table

    prices = load_price_table()
    pinned = prices.tuning_per_million_tokens("gemini-2.5-pro-001")
    assert pinned is not None and pinned.id == gemini_models()["gemini-2.5-pro"].price_key
    assert prices.tuning_per_million_tokens("gemini-3.5-flash") is None  # no published price yet


def test_a_broken_refreshed_catalog_is_a_clear_usage_error(
    cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = cli / "data" / "tunectl" / "catalog.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json", encoding="utf-8")
    status, _out, err = run_cli(capsys, "models", "list")
    assert status == 2 and "error[catalog-unreadable]" in err and str(broken) in err
    assert "built-in catalog" in err


def test_a_refresh_of_an_older_built_in_catalog_is_ignored(
    cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = cli / "data" / "tunectl" / "catalog.json"
    stale.parent.mkdir(parents=True)
    stale.write_text(json.dumps(raw_catalog() | {"version": "2026-01-01"}), encoding="utf-8")
    status, data, _ = run_json(capsys, "models", "list")
    assert status == 0 and data["catalog"] == "built-in"


def test_reinforcement_tuning_is_documented_for_one_region_and_refused_elsewhere() -> None:
    from ops.models.catalog import gemini_model, region_problem

    entry = gemini_model("gemini-3.5-flash")
    assert entry is not None and entry.regions_for("reinforcement") == ("us-central1",)
    assert entry.regions_for("supervised") is None  # the pack's allowed regions decide alone
    assert region_problem("gemini-3.5-flash", "reinforcement", "us-central1") is None
    assert region_problem("gemini-3.5-flash", "supervised", "europe-west4") is None
    rule = region_problem("gemini-3.5-flash", "reinforcement", "europe-west4")
    assert rule is not None and rule.code == "region-not-supported"
    assert rule.source.endswith("/models/tuning/reinforcement-tuning")
    source = entry.method_sources["reinforcement"]
    assert source["checked"] == "2026-12-02" and source["serving"] == "us"


def test_models_list_shows_where_reinforcement_tuning_runs(capsys: pytest.CaptureFixture[str]) -> None:
    status, data, _ = run_json(capsys, "models", "list")
    (flash,) = [row for row in data["models"] if row["model"] == "gemini-3.5-flash"]
    assert status == 0 and flash["method_sources"]["reinforcement"]["regions"] == ["us-central1"]
