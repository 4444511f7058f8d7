"""`tunectl quota show` as a list command: --filter, --limit, csv and an 80-column text table."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.cloud.harness import Cloud
from tests.cloud.quotas import TPU_ID, QuotasServer
from tests.quota_fixtures import isolate_config, run_cli, run_json


@pytest.fixture
def quotas(
    cloud: Cloud, cloud_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> QuotasServer:
    isolate_config(monkeypatch, tmp_path)
    server = cloud.get(QuotasServer)
    server.seed_preference(
        "tunectl-test", "tunectl-cli-tpu-v3-pod-cores-europe-west4", TPU_ID, "europe-west4", 64, granted=64
    )
    return server


def test_filter_keeps_the_rows_that_match_on_the_json_fields(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, everything, _ = run_json(capsys, "quota", "show")
    assert status == 0 and len(everything["quotas"]) > 1
    status, data, _ = run_json(capsys, "quota", "show", "--filter", "region=europe-west4 AND limit>=64")
    assert status == 0
    assert [row["key"] for row in data["quotas"]] == ["tpu-v3-pod-cores"]
    status, data, _ = run_json(capsys, "quota", "show", "--filter", "preference.status:grant*")
    assert [row["key"] for row in data["quotas"]] == ["tpu-v3-pod-cores"]


def test_limit_keeps_the_first_rows(quotas: QuotasServer, capsys: pytest.CaptureFixture[str]) -> None:
    status, data, _ = run_json(capsys, "quota", "show", "--limit", "1")
    assert status == 0 and len(data["quotas"]) == 1


def test_a_filter_on_a_field_no_row_has_names_the_fields(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _out, err = run_cli(capsys, "quota", "show", "--filter", "colour=red")
    assert status == 2
    assert err.startswith("error[filter-unknown-key]") and "increase_eligible" in err


def test_csv_has_one_line_per_quota_with_its_full_id(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_cli(capsys, "quota", "show", "--format", "csv")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    tpu = next(row for row in rows if row["key"] == "tpu-v3-pod-cores")
    assert tpu["quota_id"] == TPU_ID and tpu["preference"] == "granted 64/64"


def test_text_fits_80_columns_and_names_every_quota_whole(
    quotas: QuotasServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_cli(capsys, "quota", "show")
    assert status == 0
    assert all(len(line) <= 80 for line in out.splitlines()), out
    status, data, _ = run_json(capsys, "quota", "show")
    for row in data["quotas"]:
        assert row["key"] in out.split() and (row["quota_id"] or "UNRESOLVED") in out
